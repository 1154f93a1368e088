// Command statgen regenerates statkit's Go tables (generated/) and action reference (docs/)
// from the spec (spec/*.yaml). It runs from `go generate ./...` at the repository root.
//
// Usage:
//
//	statgen [-write] [-root DIR]
//
// Without -write (the default, -check) it regenerates in memory, prints a unified diff of
// every stale or orphaned file and exits 1 if there is any. With -write it rewrites only
// the files that changed, printing "# path" for each, and deletes orphans.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/statkit/statkit/gen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "statgen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("statgen", flag.ContinueOnError)
	write := fl.Bool("write", false, "rewrite stale generated files and delete orphans")
	fl.Bool("check", true, "only compare (the default); exit 1 when anything is stale")
	root := fl.String("root", ".", "repository root")
	if err := fl.Parse(args); err != nil {
		return err
	}
	files, err := gen.FilesFromFS(os.DirFS(*root), "spec", "spec")
	if err != nil {
		return err
	}
	m, err := gen.Load(files)
	if err != nil {
		return err
	}
	outs, err := gen.Generate(m)
	if err != nil {
		return err
	}
	res, err := gen.Sync(*root, outs, *write)
	if err != nil {
		return err
	}
	if *write {
		for _, p := range append(res.Changed, res.Orphans...) {
			fmt.Fprintln(stdout, "#", p)
		}
		return nil
	}
	if res.Stale() {
		fmt.Fprint(stdout, res.Diff)
		return fmt.Errorf("%d stale and %d orphaned generated files; run go generate ./...", len(res.Changed), len(res.Orphans))
	}
	return nil
}
