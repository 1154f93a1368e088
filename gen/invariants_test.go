package gen_test

import (
	"encoding"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/category"
	"github.com/statkit/statkit/generated/object"
	"github.com/statkit/statkit/generated/status"
)

// Invariant tests on the real spec (through gen's model) and on the generated packages.

func TestModelInvariants(t *testing.T) {
	t.Parallel()
	checkModel(t, embeddedModel(t))
}

// checkModel checks the invariants of a model of the real spec: the seed's shape on the
// rows of seed origin, and what every action, status table and category must satisfy
// (local actions included). The README's example runs it too.
func checkModel(t *testing.T, m *gen.Model) {
	t.Helper()
	seeded := seedActions(m)
	require.Len(t, seeded, seedShape.rows, "rows of seed origin: the Stat Server table's rows; "+
		"an action the table does not have needs origin: local")
	seedNames := map[string]bool{}
	for _, a := range seeded {
		seedNames[a.Name] = true
	}
	// The seed's names less the renames that join an existing name.
	assert.Len(t, seedNames, seedShape.names-seedShape.renamedNames, "distinct names of seed origin")
	keys := map[string]bool{}
	for _, a := range m.Actions {
		assert.NotEmpty(t, a.Sources, "%s: every action has a source", a.Key())
		assert.False(t, keys[a.Key()], "%s: (name, variant) is unique", a.Key())
		keys[a.Key()] = true
		assert.Contains(t, []string{gen.OriginSeed, gen.OriginLocal}, a.Origin, "%s: origin", a.Key())
		if a.Local() {
			assert.Empty(t, a.SeedName, "%s: a local action has no seed spelling", a.Key())
		}
		assert.NotEmpty(t, a.Summary, "%s: summary", a.Key())
		assert.NotEmpty(t, a.Reaches(m), "%s: the action reaches some object type", a.Key())
		if a.Family {
			assert.NotEmpty(t, a.Note, "%s: a family documents its members", a.Key())
		}
	}
	for _, tb := range m.Tables {
		for _, s := range tb.Statuses {
			assert.Equal(t, "durable", s.Kind, "table %s: status %s is durable", tb.Name, s.Key())
			assert.Contains(t, s.Sources, tb.Class, "table %s: status %s occurs on the table's class", tb.Name, s.Key())
		}
	}
	for _, c := range m.Categories {
		assert.NotEmpty(t, c.Definition, "category %s: definition", c.Name)
	}
}

func TestGeneratedMatchesModel(t *testing.T) {
	t.Parallel()
	m := embeddedModel(t)
	ids := action.AllIDs()
	require.Len(t, ids, len(m.Actions))
	require.Equal(t, len(m.Actions), action.Count)
	for i, id := range ids {
		a := m.Actions[i]
		assert.Equal(t, action.ID(i+1), id, "IDs are 1..Count in spec order")
		assert.Equal(t, a.Name, id.Name())
		assert.Equal(t, a.Variant, id.Variant())
		assert.Equal(t, a.Key(), id.String())
		assert.Equal(t, a.Kind, id.Kind().String(), a.Key())
		assert.Equal(t, a.Interaction, id.IsInteraction(), a.Key())
		assert.Equal(t, a.Family, id.IsFamily(), a.Key())
		assert.Equal(t, a.Local(), id.IsLocal(), a.Key())
		assert.Equal(t, a.Summary, id.Summary(), a.Key())
		var srcs []string
		for _, c := range id.Sources().Slice() {
			srcs = append(srcs, c.String())
		}
		var want []string
		for _, c := range a.Sources {
			want = append(want, c.Name)
		}
		assert.Equal(t, want, srcs, "%s: sources", a.Key())
	}
	require.Len(t, category.AllCategories(), len(m.Categories))
	require.Len(t, status.AllTables(), len(m.Tables))
	require.Len(t, object.AllTypes(), len(m.Types))
	require.Len(t, object.AllSourceClasses(), len(m.Classes))
}

