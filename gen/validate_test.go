package gen_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/gen"
)

// roleActions are the actions every actions.yaml needs: the exactly-one roles of gen's
// roleRules and the statuses of the mini status table. Tests put the entries under test first, from line 2, so the line numbers in
// the expected messages can be read off the inline YAML.
const roleActions = `  - name: LoggedIn
    sources: [regular_dn]
    kind: durable
    interaction: false
    roles: [login]
    summary: Lasts while an agent is logged in on this DN.
  - name: LoggedOut
    sources: [regular_dn]
    kind: durable
    interaction: false
    roles: [loggedOut]
    summary: The status of an agent logged in nowhere.
  - name: CallOnHold
    sources: [regular_dn]
    kind: durable
    interaction: true
    roles: [hold]
    summary: Lasts while a call at this DN is on hold.
  - name: CallInbound
    sources: [regular_dn]
    kind: durable
    interaction: true
    roles: [callType]
    summary: Lasts while this DN is on an inbound call.
`

// actionsYAML is an actions.yaml holding entries (starting at line 2) then roleActions.
func actionsYAML(entries string) string { return "actions:\n" + entries + roleActions }

// spec describes a variant of the mini spec: each non-empty field replaces that file.
type spec struct{ objects, actions, statuses, categories string }

func (s spec) files(t *testing.T) gen.Files {
	files := miniFiles(t)
	for _, r := range []struct {
		dst  *gen.File
		data string
	}{
		{&files.Objects, s.objects},
		{&files.Actions, s.actions},
		{&files.Statuses, s.statuses},
		{&files.Categories, s.categories},
	} {
		if r.data != "" {
			r.dst.Data = []byte(r.data)
		}
	}
	return files
}

func TestMiniSpecIsValid(t *testing.T) {
	t.Parallel()
	m, err := gen.Load(miniFiles(t))
	if !assert.NoError(t, err) {
		return
	}
	assert.Len(t, m.Classes, 3)
	assert.Len(t, m.Types, 5)
	assert.Len(t, m.Actions, 8)
	assert.Len(t, m.Tables, 1)
	assert.Len(t, m.Categories, 4)
	assert.Len(t, m.Subjects, 2)
	// The role prefix of the inline specs is valid on its own.
	_, err = gen.Load(spec{actions: actionsYAML("")}.files(t))
	assert.NoError(t, err)
}

// miniObjectsWithout is objects.yaml of the mini spec without the mediation_dn class:
// mediation DN types then name an unknown class.
const miniObjectsWithout = `sourceClasses:
  - name: regular_dn
    title: Regular DN
    reaches: [RegDN, Agent, Queue, Tenant]
    summary: Extensions and ACD positions.
objectTypes:
  - name: RegDN
    summary: A regular directory number.
  - name: Agent
    summary: A person working as an agent.
  - name: Queue
    summary: An ACD queue or virtual queue.
  - name: Tenant
    summary: A tenant; every action reaches it.
compatibilityGroups:
  - name: All
    types: [RegDN, Agent, Queue, Tenant]
dnTypes:
  - name: ACDQueue
    class: mediation_dn
    objectType: Queue
`

