package gen_test

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/generated/action"
)

// seedFile is the seed action table (the Stat Server documentation's "Summary of Stat
// Server Actions" as text). It is not part of the repository: it lives next to it, in
// ../shared/seed. The seed comparison is the only test that reads outside the repository;
// it skips, saying so, when the file is absent, except in CI (CI=true), where it must run.
const seedFile = "../../shared/seed/000_aa906c0e94c928aa.txt"

// seedColumns names gen.SeedRow.Cells: the TSV export's columns after action and variant,
// before origin.
func seedColumns() []string { return gen.TSVColumns()[2:11] }

// seedShape is the shape of the Stat Server's action table: facts about the seed, not
// about the spec. TestParseSeedCounts checks them against the seed file itself; the spec
// tests check them against the spec's rows of seed origin (every row not marked
// origin: local), so adding a local action changes none of them.
var seedShape = struct {
	rows, names               int
	durable, momentary, retro int
	perClass                  map[string]int // rows per source class
	renamedNames              int            // seed names the spec merges into another (InteractionAccepted1, StuckCallCleanedWhileRingg)
}{
	rows: 177, names: 145, durable: 56, momentary: 48, retro: 73,
	// The 8 Agent Workbin rows have no class cell in the seed; the spec gives them agent_workbin.
	perClass: map[string]int{"regular_dn": 71, "media_channel": 38, "mediation_dn": 33, "staging_area": 13,
		"tenant": 14, "agent_workbin": 8},
	renamedNames: 2,
}

// seedActions returns the spec's rows of seed origin, in spec order: the rows the seed
// table has, one for one.
func seedActions(m *gen.Model) []*gen.Action {
	var out []*gen.Action
	for _, a := range m.Actions {
		if !a.Local() {
			out = append(out, a)
		}
	}
	return out
}

// Cell indexes of gen.SeedRow.Cells.
const (
	cellRegularDN = iota
	cellMediaChannel
	cellMediationDN
	cellStagingArea
	cellTenant
	cellIxn
	cellDurable
	cellMomentary
	cellRetrospective
)

// seedRows parses the seed file. Outside CI a missing file skips the test; in CI
// (CI=true) it fails it, so the spec is always checked against the seed there.
func seedRows(t *testing.T) []gen.SeedRow {
	t.Helper()
	f, err := os.Open(seedFile)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("seed table %s is missing; CI must compare the spec with it", seedFile)
		}
		t.Skipf("the seed table %s is not beside the repository, so the spec is not compared with it "+
			"(CI=true makes this a failure)", seedFile)
	}
	require.NoError(t, err)
	defer f.Close()
	rows, err := gen.ParseSeed(f)
	require.NoError(t, err)
	return rows
}

func TestParseSeedCounts(t *testing.T) {
	t.Parallel()
	rows := seedRows(t)
	require.Len(t, rows, seedShape.rows)
	names := map[string]bool{}
	var kinds, perClass [9]int
	for _, r := range rows {
		names[r.Name] = true
		n := 0
		for c := cellDurable; c <= cellRetrospective; c++ {
			if r.Cells[c] {
				kinds[c]++
				n++
			}
		}
		assert.Equal(t, 1, n, "line %d %s: exactly one kind cell must be set", r.Line, r.Name)
		for c := cellRegularDN; c <= cellTenant; c++ {
			if r.Cells[c] {
				perClass[c]++
			}
		}
	}
	assert.Len(t, names, seedShape.names, "distinct names")
	assert.Equal(t, seedShape.durable, kinds[cellDurable], "durable rows")
	assert.Equal(t, seedShape.momentary, kinds[cellMomentary], "momentary rows")
	assert.Equal(t, seedShape.retro, kinds[cellRetrospective], "retrospective rows")
	var want [9]int
	noClass := len(rows)
	for c := cellRegularDN; c <= cellTenant; c++ {
		want[c] = seedShape.perClass[seedColumns()[c]]
		noClass -= perClass[c]
	}
	assert.Equal(t, want, perClass, "rows per class column")
	assert.Equal(t, seedShape.perClass["agent_workbin"], noClass, "rows without a class cell (Agent Workbin)")
}