func TestActionTable(t *testing.T) {
	t.Parallel()
	seen := map[[2]string]bool{}
	perClass := map[object.SourceClass]map[string]bool{}
	for _, id := range action.AllIDs() {
		assert.True(t, id.Valid())
		assert.NotZero(t, id.Sources(), "%s: every action has a source", id)
		assert.True(t, id.Kind().Valid(), "%s: kind", id)
		assert.NotEmpty(t, id.Summary(), "%s: summary", id)
		assert.NotZero(t, id.Reaches(), "%s: reaches", id)
		for _, c := range id.Sources().Slice() {
			assert.Equal(t, c.Reaches()&id.Reaches(), c.Reaches(), "%s: reaches what its class %s reaches", id, c)
		}
		key := [2]string{id.Name(), id.Variant()}
		assert.False(t, seen[key], "%s: (name, variant) is unique", id)
		seen[key] = true
		for _, c := range id.Sources().Slice() {
			if id.IsLocal() {
				break // the per-class counts are the seed's
			}
			if perClass[c] == nil {
				perClass[c] = map[string]bool{}
			}
			perClass[c][id.String()] = true
		}
		for _, d := range id.DNTypes() {
			assert.True(t, id.Sources().Has(d.Class()), "%s: DN type %s belongs to one of its classes", id, d)
		}
		if id.Variant() == "Virtual Queues" {
			assert.Equal(t, []object.DNType{object.DNVirtualQueue}, id.DNTypes(), "%s: a Virtual Queues row is for virtual queue DNs", id)
		}
	}
	assert.False(t, action.None.Valid())
	assert.False(t, action.ID(action.Count+1).Valid())
	assert.Equal(t, "", action.ID(action.Count+1).Name(), "out-of-range IDs read as zero")
	// Rows of seed origin per class are the seed table's.
	counts := map[string]int{}
	for c, rows := range perClass {
		counts[c.String()] = len(rows)
	}
	assert.Equal(t, seedShape.perClass, counts, "rows of seed origin per source class")
}

// TestLookupEveryNameOnEveryClass checks that every action name resolves on every class it
// occurs on without a variant, except for the (name, class) pairs documented as ambiguous.
func TestLookupEveryNameOnEveryClass(t *testing.T) {
	t.Parallel()
	// "Name on class" pairs that need a variant (ErrAmbiguous). None today: where a name has
	// several rows on one class, one has no variant or no DN types and is the default.
	documentedAmbiguous := map[string]bool{}
	type pair struct {
		name  string
		class object.SourceClass
	}
	rowsOf := map[pair][]action.ID{}
	var pairs []pair
	for _, id := range action.AllIDs() {
		for _, c := range id.Sources().Slice() {
			p := pair{id.Name(), c}
			if rowsOf[p] == nil {
				pairs = append(pairs, p)
			}
			rowsOf[p] = append(rowsOf[p], id)
		}
	}
	for _, p := range pairs {
		got, err := action.Lookup(p.name, p.class, "", object.DNNone)
		label := fmt.Sprintf("%s on %s", p.name, p.class)
		if documentedAmbiguous[label] {
			assert.ErrorIs(t, err, action.ErrAmbiguous, label)
			continue
		}
		if !assert.NoError(t, err, label) {
			continue
		}
		assert.Contains(t, rowsOf[p], got, label)
		if len(rowsOf[p]) == 1 {
			assert.Equal(t, rowsOf[p][0], got, label)
		}
	}
}

func TestLookupEveryRow(t *testing.T) {
	t.Parallel()
	for _, id := range action.AllIDs() {
		for _, c := range id.Sources().Slice() {
			got, err := action.Lookup(id.Name(), c, id.Variant(), object.DNNone)
			if assert.NoError(t, err, "%s on %s", id, c) {
				assert.Equal(t, id, got, "%s on %s with its own variant", id, c)
			}
			for _, d := range id.DNTypes() {
				got, err := action.Lookup(id.Name(), c, "", d)
				if assert.NoError(t, err, "%s on %s DN", id, d) {
					assert.Equal(t, id, got, "%s on a %s DN without variant", id, d)
				}
			}
		}
	}
}