// TestValidationRules has one case per validation rule, each asserting the complete list
// of errors: message and file:line:col.
func TestValidationRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		spec spec
		want []string
	}{
		// JSON Schema rules, labelled with the action.
		{
			name: "schema/missing field",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn]
    interaction: true
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:2:5: action "CallRinging": missing properties: 'kind'`},
		},
		{
			name: "schema/bad enum value",
			spec: spec{actions: actionsYAML(`  - name: CallAnswered
    variant: Regular DNs
    sources: [regular_dn]
    kind: sometimes
    interaction: true
    summary: Reported when this DN answers a call.
`)},
			want: []string{`spec/actions.yaml:5:11: action "CallAnswered" (Regular DNs): kind: value must be one of "durable", "momentary", "retrospective"`},
		},
		{
			name: "schema/bad type",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn]
    kind: durable
    interaction: "yes"
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:5:18: action "CallRinging": interaction: expected boolean, but got string`},
		},
		{
			name: "schema/unknown field",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    variant: Regular DNs
    sources: [regular_dn]
    kind: durable
    interaction: true
    colour: red
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:7:5: action "CallRinging" (Regular DNs): unknown field "colour"`},
		},
		{
			name: "schema/unknown source in sources",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn, trunk]
    kind: durable
    interaction: true
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:3:27: action "CallRinging": sources[1]: value must be one of "regular_dn", "media_channel", "mediation_dn", "staging_area", "tenant", "agent_workbin"`},
		},
		{
			name: "schema/other file",
			spec: spec{categories: `categories:
  - name: TotalTime
    kind: historical
    value: seconds
    relMask: false
    timeRange: false
    formula: false
    status: done
    definition: Sum of the durations of mask instances.
subjects:
  - name: DNAction
    objects: [RegDN]
    status: false
    definition: Counts the actions that reach the object.
`},
			want: []string{`spec/categories.yaml:8:13: categories[0].status: value must be one of "implemented", "planned", "unsupported"`},
		},
		{
			name: "yaml syntax error",
			spec: spec{actions: `actions:
  - name: CallRinging
    kind: durable: momentary
`},
			want: []string{`spec/actions.yaml:3:1: mapping values are not allowed in this context`},
		},
		{
			name: "yaml duplicate key",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn]
    kind: durable
    kind: momentary
    interaction: true
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:5:5: duplicate key "kind"`},
		},
		{
			// yaml.v3 reports parser errors at the 0-based line of their context;
			// yamlpos corrects it to the line of the unclosed '['.
			name: "yaml syntax error/parser",
			spec: spec{actions: `actions:
  - name: CallRinging
    sources: [regular_dn
    kind: durable
`},
			want: []string{`spec/actions.yaml:3:1: did not find expected ',' or ']'`},
		},

		// actions.yaml semantic rules.
		{
			name: "duplicate name and variant",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn]
    kind: durable
    interaction: true
    summary: Lasts while a call rings at this DN.
  - name: CallRinging
    sources: [regular_dn]
    kind: retrospective
    interaction: true
    summary: Reported when a call stops ringing at this DN.
`)},
			want: []string{`spec/actions.yaml:7:11: action "CallRinging": duplicate action (name, variant) (first defined at line 2)`},
		},
		{
			name: "unknown source class",
			spec: spec{actions: actionsYAML(`  - name: InteractionWait
    variant: StagingAreas
    sources: [staging_area]
    kind: durable
    interaction: true
    summary: Lasts while an interaction waits in this queue.
`)},
			want: []string{`spec/actions.yaml:4:15: action "InteractionWait" (StagingAreas): unknown source class "staging_area" (known: regular_dn, mediation_dn, tenant)`},
		},
		{
			name: "unknown DN type",
			spec: spec{actions: actionsYAML(`  - name: CallWait
    sources: [mediation_dn]
    dnTypes: [VirtualQueue, Trunk]
    kind: durable
    interaction: true
    summary: Lasts while a call waits at this queue.
`)},
			want: []string{`spec/actions.yaml:4:29: action "CallWait": unknown DN type "Trunk"`},
		},
		{
			name: "misspelt DN type",
			spec: spec{actions: actionsYAML(`  - name: CallWait
    sources: [mediation_dn]
    dnTypes: [VirtualQueu]
    kind: durable
    interaction: true
    summary: Lasts while a call waits at this queue.
`)},
			want: []string{`spec/actions.yaml:4:15: action "CallWait": unknown DN type "VirtualQueu" (did you mean "VirtualQueue"?)`},
		},
		{
			name: "DN type of a class the action lacks",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn]
    dnTypes: [VirtualQueue]
    kind: durable
    interaction: true
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:4:15: action "CallRinging": DN type VirtualQueue belongs to source class mediation_dn, which the action does not have`},
		},
		{
			name: "family without note",
			spec: spec{actions: actionsYAML(`  - name: CallObserving
    seedName: "CallObserving..."
    family: true
    sources: [regular_dn]
    kind: durable
    interaction: true
    summary: Family of actions that last while this DN observes a call.
