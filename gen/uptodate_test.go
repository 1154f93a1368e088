package gen_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/gen"
)

// TestGeneratedUpToDate regenerates generated/ and docs/ from the embedded spec in memory
// and compares them with the repository; -update writes them (as go generate does).
func TestGeneratedUpToDate(t *testing.T) {
	files, err := gen.EmbeddedFiles()
	require.NoError(t, err)
	_, outs := generate(t, files)
	res, err := gen.Sync(repoRoot(t), outs, *update)
	require.NoError(t, err)
	if *update {
		for _, p := range append(res.Changed, res.Orphans...) {
			t.Logf("rewrote %s", p)
		}
		return
	}
	if res.Stale() {
		t.Fatalf("generated files are stale (%d changed, %d orphaned); run go generate ./... (or go test ./gen -run GeneratedUpToDate -update)\n%s",
			len(res.Changed), len(res.Orphans), res.Diff)
	}
}

// TestGenerateDeterministic generates the real spec twice and requires identical bytes.
func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	files, err := gen.EmbeddedFiles()
	require.NoError(t, err)
	_, first := generate(t, files)
	_, second := generate(t, files)
	require.Equal(t, len(first), len(second))
	for i := range first {
		assert.Equal(t, first[i].Path, second[i].Path)
		assert.True(t, bytes.Equal(first[i].Data, second[i].Data), "%s differs between two runs", first[i].Path)
	}
}

// TestGenerateIgnoresKeyOrder shuffles the keys of every YAML mapping of the real spec
// (inside entries and at the top level) and requires byte-identical outputs.
func TestGenerateIgnoresKeyOrder(t *testing.T) {
	t.Parallel()
	files, err := gen.EmbeddedFiles()
	require.NoError(t, err)
	want, _ := generate(t, files)
	for seed := uint64(1); seed <= 3; seed++ {
		rng := rand.New(rand.NewPCG(seed, 2026))
		shuffled := files
		for _, f := range []*gen.File{&shuffled.Objects, &shuffled.Actions, &shuffled.Statuses, &shuffled.Categories} {
			f.Data = shuffleKeys(t, f.Data, rng)
		}
		require.NotEqual(t, string(files.Actions.Data), string(shuffled.Actions.Data), "the shuffle changed the input")
		got, _ := generate(t, shuffled)
		require.Len(t, got, len(want))
		for p, data := range want {
			assert.True(t, bytes.Equal(data, got[p]), "seed %d: %s depends on the order of YAML keys", seed, p)
		}
	}
}

// shuffleKeys re-encodes a YAML document with the key/value pairs of every mapping in a
// random order (sequences keep theirs: their order is meaningful).
func shuffleKeys(t *testing.T, data []byte, rng *rand.Rand) []byte {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			pairs := len(n.Content) / 2
			rng.Shuffle(pairs, func(i, j int) {
				n.Content[2*i], n.Content[2*j] = n.Content[2*j], n.Content[2*i]
				n.Content[2*i+1], n.Content[2*j+1] = n.Content[2*j+1], n.Content[2*i+1]
			})
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	out, err := yaml.Marshal(&doc)
	require.NoError(t, err)
	return out
}

// TestSync checks gen.Sync on a scratch tree: changed files, orphans (generated files that
// no output produces, under generated/ and docs/) and write mode.
func TestSync(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	_, outs := generate(t, miniFiles(t))

	// An empty tree: every output is missing, so changed; write creates them.
	res, err := gen.Sync(root, outs, false)
	require.NoError(t, err)
	assert.Len(t, res.Changed, len(outs))
	_, err = os.Stat(filepath.Join(root, "generated", "action", "action.go"))
	assert.True(t, os.IsNotExist(err), "check mode writes nothing")
	res, err = gen.Sync(root, outs, true)
	require.NoError(t, err)
	assert.Len(t, res.Changed, len(outs))
	res, err = gen.Sync(root, outs, false)
	require.NoError(t, err)
	assert.False(t, res.Stale(), "up to date after write: %s", res.Diff)

	// A hand edit is reported with a diff and undone by write.
	path := filepath.Join(root, "docs", "actions.md")
	edited := bytes.Replace(mustRead(t, path), []byte("- Kind: momentary"), []byte("- Kind: sudden"), 1)
	require.NoError(t, os.WriteFile(path, edited, 0o644))
	res, err = gen.Sync(root, outs, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"docs/actions.md"}, res.Changed)
	assert.Contains(t, res.Diff, "--- a/docs/actions.md\n+++ b/docs/actions.md\n")
	assert.Contains(t, res.Diff, "\n-- Kind: sudden\n+- Kind: momentary\n")

	// Orphans: files with the generated header that no output produces.
	stray := filepath.Join(root, "generated", "x", "x.go")
	require.NoError(t, os.MkdirAll(filepath.Dir(stray), 0o755))
	require.NoError(t, os.WriteFile(stray, []byte("// "+gen.Header+"\n\npackage x\n"), 0o644))
	strayDoc := filepath.Join(root, "docs", "old.md")
	require.NoError(t, os.WriteFile(strayDoc, []byte("<!-- "+gen.Header+" -->\n"), 0o644))
	strayJSON := filepath.Join(root, "docs", "old.schema.json")
	require.NoError(t, os.WriteFile(strayJSON, []byte("{\n  \"$comment\": \""+gen.Header+"\"\n}\n"), 0o644))
	handwritten := filepath.Join(root, "generated", "x", "doc.go")
	require.NoError(t, os.WriteFile(handwritten, []byte("// Package x is handwritten.\npackage x\n"), 0o644))
	outside := filepath.Join(root, "runtime", "y.go")
	require.NoError(t, os.MkdirAll(filepath.Dir(outside), 0o755))
	require.NoError(t, os.WriteFile(outside, []byte("// "+gen.Header+"\n\npackage y\n"), 0o644))

	res, err = gen.Sync(root, outs, false)
	require.NoError(t, err)
	assert.True(t, res.Stale())
	assert.Equal(t, []string{"docs/old.md", "docs/old.schema.json", "generated/x/x.go"}, res.Orphans, "only headed files under generated/ and docs/")
	assert.Contains(t, res.Diff, "orphan generated file generated/x/x.go: no spec output produces it\n")
	assert.FileExists(t, stray, "check mode deletes nothing")

	res, err = gen.Sync(root, outs, true)
	require.NoError(t, err)
	assert.Equal(t, []string{"docs/old.md", "docs/old.schema.json", "generated/x/x.go"}, res.Orphans)
	assert.Equal(t, []string{"docs/actions.md"}, res.Changed)
	assert.NoFileExists(t, stray)
	assert.NoFileExists(t, strayDoc)
	assert.NoFileExists(t, strayJSON)
	assert.FileExists(t, handwritten, "a file without the header is never deleted")
	assert.FileExists(t, outside, "nothing outside generated/ and docs/ is touched")
	res, err = gen.Sync(root, outs, false)
	require.NoError(t, err)
	assert.False(t, res.Stale(), res.Diff)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}
