package gen_test

import (
	"errors"
	"testing"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/internal/yamlpos"
	specfs "github.com/statkit/statkit/spec"
)

// FuzzLoad: the spec loader never panics on any actions.yaml text, and refuses what it
// refuses with a positioned yamlpos.List.
func FuzzLoad(f *testing.F) {
	files, err := gen.FilesFromFS(specfs.Files, ".", "spec")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(files.Actions.Data)
	f.Add([]byte("actions:\n  - name: X\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, actions []byte) {
		fs := files
		fs.Actions = gen.File{Name: "spec/actions.yaml", Data: actions}
		_, err := gen.Load(fs)
		var list yamlpos.List
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("error is %T, not a yamlpos.List: %v", err, err)
		}
	})
}