`)},
			want: []string{`spec/actions.yaml:4:13: action "CallObserving": a family needs a note documenting its members`},
		},
		{
			name: "seedName equal to name",
			spec: spec{actions: actionsYAML(`  - name: CallRinging
    seedName: CallRinging
    sources: [regular_dn]
    kind: durable
    interaction: true
    summary: Lasts while a call rings at this DN.
`)},
			want: []string{`spec/actions.yaml:3:15: action "CallRinging": seedName repeats the name; drop it`},
		},
		{
			name: "seedName on a local action",
			spec: spec{actions: actionsYAML(`  - name: CallBargedIn
    seedName: CallBargedIn1
    origin: local
    sources: [regular_dn]
    kind: momentary
    interaction: true
    summary: A supervisor joined the call on this DN.
`)},
			want: []string{`spec/actions.yaml:3:15: action "CallBargedIn": a local action (origin: local) is not in the seed, so it has no seed spelling; drop seedName`},
		},
		{
			name: "unknown origin",
			spec: spec{actions: actionsYAML(`  - name: CallBargedIn
    origin: mine
    sources: [regular_dn]
    kind: momentary
    interaction: true
    summary: A supervisor joined the call on this DN.
`)},
			want: []string{`spec/actions.yaml:3:13: action "CallBargedIn": origin: value must be one of "seed", "local"`},
		},
		{
			name: "role on a non-durable action",
			spec: spec{actions: actionsYAML(`  - name: CallInboundStarted
    sources: [regular_dn]
    kind: momentary
    interaction: true
    roles: [callType]
    summary: The instant an inbound call is established at this DN.
`)},
			want: []string{`spec/actions.yaml:6:13: action "CallInboundStarted": role callType needs a durable action, this one is momentary`},
		},
		{
			name: "missing exactly-one role",
			spec: spec{actions: `actions:
  - name: LoggedIn
    sources: [regular_dn]
    kind: durable
    interaction: false
    roles: [login]
    summary: Lasts while an agent is logged in on this DN.
  - name: LoggedOut
    sources: [regular_dn]
    kind: durable
    interaction: false
    roles: [loggedOut]
    summary: The status of an agent logged in nowhere.
`, statuses: `tables:
  - name: RegularDN
    class: regular_dn
    objects: [RegDN, Agent]
    summary: Regular DN table of the mini spec.
    statuses: [LoggedIn, LoggedOut]
`},
			want: []string{`spec/actions.yaml:2:3: no action has role hold (a call on hold, which hides its call-type action from status); exactly one must`},
		},
		{
			name: "role on two actions",
			spec: spec{actions: actionsYAML(`  - name: CallHeld
    sources: [regular_dn]
    kind: durable
    interaction: true
    roles: [hold]
    summary: Lasts while this DN holds a call.
`)},
			want: []string{`spec/actions.yaml:2:3: role hold is on 2 actions (CallHeld, CallOnHold); exactly one may have it`},
		},
		{
			name: "Go name clash",
			spec: spec{actions: actionsYAML(`  - name: CallAnswered
    variant: Virtual Queues
    sources: [mediation_dn]
    kind: retrospective
    interaction: true
    summary: Reported on the virtual queue when the target answers a call.
  - name: CallAnsweredVirtualQueues
    sources: [mediation_dn]
    kind: retrospective
    interaction: true
    summary: Reported when a call distributed from this queue is answered.
`)},
			want: []string{`spec/actions.yaml:8:11: action "CallAnsweredVirtualQueues": Go name CallAnsweredVirtualQueues clashes with the action at line 2`},
		},

		// statuses.yaml.
		{
			name: "status table names an unknown action",
			spec: spec{statuses: `tables:
  - name: RegularDN
    class: regular_dn
    objects: [RegDN, Agent]
    summary: Regular DN table of the mini spec.
    statuses:
      - LoggedIn
      - CallRinging
      - CallAnswered
`},
			want: []string{
				`spec/statuses.yaml:8:9: status table RegularDN: unknown action "CallRinging" on source class regular_dn`,
				`spec/statuses.yaml:9:9: status table RegularDN: unknown action "CallAnswered" on source class regular_dn`,
			},
		},
		{
			name: "status that is not durable",
			spec: spec{statuses: `tables:
  - name: MediationDN
    class: mediation_dn
    objects: [Queue]
    summary: Mediation DN table of the mini spec.
    statuses: [CallAnswered]
