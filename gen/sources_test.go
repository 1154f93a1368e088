package gen_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/gen"
)

// sourcesDir holds the fixture mapping (over the mini spec) and its golden outputs.
const sourcesDir = "testdata/sources"

// miniWithSource is the mini spec with the fixture mapping, or with mapping text when it
// is not empty (named spec/sources/mini-log.yaml either way). extraActions are appended
// to the mini actions.yaml.
func miniWithSource(t *testing.T, mapping, extraActions string) gen.Files {
	t.Helper()
	files := miniFiles(t)
	if mapping == "" {
		data, err := os.ReadFile(filepath.Join(sourcesDir, "mini-log.yaml"))
		require.NoError(t, err)
		mapping = string(data)
	}
	files.Sources = []gen.File{{Name: "spec/sources/mini-log.yaml", Data: []byte(mapping)}}
	if extraActions != "" {
		files.Actions.Data = append(append([]byte{}, files.Actions.Data...), extraActions...)
	}
	return files
}

// isSourceOutput reports whether an output path belongs to the source mappings.
func isSourceOutput(p string) bool {
	return strings.HasPrefix(p, "generated/source/") || strings.HasPrefix(p, "docs/sources/")
}

// TestGoldenSources generates the mini spec with the fixture mapping and compares the
// mapping's outputs with testdata/sources/golden/<path>; -update rewrites them. The other
// outputs are those of the mini spec alone, byte for byte.
func TestGoldenSources(t *testing.T) {
	t.Parallel()
	golden := filepath.Join(sourcesDir, "golden")
	withSource, outs := generate(t, miniWithSource(t, "", ""))
	alone, _ := generate(t, miniFiles(t))
	want := map[string]bool{}
	for _, o := range outs {
		if !isSourceOutput(o.Path) {
			assert.Equal(t, string(alone[o.Path]), string(o.Data), "%s does not depend on the mappings", o.Path)
			continue
		}
		want[o.Path] = true
		path := filepath.Join(golden, filepath.FromSlash(o.Path))
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, o.Data, 0o644))
			continue
		}
		data, err := os.ReadFile(path)
		if !assert.NoError(t, err, "missing golden file; run go test ./gen -run GoldenSources -update") {
			continue
		}
		if string(data) != string(o.Data) {
			t.Errorf("%s differs from its golden file (go test ./gen -run GoldenSources -update if intended):\n%s", o.Path, diff(o.Path, data, o.Data))
		}
	}
	assert.Len(t, want, 4, "types.go, formats.go, mini_log.go, docs/sources/mini-log.md")
	assert.Len(t, withSource, len(alone)+4)
	_, noSources := generate(t, miniFiles(t))
	for _, o := range noSources {
		assert.False(t, isSourceOutput(o.Path), "no mapping, no mapping output: %s", o.Path)
	}
	err := filepath.WalkDir(golden, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(golden, p)
		if err != nil {
			return err
		}
		if !want[filepath.ToSlash(rel)] {
			t.Errorf("golden file %s is no output", rel)
		}
		return nil
	})
	require.NoError(t, err)

	code := string(withSource["generated/source/mini_log.go"])
	for _, s := range []string{
		"func MiniLog() *Format {",
		"Login:       action.LoggedIn,",
		"TrimPrefix: []string{\"Agent/\"},",
		"Action: action.CallAnsweredMediationDNs,", // the row without DN types
		"Kind:  DurationField,",
		"Kind:  CondPresent,",
		"Kind: OpJoin",
	} {
		assert.Contains(t, code, s)
	}
	assert.Less(t, strings.Index(code, `Name: "COMPLETE"`), strings.Index(code, `Name: "CONNECT"`), "events sorted by name for Format.Event")
	doc := string(withSource["docs/sources/mini-log.md"])
	assert.Contains(t, doc, "| [CONNECT](#event-connect) | CallAnswered (Mediation DNs) on the queue, CallInbound start on the agent's DN | join |\n")
	assert.Contains(t, doc, "| data2 | `ringtime` | milliseconds (optional, since 2) | the ringing |\n")
	assert.Contains(t, doc, "2. [CallInbound](../actions.md#action-callinbound) start on the agent's DN; data Hold = `holdtime`, Kind = \"queued\"; when `ringtime` is present\n")
	assert.Contains(t, doc, "- *pause* everywhere (slot `away`), reason \"Away\"\n")
}

