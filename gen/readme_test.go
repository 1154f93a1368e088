package gen_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/generated/configschema"
	"github.com/statkit/statkit/internal/yamlpos"
)

// readmeExample is the README's worked example of adding an action: the YAML entry, the
// error it quotes for a wrong kind, and the entry decoded.
type readmeExample struct {
	snippet   []byte // the entry as the README shows it, ending in a newline
	wrongKind string // the kind the README's error example uses (`kind: instant`)
	errLine   string // the error the README quotes for it
	entry     struct {
		Name        string   `yaml:"name"`
		Sources     []string `yaml:"sources"`
		Kind        string   `yaml:"kind"`
		Interaction bool     `yaml:"interaction"`
		Origin      string   `yaml:"origin"`
		Summary     string   `yaml:"summary"`
	}
}

// readReadmeExample takes the example from README.md the way a reader (and the stop hook
// that replays it) does: the first ```yaml block after the first line mentioning "adding an
// action".
func readReadmeExample(t *testing.T) readmeExample {
	t.Helper()
	readme := mustRead(t, filepath.Join(repoRoot(t), "README.md"))
	var x readmeExample
	var snippet bytes.Buffer
	state := 0 // 0: before the heading, 1: before the block, 2: in it, 3: done
	errRE := regexp.MustCompile(`^spec/actions\.yaml:\d+:\d+: action "`)
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case state == 0 && strings.Contains(strings.ToLower(line), "adding an action"):
			state = 1
		case state == 1 && strings.HasPrefix(line, "```yaml"):
			state = 2
		case state == 2 && strings.HasPrefix(line, "```"):
			state = 3
		case state == 2:
			snippet.WriteString(line + "\n")
		case state == 3 && x.errLine == "" && errRE.MatchString(line):
			x.errLine = line
		}
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 3, state, "README.md has no ```yaml block after a line about adding an action")
	x.snippet = snippet.Bytes()
	var list []yaml.Node
	require.NoError(t, yaml.Unmarshal(x.snippet, &list), "the README's entry is a YAML list item:\n%s", x.snippet)
	require.Len(t, list, 1, "the README's example adds one action")
	require.NoError(t, list[0].Decode(&x.entry))
	m := regexp.MustCompile("say `kind: ([a-z]+)`").FindSubmatch(readme)
	require.NotNil(t, m, "README.md names the wrong kind of its error example (say `kind: ...`)")
	x.wrongKind = string(m[1])
	require.NotEmpty(t, x.errLine, "README.md quotes the generator's error for the wrong kind")
	return x
}

// withEntry returns the spec files with entry appended to actions.yaml. When the spec
// already holds the entry (the example was applied, as the stop hook does before running
// this test), it is taken out first, so the example is performed on the spec without it.
func withEntry(t *testing.T, files gen.Files, snippet, entry []byte) gen.Files {
	t.Helper()
	base := files.Actions.Data
	if i := bytes.Index(base, snippet); i >= 0 {
		base = append(append([]byte{}, base[:i]...), base[i+len(snippet):]...)
	}
	files.Actions.Data = append(append([]byte{}, base...), entry...)
	return files
}

// TestReadmeAddAction performs the README's worked example on a copy of the spec: it adds
// the README's entry, generates every output into a temporary directory, checks the
// invariants and the seed comparison on the result, builds and tests the generated Go
// packages there, and checks the config schema, the event schema and the reference. It
// also checks the error the README quotes for a wrong entry.
func TestReadmeAddAction(t *testing.T) {
	t.Parallel()
	x := readReadmeExample(t)
	files, err := gen.EmbeddedFiles()
	require.NoError(t, err)
	files = withEntry(t, files, x.snippet, x.snippet)
	m, err := gen.Load(files)
	require.NoError(t, err, "the spec with the README's entry loads")

	var added *gen.Action
	for _, a := range m.Actions {
		if a.Name == x.entry.Name {
			added = a
		}
	}
	require.NotNil(t, added, "the model has %s", x.entry.Name)
	assert.True(t, added.Local(), "the README's action is a local extension")
	assert.Equal(t, x.entry.Kind, added.Kind)
	reaches := map[string]bool{}
	for _, ty := range added.Reaches(m) {
		reaches[ty.Name] = true
	}
	assert.True(t, reaches["Agent"], "a regular-DN action reaches agents")
	assert.False(t, reaches["Queue"], "the README: masks refuse it for queue objects, which it never reaches")

	// The invariants of the spec tests, and the seed comparison when the seed is there.
	checkModel(t, m)
	if _, err := os.Stat(seedFile); err == nil || os.Getenv("CI") == "true" {
		checkSpecMatchesSeed(t, seedRows(t), m)
	}

	// Generate into a temporary directory, as go generate would into the repository.
	dir := t.TempDir()
	outs, err := gen.Generate(m)
	require.NoError(t, err)
	_, err = gen.Sync(dir, outs, true)
	require.NoError(t, err)

	doc := string(mustRead(t, filepath.Join(dir, "docs", "actions.md")))
	assert.Contains(t, doc, fmt.Sprintf("### <a id=\"%s\"></a>%s\n\n%s\n", added.Anchor(), added.Key(), x.entry.Summary))
	assert.Contains(t, doc, fmt.Sprintf("| [%s](#%s) *local* |", added.Key(), added.Anchor()))
	assert.Contains(t, doc, "- Origin: local extension")
	assert.Contains(t, doc, "1 row is a local extension (`origin: local`")

	// The config schema written there accepts the name in a mask, and refuses a typo.
	schema, err := yamlpos.CompileSchema(configschema.URL, mustRead(t, filepath.Join(dir, "docs", "config.schema.json")))
	require.NoError(t, err)
	statType := "statTypes:\n  Barges: {objects: [Agent], category: TotalNumber, subject: DNAction, mainMask: [%s]}\n"
	assert.Empty(t, validateConfig(t, schema, "c.yaml", fmt.Appendf(nil, statType, x.entry.Name)))
	assert.NotEmpty(t, validateConfig(t, schema, "c.yaml", fmt.Appendf(nil, statType, x.entry.Name+"x")))

	// The event schema written there offers it, described, for its source classes.
	events := string(mustRead(t, filepath.Join(dir, "docs", "event.schema.json")))
	assert.Contains(t, events, fmt.Sprintf("%q", x.entry.Name))
	assert.Contains(t, events, x.entry.Summary)

	testGeneratedExample(t, dir, x, added.GoName(), len(m.Actions))

	// The error the README quotes, for the entry with a wrong kind.
	wrong := bytes.Replace(x.snippet, []byte("kind: "+x.entry.Kind), []byte("kind: "+x.wrongKind), 1)
	require.NotEqual(t, x.snippet, wrong)
	files, err = gen.EmbeddedFiles()
	require.NoError(t, err)
	assert.Equal(t, []string{x.errLine}, loadErrors(t, withEntry(t, files, x.snippet, wrong)),
		"the README quotes the generator's error for `kind: %s`", x.wrongKind)
}