`},
			want: []string{`spec/statuses.yaml:6:16: status table MediationDN: status CallAnswered is a retrospective action; a status must be durable`},
		},
		{
			name: "status table names a misspelt action",
			spec: spec{statuses: `tables:
  - name: RegularDN
    class: regular_dn
    objects: [RegDN, Agent]
    summary: Regular DN table of the mini spec.
    statuses:
      - LoggedIn
      - CallInbond
`},
			want: []string{`spec/statuses.yaml:8:9: status table RegularDN: unknown action "CallInbond" on source class regular_dn (did you mean "CallInbound"?)`},
		},
		{
			name: "status table unknown class",
			spec: spec{statuses: `tables:
  - name: Workbin
    class: agent_workbin
    objects: [Agent]
    summary: A table for agent workbins.
    statuses: [LoggedIn]
`},
			want: []string{`spec/statuses.yaml:3:12: status table Workbin: unknown source class "agent_workbin" (known: regular_dn, mediation_dn, tenant)`},
		},
		{
			name: "status table unknown object type",
			spec: spec{statuses: `tables:
  - name: RegularDN
    class: regular_dn
    objects: [RegDN, Plaice]
    summary: Regular DN table of the mini spec.
    statuses: [LoggedIn]
`},
			want: []string{`spec/statuses.yaml:4:22: status table RegularDN: unknown object type "Plaice" (known: RegDN, Agent, Queue, GroupQueues, Tenant)`},
		},
		{
			name: "status table object type not reached by its class",
			spec: spec{statuses: `tables:
  - name: RegularDN
    class: regular_dn
    objects: [RegDN, Queue]
    summary: Regular DN table of the mini spec.
    statuses: [LoggedIn]
`},
			want: []string{`spec/statuses.yaml:4:14: status table RegularDN: object type Queue is not reached by source class regular_dn`},
		},

		// objects.yaml.
		{
			name: "object type in no compatibility group",
			spec: spec{objects: `sourceClasses:
  - name: regular_dn
    title: Regular DN
    reaches: [RegDN, Agent, Tenant]
    summary: Extensions and ACD positions.
  - name: mediation_dn
    title: Mediation DN
    reaches: [Queue]
    summary: Queues where calls wait.
  - name: tenant
    title: Tenant
    reaches: [Queue]
    summary: Actions of a whole tenant.
objectTypes:
  - name: RegDN
    summary: A regular directory number.
  - name: Agent
    summary: A person working as an agent.
  - name: Queue
    summary: An ACD queue or virtual queue.
  - name: GroupQueues
    summary: A configured group of queues.
  - name: Tenant
    summary: A tenant; every action reaches it.
compatibilityGroups:
  - name: RegularDN
    types: [RegDN, Agent, Tenant]
  - name: MediationDN
    types: [Queue, Tenant]
dnTypes:
  - name: VirtualQueue
    class: mediation_dn
    objectType: Queue
`},
			want: []string{`spec/objects.yaml:21:11: object type GroupQueues belongs to no compatibility group`},
		},
		{
			name: "DN type unknown class",
			spec: spec{objects: miniObjectsWithout, actions: actionsYAML("")},
			want: []string{`spec/objects.yaml:20:12: DN type ACDQueue: unknown source class "mediation_dn" (known: regular_dn)`},
		},
		{
			name: "DN type unknown object type",
			spec: spec{objects: `sourceClasses:
  - name: regular_dn
    title: Regular DN
    reaches: [RegDN, Agent, Tenant]
    summary: Extensions and ACD positions.
  - name: mediation_dn
    title: Mediation DN
    reaches: [Queue, Tenant]
    summary: Queues where calls wait.
  - name: tenant
    title: Tenant
    reaches: [Tenant]
    summary: Actions of a whole tenant.
objectTypes:
  - name: RegDN
    summary: A regular directory number.
  - name: Agent
    summary: A person working as an agent.
  - name: Queue
    summary: An ACD queue or virtual queue.
  - name: Tenant
    summary: A tenant; every action reaches it.