// TestGoldenSourcesCompile builds and vets the generated mapping package with the mini
// spec's generated packages it imports, in a scratch module.
func TestGoldenSourcesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	dir := t.TempDir()
	_, outs := generate(t, miniWithSource(t, "", ""))
	for _, o := range outs {
		if !strings.HasPrefix(o.Path, "generated/") {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(o.Path))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, o.Data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+gen.Module+"\n\ngo 1.26\n"), 0o644))
	cmd := exec.Command(goTool, "vet", "./generated/source/")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go vet of the generated mapping:\n%s", out)
}

// mappingHead is a valid mapping up to its events list: cases add events from line 24.
const mappingHead = `format: mini-log
title: Mini log
summary: A small line format for the generator's tests.
wire: queuelog
record:
  name: [event]
  time: {field: time}
  interaction: callid
  media: voice
  positional: true
  fields:
    - {name: time, type: epoch}
    - {name: callid}
    - {name: queue}
    - {name: agent}
    - {name: event}
    - {name: at, type: epoch, optional: true}
    - {name: var, repeated: true, optional: true}
queue: {field: queue, none: [NONE]}
agent: {field: agent, none: [NONE]}
presence:
  login: {action: LoggedIn}
events:
`

// queueWait is a durable mediation-DN action the mini spec lacks, for cases that need one.
const queueWait = `  - name: CallWait
    sources: [mediation_dn]
    kind: durable
    interaction: true
    summary: Lasts while a call waits at this queue to be distributed.
`