func TestParseSeedQuirks(t *testing.T) {
	t.Parallel()
	const seed = "## Summary of Stat Server Actions\n" +
		"\n" +
		"Action\tRegular DN/SIP DN Objects\tAgent/Place Media Channels\tMediation DN Objects\tStaging Area DN Objects\tTenant Objects\tIxn-Related\tDurable\tInstantaneous (Momentary)\tInstantaneous (Retrospective)\n" +
		"Accepted\t\t✓\t\t\t\t✓\t\t\t✓\n" +
		"CallAbandonedFromDialing ✓\t\t\t\t\t\t✓\t\t\t✓\n" +
		"CallAbandonedFromRinging (Regular DNs) ✓\t\t\t\t\t\t✓\t\t\t✓\n" +
		"InteractionAccepted (Agent Workbin)\t\t\t\t\t\t✓\t\t\t✓\n" +
		"Prose with no check mark is skipped.\n" +
		"LoggedIn\t✓\t\t\t\t\t\t✓\t\t\n"
	rows, err := gen.ParseSeed(strings.NewReader(seed))
	require.NoError(t, err)
	cells := func(set ...int) (c [9]bool) {
		for _, i := range set {
			c[i] = true
		}
		return c
	}
	assert.Equal(t, []gen.SeedRow{
		{Line: 4, Name: "Accepted", Cells: cells(cellMediaChannel, cellIxn, cellRetrospective)},
		{Line: 5, Name: "CallAbandonedFromDialing", Cells: cells(cellRegularDN, cellIxn, cellRetrospective)},
		{Line: 6, Name: "CallAbandonedFromRinging", Variant: "Regular DNs", Cells: cells(cellRegularDN, cellIxn, cellRetrospective)},
		{Line: 7, Name: "InteractionAccepted", Variant: "Agent Workbin", Cells: cells(cellIxn, cellRetrospective)},
		{Line: 9, Name: "LoggedIn", Cells: cells(cellRegularDN, cellDurable)},
	}, rows)
}

func TestParseSeedErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, line, want string }{
		{"too many cells", "X\t✓\t\t\t\t\t\t✓\t\t\t✓", "seed line 1: 10 cells, want at most 9"},
		{"bad cell", "X\t✓\tx\t\t\t\t\t✓\t\t", `seed line 1: cell 2 (media_channel) is "x", want "✓" or empty`},
		{"unclosed variant", "X (Regular DNs\t✓\t\t\t\t\t\t✓\t\t", `seed line 1: malformed variant in "X (Regular DNs"`},
		{"no name", "\t✓\t\t\t\t\t\t✓\t\t", `seed line 1: bad action name ""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := gen.ParseSeed(strings.NewReader(tc.line + "\n"))
			require.EqualError(t, err, tc.want)
		})
	}
}

// seedName returns the name the seed gives an action row: its SeedName when the spec
// renamed it (InteractionAccepted1, StuckCallCleanedWhileRingg, CallObserved..., ...).
func seedName(a *gen.Action) string {
	if a.SeedName != "" {
		return a.SeedName
	}
	return a.Name
}

// specCells are the nine seed cells an action row of the spec stands for.
func specCells(a *gen.Action) (c [9]bool) {
	for _, s := range a.Sources {
		for i, col := range seedColumns()[:cellIxn] {
			if s.Name == col {
				c[i] = true
			}
		}
	}
	c[cellIxn] = a.Interaction
	c[cellDurable] = a.Kind == "durable"
	c[cellMomentary] = a.Kind == "momentary"
	c[cellRetrospective] = a.Kind == "retrospective"
	return c
}

// TestSpecMatchesSeed compares every cell of every seed row with the spec, row i of the
// seed being the i-th action of seed origin; local actions (origin: local) are accepted
// anywhere, as long as the seed has no such row.
func TestSpecMatchesSeed(t *testing.T) {
	t.Parallel()
	checkSpecMatchesSeed(t, seedRows(t), embeddedModel(t))
}

// checkSpecMatchesSeed is TestSpecMatchesSeed on any model (the README's example runs it
// on the spec with the example's action added).
func checkSpecMatchesSeed(t *testing.T, rows []gen.SeedRow, m *gen.Model) {
	t.Helper()
	seeded := seedActions(m)
	require.Len(t, seeded, len(rows), "one spec action of seed origin per seed row; mark an action of your own origin: local")
	inSeed := map[string]int{}
	for _, r := range rows {
		inSeed[r.Name+"\x00"+r.Variant] = r.Line
	}
	for _, a := range m.Actions {
		if line, dup := inSeed[a.Name+"\x00"+a.Variant]; a.Local() && dup {
			t.Errorf("action %s is marked origin: local but is the seed's row at line %d", a.Key(), line)
		}
	}
	for i, r := range rows {
		a := seeded[i]
		where := "seed line " + strconv.Itoa(r.Line) + " ↔ action " + a.Key()
		assert.Equal(t, r.Name, seedName(a), "%s: name", where)
		assert.Equal(t, r.Variant, a.Variant, "%s: variant", where)
		assert.Equal(t, r.Cells, specCells(a), "%s: cells %v", where, seedColumns())
		workbin := len(a.Sources) == 1 && a.Sources[0].Name == "agent_workbin"
		noClass := !r.Cells[cellRegularDN] && !r.Cells[cellMediaChannel] && !r.Cells[cellMediationDN] &&
			!r.Cells[cellStagingArea] && !r.Cells[cellTenant]
		assert.Equal(t, noClass, workbin, "%s: a seed row without a class cell is an agent_workbin row", where)
		if workbin {
			assert.Equal(t, "Agent Workbin", r.Variant, "%s: agent_workbin rows are the seed's Agent Workbin rows", where)
		}
	}
	// The renames DESIGN.md §2 decides, and nothing else.
	renamed := map[string]string{}
	for _, a := range seeded {
		if a.SeedName != "" {
			renamed[a.SeedName] = a.Key()
		}
	}
	assert.Equal(t, map[string]string{
		"InteractionAccepted1":       "InteractionAccepted",
		"StuckCallCleanedWhileRingg": "StuckCallCleanedWhileRinging (Regular DNs)",
		"CallObserved...":            "CallObserved",
		"CallObserving...":           "CallObserving",
	}, renamed)
}

// TestExportTSVMatchesSeed checks that `statkit spec export --format tsv` reproduces the
// seed table row for row (its rows of origin seed): same cells, names as the spec
// (renamed) spells them.
func TestExportTSVMatchesSeed(t *testing.T) {
	t.Parallel()
	rows := seedRows(t)
	m := embeddedModel(t)
	var buf bytes.Buffer
	require.NoError(t, gen.ExportTSV(&buf, m))
	sc := bufio.NewScanner(&buf)
	require.True(t, sc.Scan(), "header line")
	assert.Equal(t, "action\tvariant\tregular_dn\tmedia_channel\tmediation_dn\tstaging_area\ttenant\tixn_related\tdurable\tmomentary\tretrospective\torigin", sc.Text())
	seeded := seedActions(m)
	i, local := 0, 0
	for line := 2; sc.Scan(); line++ {
		fields := strings.Split(sc.Text(), "\t")
		require.Len(t, fields, 12, "tsv line %d", line)
		require.Contains(t, []string{"seed", "local"}, fields[11], "tsv line %d: origin", line)
		if fields[11] == "local" {
			local++
			continue
		}
		require.Less(t, i, len(rows), "more tsv rows of seed origin than seed rows")
		r, a := rows[i], seeded[i]
		where := "tsv line " + strconv.Itoa(line) + " ↔ seed line " + strconv.Itoa(r.Line)
		assert.Equal(t, a.Name, fields[0], "%s: action", where)
		assert.Equal(t, r.Variant, fields[1], "%s: variant", where)
		var cells [9]bool
		for j, f := range fields[2:11] {
			require.Contains(t, []string{"0", "1"}, f, "%s: cell %s", where, seedColumns()[j])
			cells[j] = f == "1"
		}
		assert.Equal(t, r.Cells, cells, "%s: cells %v", where, seedColumns())
		i++
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, len(rows), i, "tsv rows of seed origin")
	assert.Equal(t, len(m.Actions)-len(seeded), local, "tsv rows of local origin")
}

// TestGeneratedSeedNames checks action.ID.SeedName, the seed's spelling of each row
// (variant included), against the seed; a local action has none.
func TestGeneratedSeedNames(t *testing.T) {
	t.Parallel()
	rows := seedRows(t)
	var ids []action.ID
	for _, id := range action.AllIDs() {
		if id.IsLocal() {
			assert.Empty(t, id.SeedName(), "%s is local: no seed spelling", id)
			continue
		}
		ids = append(ids, id)
	}
	require.Len(t, ids, len(rows), "one action of seed origin per seed row")
	for i, r := range rows {
		want := r.Name
		if r.Variant != "" {
			want += " (" + r.Variant + ")"
		}
		assert.Equal(t, want, ids[i].SeedName(), "seed line %d", r.Line)
	}
}