compatibilityGroups:
  - name: RegularDN
    types: [RegDN, Agent, Tenant]
  - name: MediationDN
    types: [Queue, Tenant]
dnTypes:
  - name: VirtualQueue
    class: mediation_dn
    objectType: Queue
  - name: Trunk
    class: regular_dn
    objectType: TrunkGroup
`},
			want: []string{`spec/objects.yaml:34:17: DN type Trunk: unknown object type "TrunkGroup" (known: RegDN, Agent, Queue, Tenant)`},
		},
		{
			name: "DN type object type not reached by its class",
			spec: spec{objects: `sourceClasses:
  - name: regular_dn
    title: Regular DN
    reaches: [RegDN, Agent, Tenant]
    summary: Extensions and ACD positions.
  - name: mediation_dn
    title: Mediation DN
    reaches: [Queue, Tenant]
    summary: Queues where calls wait.
  - name: tenant
    title: Tenant
    reaches: [Tenant]
    summary: Actions of a whole tenant.
objectTypes:
  - name: RegDN
    summary: A regular directory number.
  - name: Agent
    summary: A person working as an agent.
  - name: Queue
    summary: An ACD queue or virtual queue.
  - name: Tenant
    summary: A tenant; every action reaches it.
compatibilityGroups:
  - name: RegularDN
    types: [RegDN, Agent, Tenant]
  - name: MediationDN
    types: [Queue, Tenant]
dnTypes:
  - name: VirtualQueue
    class: mediation_dn
    objectType: Queue
  - name: Extension
    class: regular_dn
    objectType: Queue
`},
			want: []string{`spec/objects.yaml:34:17: DN type Extension: object type Queue is not reached by source class regular_dn`},
		},
		{
			name: "source class reaches an unknown object type",
			spec: spec{objects: `sourceClasses:
  - name: regular_dn
    title: Regular DN
    reaches: [RegDN, Agent, Plaice]
    summary: Extensions and ACD positions.
  - name: mediation_dn
    title: Mediation DN
    reaches: [Queue]
    summary: Queues where calls wait.
  - name: tenant
    title: Tenant
    reaches: [Queue]
    summary: Actions of a whole tenant.
objectTypes:
  - name: RegDN
    summary: A regular directory number.
  - name: Agent
    summary: A person working as an agent.
  - name: Queue
    summary: An ACD queue or virtual queue.
  - name: Tenant
    summary: A tenant; every action reaches it.
compatibilityGroups:
  - name: All
    types: [RegDN, Agent, Queue, Tenant]
dnTypes:
  - name: VirtualQueue
    class: mediation_dn
    objectType: Queue
`},
			want: []string{`spec/objects.yaml:4:29: source class regular_dn: unknown object type "Plaice" (known: RegDN, Agent, Queue, Tenant)`},
		},

		// categories.yaml.
		{
			name: "duplicate category",
			spec: spec{categories: `categories:
  - name: TotalTime
    kind: historical
    value: seconds
    relMask: false
    timeRange: false
    formula: false
    status: planned
    definition: Sum of the durations of mask instances.
  - name: TotalTime
    kind: current
    value: seconds
    relMask: false
    timeRange: false
    formula: false
    status: planned
    definition: Sum of the elapsed times of mask instances.
subjects:
  - name: DNAction
    objects: [RegDN]
    status: false
    definition: Counts the actions that reach the object.
`},
			want: []string{`spec/categories.yaml:10:11: duplicate category TotalTime (first defined at line 2)`},
		},
		{
			name: "formula category not custom",
			spec: spec{categories: `categories:
  - name: TotalCustomValue
    kind: historical
    value: seconds
    relMask: false
    timeRange: false
    formula: true
    status: planned
    definition: Sum of a numeric expression over mask instances.
subjects:
  - name: DNAction
    objects: [RegDN]
    status: false
    definition: Counts the actions that reach the object.