func TestLookupCases(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, action, variant string
		class                 object.SourceClass
		dn                    object.DNType
		want                  action.ID
	}{
		{"virtual queue DN selects the Virtual Queues row", "CallAnswered", "", object.ClassMediationDN, object.DNVirtualQueue, action.CallAnsweredVirtualQueues},
		{"ACD queue DN selects the Mediation DNs row", "CallAnswered", "", object.ClassMediationDN, object.DNACDQueue, action.CallAnsweredMediationDNs},
		{"unknown DN type selects the Mediation DNs row", "CallAnswered", "", object.ClassMediationDN, object.DNNone, action.CallAnsweredMediationDNs},
		{"explicit variant wins over the DN type", "CallAnswered", "Mediation DNs", object.ClassMediationDN, object.DNVirtualQueue, action.CallAnsweredMediationDNs},
		{"regular DN row", "CallAnswered", "", object.ClassRegularDN, object.DNExtension, action.CallAnsweredRegularDNs},
		{"InteractionAccepted on a tenant is the row without variant", "InteractionAccepted", "", object.ClassTenant, object.DNNone, action.InteractionAccepted},
		{"InteractionAccepted (Tenants) by variant", "InteractionAccepted", "Tenants", object.ClassTenant, object.DNNone, action.InteractionAcceptedTenants},
		{"a name extending a family resolves to it", "CallObservedInbound", "", object.ClassRegularDN, object.DNNone, action.CallObserved},
		{"the family name itself", "CallObserving", "", object.ClassRegularDN, object.DNNone, action.CallObserving},
		{"renamed row by its spec name", "StuckCallCleanedWhileRinging", "", object.ClassRegularDN, object.DNNone, action.StuckCallCleanedWhileRingingRegularDNs},
		{"same name, other kind per class", "AgentLogin", "", object.ClassMediationDN, object.DNNone, action.AgentLoginMediationDNs},
		{"agent workbin row", "InteractionAccepted", "", object.ClassAgentWorkbin, object.DNNone, action.InteractionAcceptedAgentWorkbin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := action.Lookup(tc.action, tc.class, tc.variant, tc.dn)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	assert.Equal(t, action.KindMomentary, action.AgentLoginRegularDNs.Kind())
	assert.Equal(t, action.KindDurable, action.AgentLoginMediationDNs.Kind())
}

func TestLookupErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, action, variant string
		class                 object.SourceClass
		dn                    object.DNType
		is                    error
		msg                   string
	}{
		{"wrong class names the valid classes", "CallInbound", "", object.ClassMediationDN, object.DNNone, action.ErrNotApplicable,
			`action not applicable: "CallInbound" occurs on regular_dn, not on mediation_dn`},
		{"wrong class of a multi-class name", "AgentLogin", "", object.ClassTenant, object.DNNone, action.ErrNotApplicable,
			`action not applicable: "AgentLogin" occurs on regular_dn, mediation_dn, not on tenant`},
		{"unknown name", "CallTeleported", "", object.ClassRegularDN, object.DNNone, action.ErrUnknown,
			`unknown action "CallTeleported"`},
		{"unknown variant", "CallAnswered", "Tenants", object.ClassMediationDN, object.DNNone, action.ErrUnknownVariant,
			`unknown action variant "Tenants" for "CallAnswered" on mediation_dn (known: "Mediation DNs", "Virtual Queues")`},
		{"variant of another class", "CallAnswered", "Regular DNs", object.ClassMediationDN, object.DNNone, action.ErrUnknownVariant,
			`unknown action variant "Regular DNs" for "CallAnswered" on mediation_dn (known: "Mediation DNs", "Virtual Queues")`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := action.Lookup(tc.action, tc.class, tc.variant, tc.dn)
			assert.Equal(t, action.None, got)
			require.ErrorIs(t, err, tc.is)
			assert.EqualError(t, err, tc.msg)
		})
	}
}

// TestLookupAllocs is not parallel: AllocsPerRun counts the allocations of the whole process.
func TestLookupAllocs(t *testing.T) {
	for _, tc := range []struct {
		action string
		class  object.SourceClass
		dn     object.DNType
	}{
		{"CallAnswered", object.ClassMediationDN, object.DNVirtualQueue},
		{"CallInbound", object.ClassRegularDN, object.DNNone},
		{"CallObservedInbound", object.ClassRegularDN, object.DNNone},
		{"InteractionAccepted", object.ClassTenant, object.DNNone},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := action.Lookup(tc.action, tc.class, "", tc.dn); err != nil {
				panic(err)
			}
		})
		assert.Zero(t, allocs, "Lookup(%s on %s) allocates", tc.action, tc.class)
	}
}

