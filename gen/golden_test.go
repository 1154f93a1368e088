package gen_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/gen"
)

// goldenDir holds the expected outputs of the mini spec, at their repository paths.
var goldenDir = filepath.Join(miniDir, "golden")

// TestGoldenMini generates the mini spec and compares every output with
// testdata/mini/golden/<path>; -update rewrites the golden files (and removes stale ones).
func TestGoldenMini(t *testing.T) {
	t.Parallel()
	_, outs := generate(t, miniFiles(t))
	want := map[string]bool{}
	for _, o := range outs {
		want[o.Path] = true
		path := filepath.Join(goldenDir, filepath.FromSlash(o.Path))
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, o.Data, 0o644))
			continue
		}
		golden, err := os.ReadFile(path)
		if !assert.NoError(t, err, "missing golden file; run go test ./gen -run Golden -update") {
			continue
		}
		if string(golden) != string(o.Data) {
			t.Errorf("%s differs from its golden file (run go test ./gen -run Golden -update if the change is intended):\n%s",
				o.Path, diff(o.Path, golden, o.Data))
		}
	}
	// Every golden file is an output: none is left over from an output that went away.
	err := filepath.WalkDir(goldenDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(goldenDir, p)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !want[rel] {
			if *update {
				return os.Remove(p)
			}
			t.Errorf("golden file %s is no output of Generate; run go test ./gen -run Golden -update", rel)
		}
		return nil
	})
	require.NoError(t, err)
}

// TestGoldenMiniCompiles builds and vets the Go packages generated from the mini spec in
// a scratch module, so the golden files are known to be valid, standard-library-only Go.
func TestGoldenMiniCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	dir := t.TempDir()
	_, outs := generate(t, miniFiles(t))
	for _, o := range outs {
		if !strings.HasPrefix(o.Path, "generated/") { // Go files and what they embed
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(o.Path))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, o.Data, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+gen.Module+"\n\ngo 1.26\n"), 0o644))
	cmd := exec.Command(goTool, "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go vet of the generated mini packages:\n%s", out)
}

// newAction is appended to the mini actions.yaml by TestGoldenAddAction.
const newAction = `  - name: CallWait
    sources: [mediation_dn]
    kind: durable
    interaction: true
    summary: Lasts while a call waits at this queue to be distributed.
`

// TestGoldenAddAction adds one action to the mini spec and checks that it appears in the
// generated code and the docs, and that nothing unrelated changed.
func TestGoldenAddAction(t *testing.T) {
	t.Parallel()
	files := miniFiles(t)
	before, _ := generate(t, files)
	files.Actions.Data = append(append([]byte{}, files.Actions.Data...), newAction...)
	after, outs := generate(t, files)
	require.Len(t, after, len(before), "the same outputs")

	// Outputs that do not depend on the action list are byte-identical.
	for _, p := range []string{"generated/object/object.go", "generated/status/status.go", "generated/category/category.go",
		"generated/configschema/configschema.go", "docs/categories.md"} {
		assert.Equal(t, string(before[p]), string(after[p]), "%s changed", p)
	}

	code := string(after["generated/action/action.go"])
	assert.Contains(t, code, "\t// CallWait is CallWait: Lasts while a call waits at this queue to be distributed.\n"+
		"\t//\n"+
		"\t// Kind durable, interaction-related; sources: mediation_dn.\n"+
		"\tCallWait\n)\n", "the constant, last in the ID block, with its doc comment")
	assert.Contains(t, code, "const Count = 9\n")
	for _, table := range []struct{ name, last string }{
		{"_ID_text", `"CallWait"}`},
		{"_ID_name", `"CallWait"}`},
		{"_ID_variant", `""}`},
		{"_ID_seedName", `"CallWait"}`},
		{"_ID_kind", `KindDurable}`},
		{"_ID_sources", `object.ClassSet(1 << object.ClassMediationDN)}`},
		{"_ID_isInteraction", `true}`},
		{"_ID_isFamily", `false}`},
		{"_ID_summary", `"Lasts while a call waits at this queue to be distributed."}`},
		{"_ID_note", `""}`},
		{"_ID_dNTypes", `nil}`},
		{"_ID_roles", `RoleSet(0)}`},
		{"_ID_reaches", `object.TypeSet(1<<object.TypeQueue | 1<<object.TypeTenant)}`},
	} {
		line := lineStarting(code, "var "+table.name+" = ")
		assert.True(t, strings.HasSuffix(line, ", "+table.last), "%s ends with the new row: %s", table.name, line)
	}
	assert.Contains(t, code, "\t\"CallWait\":           {CallWait},\n", "the name index")

	assert.Contains(t, code, "InteractionCreated, CallWait}\n", "AllIDs")

	// In action.go only the tables indexed by ID, AllIDs and Count change.
	for _, l := range removedLines(before["generated/action/action.go"], after["generated/action/action.go"]) {
		switch {
		case strings.HasPrefix(l, "var _ID_"), strings.HasPrefix(l, "\treturn []ID{LoggedIn, "), l == "const Count = 8":
		default:
			t.Errorf("action.go: unrelated line changed: %q", l)
		}
	}

	doc := string(after["docs/actions.md"])
	assert.Contains(t, doc, "\n| CallWait | [mediation_dn](#action-callwait) |\n", "index entry")
	assert.Contains(t, doc, "\n| [CallWait](#action-callwait) | durable | yes | Lasts while a call waits at this queue to be distributed. |\n\n### Tenant",
		"row at the end of the mediation_dn table")
	assert.True(t, strings.HasSuffix(doc, "### <a id=\"action-callwait\"></a>CallWait\n\n"+
		"Lasts while a call waits at this queue to be distributed.\n\n"+
		"- Kind: durable\n- Interaction-related: yes\n- Sources: `mediation_dn`\n- Reaches: Queue, Tenant\n\n"),
		"section with its anchor, last in the reference")
	assert.Contains(t, doc, "9 rows, 8 distinct names (6 durable, 1 momentary, 2 retrospective)")
	for _, l := range removedLines(before["docs/actions.md"], after["docs/actions.md"]) {
		if !strings.HasPrefix(l, "The action table of statkit: 8 rows") {
			t.Errorf("actions.md: unrelated line changed: %q", l)
		}
	}

	// The config schema accepts the name in masks, with its summary, and excluded; only the
	// exclusion pattern line changes, the rest are added lines.
	schema := string(after["docs/config.schema.json"])
	assert.Equal(t, schema, string(after["generated/configschema/config.schema.json"]))
	for _, want := range []string{
		"\n            \"CallWait\",\n", // the mask enum
		"\"Lasts while a call waits at this queue to be distributed. Durable; reaches Queue, Tenant.\"",
		"|CallWait|", // the exclusion pattern
	} {
		assert.True(t, strings.Contains(schema, want), "config.schema.json lacks %q", want)
	}
	for _, l := range removedLines(before["docs/config.schema.json"], after["docs/config.schema.json"]) {
		if !strings.HasPrefix(strings.TrimSpace(l), `"pattern": "^~(?:`) {
			t.Errorf("config.schema.json: unrelated line changed: %q", l)
		}
	}

	// The event schema accepts the name; the event reference only counts it.
	assert.Contains(t, string(after["docs/event.schema.json"]), "\"CallWait\"")
	for _, l := range removedLines(before["docs/events.md"], after["docs/events.md"]) {
		if !strings.HasPrefix(l, "| `mediation_dn` |") && !strings.HasPrefix(l, "| durable |") {
			t.Errorf("events.md: unrelated line changed: %q", l)
		}
	}

	// The output order is unchanged.
	paths := make([]string, len(outs))
	for i, o := range outs {
		paths[i] = o.Path
	}
	assert.Equal(t, []string{"generated/object/object.go", "generated/action/action.go", "generated/status/status.go",
		"generated/category/category.go", "generated/configschema/configschema.go", "docs/actions.md", "docs/categories.md",
		"docs/config.schema.json", "generated/configschema/config.schema.json", "docs/events.md", "docs/event.schema.json"}, paths)
}

