package perf

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSQLBaselineModuleResolves: the SQL baseline (comparison c of statkit bench) is a
// module of its own that requires this one; when this module gains a dependency, its
// go.mod needs the update too, or the bench reports comparison (c) pending. go list
// fails on a go.mod that needs updating.
func TestSQLBaselineModuleResolves(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	cmd := exec.Command(goTool, "list", "-mod=readonly", "-deps", "./...")
	cmd.Dir = filepath.Join("..", "..", "perf", "sqlbaseline")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("perf/sqlbaseline does not resolve (run go mod tidy there): %v\n%s", err, out)
	}
}