func TestParseIDRoundTrip(t *testing.T) {
	t.Parallel()
	for _, id := range action.AllIDs() {
		got, err := action.ParseID(id.String())
		if assert.NoError(t, err, id.String()) {
			assert.Equal(t, id, got)
		}
	}
	// A bare name resolves when it has one row, or exactly one row without a variant.
	got, err := action.ParseID("InteractionAccepted")
	require.NoError(t, err)
	assert.Equal(t, action.InteractionAccepted, got)
	_, err = action.ParseID("CallAnswered")
	require.ErrorIs(t, err, action.ErrAmbiguous)
	assert.EqualError(t, err, `ambiguous action "CallAnswered": name one of "CallAnswered (Regular DNs)", "CallAnswered (Mediation DNs)", "CallAnswered (Virtual Queues)"`)
	_, err = action.ParseID("CallAnswered (Tenants)")
	assert.ErrorIs(t, err, action.ErrUnknown)
}

// textEnum is what every generated enum implements.
type textEnum interface {
	comparable
	fmt.Stringer
	encoding.TextMarshaler
}

// roundTrip checks MarshalText/UnmarshalText and String for every value, and that the
// zero value does not marshal.
func roundTrip[T textEnum, P interface {
	*T
	encoding.TextUnmarshaler
}](t *testing.T, all []T) {
	t.Helper()
	require.NotEmpty(t, all)
	for _, v := range all {
		text, err := v.MarshalText()
		require.NoError(t, err, "%v", v)
		assert.Equal(t, v.String(), string(text))
		var back T
		require.NoError(t, P(&back).UnmarshalText(text), "%s", text)
		assert.Equal(t, v, back)
	}
	var zero T
	_, err := zero.MarshalText()
	assert.Error(t, err, "the zero %T does not marshal", zero)
	var bad T
	assert.Error(t, P(&bad).UnmarshalText([]byte("no such value")), "%T", bad)
}

func TestTextRoundTrip(t *testing.T) {
	t.Parallel()
	t.Run("action.ID", func(t *testing.T) { roundTrip(t, action.AllIDs()) })
	t.Run("action.Kind", func(t *testing.T) { roundTrip(t, action.AllKinds()) })
	t.Run("action.Role", func(t *testing.T) { roundTrip(t, action.AllRoles()) })
	t.Run("object.SourceClass", func(t *testing.T) { roundTrip(t, object.AllSourceClasses()) })
	t.Run("object.Type", func(t *testing.T) { roundTrip(t, object.AllTypes()) })
	t.Run("object.DNType", func(t *testing.T) { roundTrip(t, object.AllDNTypes()) })
	t.Run("object.Group", func(t *testing.T) { roundTrip(t, object.AllGroups()) })
	t.Run("status.Table", func(t *testing.T) { roundTrip(t, status.AllTables()) })
	t.Run("category.Category", func(t *testing.T) { roundTrip(t, category.AllCategories()) })
	t.Run("category.Subject", func(t *testing.T) { roundTrip(t, category.AllSubjects()) })
	t.Run("category.Kind", func(t *testing.T) { roundTrip(t, category.AllKinds()) })
	t.Run("category.Unit", func(t *testing.T) { roundTrip(t, category.AllUnits()) })
	t.Run("category.Support", func(t *testing.T) { roundTrip(t, category.AllSupports()) })
}