// lineStarting returns the first line of text that starts with prefix.
func lineStarting(text, prefix string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// removedLines returns the lines of old that a line diff to new deletes or replaces.
func removedLines(old, new []byte) []string {
	a, b := strings.Split(string(old), "\n"), strings.Split(string(new), "\n")
	var out []string
	for _, op := range difflib.NewMatcherWithJunk(a, b, false, nil).GetOpCodes() {
		if op.Tag == 'd' || op.Tag == 'r' {
			out = append(out, a[op.I1:op.I2]...)
		}
	}
	sort.Strings(out)
	return out
}

// diff is a unified diff from want to got.
func diff(name string, want, got []byte) string {
	text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(want)), B: difflib.SplitLines(string(got)),
		FromFile: "want/" + name, ToFile: "got/" + name, Context: 2,
	})
	if err != nil {
		return err.Error()
	}
	return text
}

// TestGoldenLocalActions adds two local actions to the mini spec: the reference counts and
// marks them, the generated table says they are local and have no seed spelling, and the
// TSV export gives their origin.
func TestGoldenLocalActions(t *testing.T) {
	t.Parallel()
	files := miniFiles(t)
	files.Actions.Data = append(append([]byte{}, files.Actions.Data...), `  - name: CallBargedIn
    sources: [regular_dn]
    kind: momentary
    interaction: true
    origin: local
    summary: A supervisor joined the call on this DN without being invited.
  - name: CallWhispered
    sources: [regular_dn]
    kind: momentary
    interaction: true
    origin: local
    summary: A supervisor spoke to the agent only, during the call on this DN.
`...)
	out, _ := generate(t, files)
	doc := string(out["docs/actions.md"])
	assert.Contains(t, doc, "\n2 rows are local extensions (`origin: local`, marked *local* below)")
	assert.Contains(t, doc, "| [CallWhispered](#action-callwhispered) *local* | momentary | yes |")
	assert.Contains(t, doc, "- Origin: local extension (`origin: local`): not a row of the Stat Server's action table\n")
	code := string(out["generated/action/action.go"])
	assert.True(t, strings.HasSuffix(lineStarting(code, "var _ID_isLocal = "), ", false, true, true}"), "the two new rows are local")
	assert.True(t, strings.HasSuffix(lineStarting(code, "var _ID_seedName = "), `"InteractionCreated", "", ""}`), "no seed spelling")
	assert.Contains(t, code, "// Kind momentary, interaction-related; sources: regular_dn. A local extension: the Stat\n")

	m, err := gen.Load(files)
	require.NoError(t, err)
	var tsv strings.Builder
	require.NoError(t, gen.ExportTSV(&tsv, m))
	assert.Contains(t, tsv.String(), "\nCallBargedIn\t\t1\t0\t0\t0\t0\t1\t0\t1\t0\tlocal\n")
	assert.Contains(t, tsv.String(), "\nLoggedIn\t\t1\t0\t0\t0\t0\t0\t1\t0\t0\tseed\n")
}