// testGeneratedExample builds the generated packages in dir as a scratch module and runs
// a test there against the new action: it exists with its attributes, resolves on its
// source classes and nowhere else, and every row still round-trips through Lookup and
// ParseID.
func testGeneratedExample(t *testing.T, dir string, x readmeExample, goName string, count int) {
	t.Helper()
	if testing.Short() {
		t.Log("-short: the generated packages are not built")
		return
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Log("go tool not found: the generated packages are not built")
		return
	}
	// Only the Go packages (and the schema configschema embeds) make the scratch module.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "docs")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+gen.Module+"\n\ngo 1.26\n"), 0o644))
	var sources []string
	for _, s := range x.entry.Sources {
		sources = append(sources, fmt.Sprintf("%q: true", s))
	}
	test := fmt.Sprintf(readmeExampleTest, goName, x.entry.Name, x.entry.Kind, x.entry.Interaction,
		x.entry.Summary, count, strings.Join(sources, ", "))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "generated", "action", "readme_example_test.go"), []byte(test), 0o644))
	cmd := exec.Command(goTool, "test", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go test of the generated packages with the README's action:\n%s", out)
}

// readmeExampleTest is the test run in the scratch module. Verbs: Go constant, name, kind,
// interaction, summary, action count, source classes (a map literal's entries).
const readmeExampleTest = `package action_test

import (
	"errors"
	"testing"

	"github.com/statkit/statkit/generated/action"
	"github.com/statkit/statkit/generated/object"
)

func TestReadmeExample(t *testing.T) {
	id := action.%s
	if id.Name() != %q || !id.IsLocal() || id.Kind().String() != %q || id.IsInteraction() != %v || id.Summary() != %q {
		t.Fatalf("%%s: name %%q, local %%v, kind %%s, interaction %%v, summary %%q", id, id.Name(), id.IsLocal(), id.Kind(), id.IsInteraction(), id.Summary())
	}
	if id.SeedName() != "" {
		t.Errorf("a local action has no seed spelling, got %%q", id.SeedName())
	}
	if action.Count != %d || int(id) > action.Count {
		t.Fatalf("Count %%d, id %%d", action.Count, id)
	}
	sources := map[string]bool{%s}
	var reaches object.TypeSet
	for _, c := range object.AllSourceClasses() {
		got, err := action.Lookup(id.Name(), c, "", object.DNNone)
		switch {
		case sources[c.String()] && (err != nil || got != id):
			t.Errorf("on %%s: %%v, %%v", c, got, err)
		case !sources[c.String()] && !errors.Is(err, action.ErrNotApplicable):
			t.Errorf("on %%s: want ErrNotApplicable, got %%v, %%v", c, got, err)
		}
		if sources[c.String()] {
			reaches |= c.Reaches()
		}
	}
	if id.Reaches() != reaches {
		t.Errorf("reaches %%v, want what its classes reach: %%v", id.Reaches().Slice(), reaches.Slice())
	}
	for _, a := range action.AllIDs() {
		if got, err := action.ParseID(a.String()); err != nil || got != a {
			t.Errorf("ParseID(%%q) = %%v, %%v", a.String(), got, err)
		}
		for _, c := range a.Sources().Slice() {
			if got, err := action.Lookup(a.Name(), c, a.Variant(), object.DNNone); err != nil || got != a {
				t.Errorf("Lookup(%%s on %%s) = %%v, %%v", a, c, got, err)
			}
		}
	}
}
`

// TestDocLinksStayInRepo: every link of README.md and of the handwritten docs points to a
// file of the repository (or to the web), never outside it, and the file exists.
func TestDocLinksStayInRepo(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, doc := range []string{"README.md", "docs/design.md", "examples/bank/README.md"} {
		text := string(mustRead(t, filepath.Join(root, filepath.FromSlash(doc))))
		assert.NotContains(t, text, "../shared", "%s refers outside the repository", doc)
		for _, m := range link.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "#") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			path := filepath.Join(root, filepath.Dir(filepath.FromSlash(doc)), filepath.FromSlash(target))
			rel, err := filepath.Rel(root, path)
			require.NoError(t, err)
			if !assert.False(t, strings.HasPrefix(rel, ".."), "%s links outside the repository: %s", doc, m[1]) {
				continue
			}
			_, err = os.Stat(path)
			assert.NoError(t, err, "%s links to a missing file: %s", doc, m[1])
		}
	}
}