func TestStatusTables(t *testing.T) {
	t.Parallel()
	require.NotEmpty(t, status.AllTables())
	for _, tb := range status.AllTables() {
		statuses := tb.Statuses()
		require.NotEmpty(t, statuses, "table %s", tb)
		for i, a := range statuses {
			assert.Equal(t, action.KindDurable, a.Kind(), "table %s: status %s is durable", tb, a)
			assert.True(t, a.Sources().Has(tb.Class()), "table %s: status %s occurs on %s", tb, a, tb.Class())
			assert.Equal(t, i+1, tb.Priority(a), "table %s: priority of %s", tb, a)
		}
		for _, o := range tb.Objects().Slice() {
			assert.True(t, tb.Class().Reaches().Has(o), "table %s: %s is reached by %s", tb, o, tb.Class())
			assert.Equal(t, tb, status.ForType(o), "table %s decides the status of %s", tb, o)
		}
	}
	assert.Equal(t, 0, status.TableRegularDN.Priority(action.CallAnsweredRegularDNs), "not a status")
	assert.Equal(t, 0, status.TableRegularDN.Priority(action.None))
	// DOMAIN.md §5, with ASM_Engaged/ASM_Outbound between CallOnHold and CallUnknown.
	names := func(ids []action.ID) (out []string) {
		for _, id := range ids {
			out = append(out, id.Name())
		}
		return out
	}
	assert.Equal(t, []string{"NotMonitored", "Monitored", "LoggedIn", "OnHook", "WaitForNextCall", "OffHook", "CallDialing",
		"CallRinging", "NotReadyForNextCall", "AfterCallWork", "CallOnHold", "ASM_Engaged", "ASM_Outbound", "CallUnknown",
		"CallConsult", "CallInternal", "CallOutbound", "CallInbound", "LoggedOut"}, names(status.TableRegularDN.Statuses()))
	assert.Equal(t, []string{"NotMonitored", "Monitored"}, names(status.TableMediationDN.Statuses()))
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, r := range []action.Role{action.RoleLogin, action.RoleLoggedOut, action.RoleHold} {
		assert.Len(t, r.Actions(), 1, "exactly one action has role %s", r)
	}
	assert.Equal(t, []action.ID{action.LoggedIn}, action.RoleLogin.Actions())
	assert.Equal(t, []action.ID{action.LoggedOut}, action.RoleLoggedOut.Actions())
	assert.Equal(t, []action.ID{action.CallOnHold}, action.RoleHold.Actions())
	for _, r := range action.AllRoles() {
		for _, a := range r.Actions() {
			assert.Equal(t, action.KindDurable, a.Kind(), "role %s on %s needs a durable action", r, a)
			assert.True(t, a.HasRole(r))
		}
	}
	// A hold hides the call-type actions from status, so CallOnHold must rank below every
	// call type (all of them statuses of the regular DN table).
	hold := status.TableRegularDN.Priority(action.CallOnHold)
	require.NotZero(t, hold)
	for _, a := range action.RoleCallType.Actions() {
		p := status.TableRegularDN.Priority(a)
		assert.Greater(t, p, hold, "call type %s is a status above CallOnHold", a)
	}
}

// categoryOrder is the Stat Server library order of DOMAIN.md §3.3 (ordinal = position).
var categoryOrder = []string{
	"TotalTime", "TotalNumber", "AverageTime", "MaxTime", "MinTime", "ElapsedTimePercentage", "RelativeTimePercentage",
	"RelativeNumberPercentage", "TotalNumberInTimeRange", "TotalNumberInTimeRangePercentage", "CurrentState", "CurrentTime",
	"CurrentNumber", "CurrentMaxTime", "CurrentMinTime", "CurrentAverageTime", "CurrentRelativeTimePercentage",
	"CurrentRelativeNumberPercentage", "CurrentNumberInTimeRange", "CurrentNumberInTimeRangePercentage", "TotalNumberPerSecond",
	"EstimTimeToEndCurrentNumber", "ServiceFactor1", "LoadBalance1", "TotalNumberErrors", "TotalCustomValue", "AverageCustomValue",
	"MinCustomValue", "MaxCustomValue", "CurrentCustomValue", "CurrentAverageCustomValue", "CurrentMinCustomValue",
	"CurrentMaxCustomValue", "EstimWaitingTime", "LoadBalance", "RelativeNumber", "EstimTimeToComplete", "AverageOfCurrentNumber",
	"AverageOfCurrentTime", "TotalAdjustedTime", "TotalAdjustedNumber", "CurrentStateReasons", "JavaCategory",
	"AverageNumberPerRelativeHour", "CurrentTargetState", "TotalTimeInTimeRange", "MinNumber", "MaxNumber", "CurrentDistinctNumber",
	"CurrentContinuousTime", "Formula", "TotalDistinctTime",
}

func TestCategories(t *testing.T) {
	t.Parallel()
	all := category.AllCategories()
	require.Len(t, all, 52)
	var got []string
	for i, c := range all {
		got = append(got, c.String())
		assert.Equal(t, i, c.Ordinal(), "%s: ordinal", c)
		assert.NotEmpty(t, c.Definition(), "%s: definition", c)
		assert.True(t, c.Kind().Valid(), "%s: kind", c)
		assert.True(t, c.Unit().Valid(), "%s: unit", c)
		assert.True(t, c.Support().Valid(), "%s: support", c)
		if c.UsesFormula() {
			assert.Equal(t, category.UnitCustom, c.Unit(), "%s: a formula category has a custom value", c)
		}
		if c.IsStructured() {
			assert.NotEqual(t, category.KindHistorical, c.Kind(), "%s: a structured value is not historical", c)
		}
	}
	assert.Equal(t, categoryOrder, got, "DOMAIN.md §3.3 library order")
	assert.Equal(t, 0, category.TotalTime.Ordinal())
	assert.Equal(t, 10, category.CurrentState.Ordinal())
	assert.Equal(t, 51, category.TotalDistinctTime.Ordinal())
	assert.True(t, category.CurrentState.IsStructured())
	assert.Equal(t, category.KindCurrent, category.CurrentNumber.Kind())
	assert.Equal(t, category.KindHistorical, category.TotalNumber.Kind())
	assert.True(t, category.TotalNumberInTimeRange.UsesTimeRange())
	assert.True(t, category.RelativeTimePercentage.UsesRelMask())
	for _, s := range category.AllSubjects() {
		assert.NotEmpty(t, s.Definition(), "subject %s: definition", s)
	}
}

