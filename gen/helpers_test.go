package gen_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/internal/yamlpos"
)

// update rewrites golden files (TestGolden*) and the repository's generated files
// (TestGeneratedUpToDate) instead of comparing: go test ./gen -run Golden -update.
var update = flag.Bool("update", false, "rewrite golden files and generated outputs instead of comparing")

// miniDir holds the small fixture spec of the golden and validation tests.
const miniDir = "testdata/mini"

// miniFiles reads the fixture spec, named spec/FILE.yaml as the real spec is.
func miniFiles(t *testing.T) gen.Files {
	t.Helper()
	files, err := gen.FilesFromFS(os.DirFS(miniDir), ".", "spec")
	require.NoError(t, err)
	return files
}

// embeddedModel loads the real spec embedded in package spec.
func embeddedModel(t *testing.T) *gen.Model {
	t.Helper()
	files, err := gen.EmbeddedFiles()
	require.NoError(t, err)
	m, err := gen.Load(files)
	require.NoError(t, err)
	return m
}

// generate loads files and renders every output, keyed by path.
func generate(t *testing.T, files gen.Files) (map[string][]byte, []gen.Output) {
	t.Helper()
	m, err := gen.Load(files)
	require.NoError(t, err)
	outs, err := gen.Generate(m)
	require.NoError(t, err)
	byPath := make(map[string][]byte, len(outs))
	for _, o := range outs {
		byPath[o.Path] = o.Data
	}
	return byPath, outs
}

// loadErrors loads files and returns every reported error as "file:line:col: message".
func loadErrors(t *testing.T, files gen.Files) []string {
	t.Helper()
	_, err := gen.Load(files)
	require.Error(t, err, "the spec should not load")
	var list yamlpos.List
	require.True(t, errors.As(err, &list), "Load should return a yamlpos.List, got %T: %v", err, err)
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = e.Error()
	}
	return out
}

// repoRoot is the repository root, the parent of the gen directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs("..")
	require.NoError(t, err)
	return abs
}