// TestSourceValidationRules has one case per mapping validation rule, each asserting the
// complete list of errors: file:line:col and message.
func TestSourceValidationRules(t *testing.T) {
	t.Parallel()
	const file = "spec/sources/mini-log.yaml:"
	ev := func(body string) string { return mappingHead + "  - name: E\n    summary: An event here.\n" + body }
	for _, tc := range []struct {
		name    string
		mapping string
		actions string // appended to the mini actions
		want    []string
	}{
		// JSON Schema rules, labelled with the event.
		{"schema/missing field", strings.Replace(mappingHead, "wire: queuelog\n", "", 1) + "  - {name: E, summary: An event here., note: Nothing to do here.}\n",
			"", []string{file + `1:1: missing properties: 'wire'`}},
		{"schema/bad enum", ev("    emit:\n      - action: CallInbound\n        on: trunk\n        phase: start\n"),
			"", []string{file + `28:13: event "E": emit[0].on: value must be one of "queue", "agent", "call"`}},
		{"schema/unknown field", ev("    emit:\n      - action: CallInbound\n        on: agent\n        phase: start\n        colour: red\n"),
			"", []string{file + `30:9: event "E": emit[0]: unknown field "colour"`}},

		// The file and the record.
		{"format named after its file", strings.Replace(mappingHead, "format: mini-log", "format: other-log", 1) + "  - {name: E, summary: An event here., note: Nothing to do here.}\n",
			"", []string{file + `1:9: format other-log must be in a file named other-log.yaml, not mini-log.yaml`}},
		{"record fields", strings.NewReplacer("name: [event]", "name: [nope]", "time: {field: time}", "time: {field: callid}",
			"interaction: callid", "interaction: ixn", "    - {name: var,", "    - {name: queue}\n    - {name: var,").Replace(mappingHead) +
			"  - {name: E, summary: An event here., note: Nothing to do here.}\n",
			"", []string{
				file + `6:10: record.name: field nope is not declared in record.fields`,
				file + `7:17: record.time: field callid is text; the time needs an epoch or epochMicros field`,
				file + `8:16: record.interaction: field ixn is not declared in record.fields`,
				file + `18:14: record: field queue is declared twice`,
			}},
		{"queue and agent fields", strings.NewReplacer("queue: {field: queue,", "queue: {field: q,", "agent: {field: agent,", "agent: {field: a,").Replace(mappingHead) +
			"  - {name: E, summary: An event here., note: Nothing to do here.}\n",
			"", []string{file + `19:16: queue: field q is not declared in record.fields`, file + `20:16: agent: field a is not declared in record.fields`}},
		{"presence actions", strings.Replace(mappingHead, "  login: {action: LoggedIn}\n",
			"  loginMoment: {action: LoggedIn}\n  queueReady: {action: CallWait}\n  logout: {action: CallAnswered}\n", 1) +
			"  - {name: E, summary: An event here., note: Nothing to do here.}\n",
			queueWait, []string{
				file + `22:3: presence: the other presence actions need presence.login`,
				file + `22:25: presence.loginMoment: LoggedIn is durable; presence.loginMoment needs a momentary action`,
				file + `23:15: presence: queueReady needs queueLogin`,
				file + `24:20: presence.logout: CallAnswered does not occur on regular_dn sources (it occurs on mediation_dn)`,
			}},
		{"duplicate event", mappingHead + "  - {name: E, summary: An event here., note: Nothing to do here.}\n  - {name: E, summary: Again the same event., note: Nothing to do here.}\n",
			"", []string{file + `25:12: event "E": duplicate event (first defined at line 24)`}},
		{"event field repeats a record field", ev("    fields: [{name: callid}]\n    note: Nothing to do here.\n"),
			"", []string{file + `26:21: event "E": field callid is already a field of every record`}},
		{"an event with nothing needs a note", ev(""),
			"", []string{file + `24:11: event "E": an event that emits nothing and changes no presence needs a note saying why`}},

		// Actions: existence, class, variant.
		{"unknown action", ev("    emit:\n      - action: CallBogus\n        on: queue\n"),
			"", []string{file + `27:17: event "E": emit[0]: unknown action "CallBogus" (see spec/actions.yaml)`}},
		{"action on another class", ev("    emit:\n      - action: CallInbound\n        on: queue\n        phase: start\n"),
			"", []string{file + `27:17: event "E": emit[0]: CallInbound does not occur on mediation_dn sources (it occurs on regular_dn)`}},
		{"unknown variant", ev("    emit:\n      - action: CallAnswered\n        variant: Nope\n        on: queue\n        duration: {field: at}\n"),
			"", []string{file + `28:18: event "E": emit[0]: action CallAnswered has no variant "Nope" (variants: "Mediation DNs", "Virtual Queues")`}},

		// Phases.
		{"durable needs a phase", ev("    emit:\n      - action: CallInbound\n        on: agent\n"),
			"", []string{file + `27:17: event "E": emit[0]: CallInbound is durable: phase start, end or update is required`}},
		{"instantaneous takes no phase", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        phase: start\n        duration: {field: hold}\n    fields: [{name: hold, type: seconds}]\n"),
			"", []string{file + `29:16: event "E": emit[0]: CallAnswered (Mediation DNs) is retrospective: phase is only for durable actions`}},
		{"an update goes to the call", ev("    emit:\n      - action: CallInbound\n        on: agent\n        phase: update\n"),
			"", []string{file + `28:13: event "E": emit[0]: an update goes to the instances in progress for the interaction: on must be call`}},
		{"on call is for updates", ev("    emit:\n      - action: CallInbound\n        on: call\n        phase: start\n"),
			"", []string{file + `28:13: event "E": emit[0]: on: call is only for updates (phase update)`}},
		{"only call actions are updated", ev("    emit:\n      - action: LoggedIn\n        on: call\n        phase: update\n"),
			"", []string{file + `27:17: event "E": emit[0]: LoggedIn is durable and not interaction-related: only a durable, interaction-related action is updated for a call`}},
		{"an update keeps its agent", ev("    emit:\n      - action: CallInbound\n        on: call\n        phase: update\n        nameAgent: true\n"),
			"", []string{file + `30:20: event "E": emit[0]: an update keeps the agent of the instance it updates; nameAgent does not apply`}},

		// Durations.
		{"retrospective needs a duration", ev("    emit:\n      - action: CallAnswered\n        on: queue\n"),
			"", []string{file + `27:17: event "E": emit[0]: CallAnswered (Mediation DNs) is retrospective: a duration is required`}},
		{"durable takes no duration", ev("    emit:\n      - action: CallInbound\n        on: agent\n        phase: start\n        duration: {field: hold}\n    fields: [{name: hold, type: seconds}]\n"),
			"", []string{file + `30:19: event "E": emit[0]: CallInbound is durable: duration is only for retrospective actions`}},
		{"duration shape", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        duration: {field: hold, since: at}\n    fields: [{name: hold, type: seconds}]\n"),
			"", []string{file + `29:19: event "E": emit[0]: a duration is one of {field}, {from, to} or {since}`}},
		{"duration field type", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        duration: {field: callid}\n"),
			"", []string{file + `29:27: event "E": emit[0]: duration field callid is text; it must be seconds or milliseconds`}},
		{"between epochs", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        duration: {from: hold, to: at}\n    fields: [{name: hold, type: seconds}]\n"),
			"", []string{file + `29:26: event "E": emit[0]: duration from field hold is seconds; it must be epoch or epochMicros`}},
		{"since an epoch", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        duration: {since: callid}\n"),
			"", []string{file + `29:27: event "E": emit[0]: duration since field callid is text; it must be epoch or epochMicros`}},
		{"an optional duration field is guarded", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        duration: {field: ring}\n    fields: [{name: ring, type: milliseconds, optional: true}]\n"),
			"", []string{file + `29:19: event "E": emit[0]: the duration reads optional field ring: add when: [{field: ring, present: true}]`}},

		// Fields read by rules.
		{"undeclared fields", ev("    emit:\n      - action: CallAnswered\n        on: queue\n        duration: {field: nope}\n        data: [{key: X, field: nope2}]\n        when: [{field: nope3, is: [x]}]\n"),
			"", []string{
				file + `29:27: event "E": emit[0]: duration field nope is not declared for this event (record.fields or its fields)`,
				file + `30:32: event "E": emit[0]: data[0]: field nope2 is not declared for this event (record.fields or its fields)`,
				file + `31:24: event "E": emit[0]: when[0]: field nope3 is not declared for this event (record.fields or its fields)`,
			}},

		// Data items.
		{"data item shapes", ev("    emit:\n      - action: CallInbound\n        on: agent\n        phase: start\n" +
			"        data: [{key: X, value: a, pairs: var}, {field: callid}, {key: X, pairs: var}, {pairs: callid}, {keyField: callid}]\n"),
			"", []string{
				file + `30:16: event "E": emit[0]: data[0]: a data item is one of {key, field}, {key, value}, {pairs}, {prefix}, {assign} or {keyField, field}`,
				file + `30:48: event "E": emit[0]: data[1]: a field or value item needs a key`,
				file + `30:71: event "E": emit[0]: data[2]: key does not apply here: the key comes from the platform's variable name, or there is none`,
				file + `30:95: event "E": emit[0]: data[3]: pairs reads every NAME=value occurrence of a field: declare callid repeated`,
				file + `30:104: event "E": emit[0]: data[4]: keyField needs field, the field holding the value`,
			}},

		// Presence operations.
		{"operation shapes", ev("    presence:\n      - {op: join, scope: all}\n      - {op: pause, slot: away}\n      - {op: login, reason: {value: x}}\n" +
			"      - {op: pause, report: {action: CallAnswered}}\n      - {op: pause, reason: {pairs: var}}\n"),
			"", []string{
				file + `27:27: event "E": presence[0]: scope is only for pause and unpause`,
				file + `28:27: event "E": presence[1]: a slot names an agent-wide pause: it needs scope all`,
				file + `29:29: event "E": presence[2]: reason is only for pause`,
				file + `30:29: event "E": presence[3]: report is only for clearCalls`,
				file + `31:29: event "E": presence[4]: a reason is {field} or {value}`,
			}},
		{"a clearCalls report", ev("    presence:\n      - {op: clearCalls, report: {action: CallWait}}\n      - {op: clearCalls, report: {action: CallInbound}}\n"),
			queueWait, []string{
				file + `27:43: event "E": presence[0]: report: CallWait is durable; a clearCalls report is retrospective (it carries the time the call had lasted)`,
				file + `28:43: event "E": presence[1]: report: CallInbound does not occur on mediation_dn sources (it occurs on regular_dn)`,
			}},
		{"presence needs presence.login", strings.Replace(mappingHead, "presence:\n  login: {action: LoggedIn}\n", "", 1) +
			"  - name: E\n    summary: An event here.\n    presence:\n      - {op: join}\n      - {op: clearCalls}\n",
			"", []string{file + `25:14: event "E": presence[0]: join changes agent presence, which needs presence.login`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, loadErrors(t, miniWithSource(t, tc.mapping, tc.actions)))
		})
	}
}

func TestSourceMappingIsValid(t *testing.T) {
	t.Parallel()
	m, err := gen.Load(miniWithSource(t, "", ""))
	require.NoError(t, err)
	require.Len(t, m.Sources, 1)
	f := m.Sources[0]
	assert.Equal(t, "mini-log", f.Name)
	assert.Equal(t, "MiniLog", f.GoName())
	assert.Len(t, f.Events, 4)
	assert.Equal(t, "LoggedIn", f.Presence.Login.Name)
	// The real mappings load with the real spec.
	real := embeddedModel(t)
	var names []string
	for _, s := range real.Sources {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"asterisk-ami", "asterisk-queue-log", "freeswitch-esl"}, names)
}