func TestObjectModel(t *testing.T) {
	t.Parallel()
	assert.True(t, object.Compatible(object.TypeSetOf(object.TypeRegDN, object.TypeAgent)), "RegDN + Agent")
	assert.False(t, object.Compatible(object.TypeSetOf(object.TypeQueue, object.TypeAgent)), "Queue + Agent")
	assert.True(t, object.Compatible(object.TypeSetOf(object.TypeQueue, object.TypeGroupQueues, object.TypeTenant)))
	assert.True(t, object.Compatible(0), "the empty set")
	for _, ty := range object.AllTypes() {
		assert.NotZero(t, ty.Groups(), "%s belongs to a compatibility group", ty)
		assert.True(t, object.Compatible(object.TypeSetOf(ty)), "%s alone", ty)
		assert.True(t, object.Compatible(object.TypeSetOf(ty, object.TypeTenant)), "%s with Tenant", ty)
	}
	for _, c := range object.AllSourceClasses() {
		assert.True(t, c.Reaches().Has(object.TypeTenant), "%s reaches Tenant", c)
	}
	for _, d := range object.AllDNTypes() {
		assert.True(t, d.Class().Reaches().Has(d.ObjectType()), "DN type %s: its class reaches its object type", d)
	}
	assert.Equal(t, object.ClassMediationDN, object.DNVirtualQueue.Class())
	assert.Equal(t, object.TypeQueue, object.DNVirtualQueue.ObjectType())
	// Applicability.
	assert.True(t, action.CallInbound.Reaches().Has(object.TypeAgent))
	assert.False(t, action.CallInbound.Reaches().Has(object.TypeQueue))
	assert.True(t, action.CallAbandoned.Reaches().Has(object.TypeGroupQueues))
}

func TestErrorsAreDistinct(t *testing.T) {
	t.Parallel()
	errs := []error{action.ErrUnknown, action.ErrNotApplicable, action.ErrUnknownVariant, action.ErrAmbiguous}
	for i, a := range errs {
		for j, b := range errs {
			assert.Equal(t, i == j, errors.Is(a, b), "%v / %v", a, b)
		}
	}
}

// A variant that only names the class (as the DESIGN.md example sends "Mediation DNs" for
// CallAbandoned) is ignored for an action with no such row; one naming another class, or a
// typo, is still refused.
func TestLookupIgnoresAVariantThatNamesTheClass(t *testing.T) {
	id, err := action.Lookup("CallAbandoned", object.ClassMediationDN, "Mediation DNs", object.DNACDQueue)
	require.NoError(t, err)
	assert.Equal(t, action.CallAbandoned, id)
	_, err = action.Lookup("CallAbandoned", object.ClassMediationDN, "Mediatoin DNs", object.DNACDQueue)
	assert.ErrorIs(t, err, action.ErrUnknownVariant)
	_, err = action.Lookup("CallAnswered", object.ClassMediationDN, "Regular DNs", object.DNNone)
	assert.ErrorIs(t, err, action.ErrUnknownVariant)
}

func TestActionNames(t *testing.T) {
	t.Parallel()
	want := map[string]bool{}
	for _, id := range action.AllIDs() {
		want[id.Name()] = true
	}
	names := action.Names()
	assert.Len(t, names, len(want), "every name once")
	assert.True(t, sort.StringsAreSorted(names), "sorted")
	for _, n := range names {
		assert.True(t, want[n], "%s is the name of a row", n)
		assert.NotEmpty(t, action.ByName(n), n)
	}
	names[0] = "changed"
	assert.NotEqual(t, "changed", action.Names()[0], "a new slice each call")
}