`},
			want: []string{`spec/categories.yaml:7:14: category TotalCustomValue: a formula category must have value custom`},
		},
		{
			name: "structured historical category",
			spec: spec{categories: `categories:
  - name: CurrentState
    kind: historical
    value: structured
    relMask: false
    timeRange: false
    formula: false
    status: planned
    definition: The object's status with its start time and reason.
subjects:
  - name: DNAction
    objects: [RegDN]
    status: false
    definition: Counts the actions that reach the object.
`},
			want: []string{`spec/categories.yaml:4:12: category CurrentState: a structured value cannot be historical`},
		},
		{
			name: "subject with unknown object type",
			spec: spec{categories: `categories:
  - name: TotalTime
    kind: historical
    value: seconds
    relMask: false
    timeRange: false
    formula: false
    status: planned
    definition: Sum of the durations of mask instances.
subjects:
  - name: PlaceStatus
    objects: [Agent, Place]
    status: true
    definition: Counts the statuses of places.
`},
			want: []string{`spec/categories.yaml:12:22: subject PlaceStatus: unknown object type "Place" (known: RegDN, Agent, Queue, GroupQueues, Tenant)`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, loadErrors(t, tc.spec.files(t)))
		})
	}
}

// TestValidationCollectsAllErrors checks that errors in several files are all reported,
// sorted by file, then line and column, not just the first.
func TestValidationCollectsAllErrors(t *testing.T) {
	t.Parallel()
	files := spec{
		actions: actionsYAML(`  - name: CallRinging
    sources: [regular_dn]
    kind: durable
    interaction: true
    summary: Lasts while a call rings at this DN.
  - name: CallRinging
    sources: [regular_dn]
    kind: durable
    interaction: true
    summary: Lasts while a call rings at this DN again.
  - name: CallWait
    sources: [mediation_dn]
    dnTypes: [Trunk]
    kind: durable
    interaction: true
    summary: Lasts while a call waits at this queue.
`),
		statuses: `tables:
  - name: RegularDN
    class: regular_dn
    objects: [RegDN]
    summary: Regular DN table of the mini spec.
    statuses: [Nonexistent, LoggedIn]
`,
		categories: `categories:
  - name: CurrentState
    kind: historical
    value: structured
    relMask: false
    timeRange: false
    formula: true
    status: planned
    definition: The object's status with its start time and reason.
subjects:
  - name: DNAction
    objects: [Nowhere]
    status: false
    definition: Counts the actions that reach the object.
`,
	}.files(t)
	assert.Equal(t, []string{
		`spec/actions.yaml:7:11: action "CallRinging": duplicate action (name, variant) (first defined at line 2)`,
		`spec/actions.yaml:14:15: action "CallWait": unknown DN type "Trunk"`,
		`spec/categories.yaml:4:12: category CurrentState: a structured value cannot be historical`,
		`spec/categories.yaml:7:14: category CurrentState: a formula category must have value custom`,
		`spec/categories.yaml:12:15: subject DNAction: unknown object type "Nowhere" (known: RegDN, Agent, Queue, GroupQueues, Tenant)`,
		`spec/statuses.yaml:6:16: status table RegularDN: unknown action "Nonexistent" on source class regular_dn`,
	}, loadErrors(t, files))

	// Schema errors in two files are collected too (semantic checks wait for a clean schema).
	files = spec{
		objects: "sourceClasses: []\nobjectTypes: []\ncompatibilityGroups: []\ndnTypes: []\n",
		actions: "actions:\n  - name: 7up\n",
	}.files(t)
	assert.Equal(t, []string{
		`spec/actions.yaml:2:5: action "7up": missing properties: 'sources', 'kind', 'interaction', 'summary'`,
		`spec/actions.yaml:2:11: action "7up": name: does not match pattern '^[A-Za-z][A-Za-z0-9_]*$'`,
		`spec/objects.yaml:1:16: sourceClasses: minimum 1 items required, but found 0 items`,
		`spec/objects.yaml:2:14: objectTypes: minimum 1 items required, but found 0 items`,
		`spec/objects.yaml:3:22: compatibilityGroups: minimum 1 items required, but found 0 items`,
		`spec/objects.yaml:4:10: dnTypes: minimum 1 items required, but found 0 items`,
	}, loadErrors(t, files))
}
