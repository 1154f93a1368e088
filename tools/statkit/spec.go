package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/internal/suggest"
	"github.com/statkit/statkit/spec"
)

// specCommands are the subcommands of `statkit spec`, with their summaries.
func specCommands() map[string]string {
	return map[string]string{
		"validate": "check the embedded spec, or spec files given: statkit spec validate [FILE|DIR…]",
		"export":   "print the action table: statkit spec export --format tsv|json|yaml",
		"docs":     "print the Markdown reference: statkit spec docs [--categories]",
	}
}

// specHelp writes the help of `statkit spec`.
func specHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: statkit spec <subcommand> [flags]\n\nWorks with the action spec (spec/*.yaml, embedded in the binary).\n\nsubcommands:")
	cmds := specCommands()
	for _, n := range sortedNames(cmds) {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n])
	}
	fmt.Fprintln(w, "\nRun 'statkit help spec <subcommand>' for a subcommand's flags.")
}

// runSpec implements `statkit spec validate|export|docs`.
func runSpec(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: name a subcommand: validate, export or docs", errUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return runSpec(context.Background(), append(args[1:], "--help"), stdout, stderr)
		}
		return helpError{print: specHelp}
	case "validate":
		return specValidate(args[1:], stdout, stderr)
	case "export":
		return specExport(args[1:], stdout, stderr)
	case "docs":
		return specDocs(args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown spec subcommand %q%s (validate, export, docs)", errUsage, args[0],
		suggest.Hint(args[0], sortedNames(specCommands())))
}

// specValidate loads the embedded spec, or the spec files given: a directory holding the
// four files, or individual files replacing the embedded ones of the same name.
func specValidate(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("spec validate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit spec validate [FILE|DIR…]\n\n"+
			"Loads and checks the spec embedded in statkit, or with the files given in place of the embedded\n"+
			"ones of the same name (a directory gives all four), and reports every error at file:line:col.")
		printFlags(fl)
	}
	files, err := parseArgs(fl, args)
	if err != nil {
		return err
	}
	fs4, err := specFiles(files)
	if err != nil {
		return err
	}
	m, err := gen.Load(fs4)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "spec ok: %d actions, %d source classes, %d object types, %d status tables, %d categories, %d subjects\n",
		len(m.Actions), len(m.Classes), len(m.Types), len(m.Tables), len(m.Categories), len(m.Subjects))
	return nil
}

// specFiles starts from the embedded spec and replaces files by those named on the command
// line (by base name); a directory argument replaces all four.
func specFiles(args []string) (gen.Files, error) {
	fs4, err := gen.EmbeddedFiles()
	if err != nil {
		return fs4, err
	}
	for _, a := range args {
		info, err := os.Stat(a)
		if err != nil {
			return fs4, err
		}
		if info.IsDir() {
			if fs4, err = gen.FilesFromFS(os.DirFS(a), ".", a); err != nil {
				return fs4, err
			}
			continue
		}
		data, err := os.ReadFile(a)
		if err != nil {
			return fs4, err
		}
		f := gen.File{Name: a, Data: data}
		switch filepath.Base(a) {
		case spec.ObjectsFile:
			fs4.Objects = f
		case spec.ActionsFile:
			fs4.Actions = f
		case spec.StatusesFile:
			fs4.Statuses = f
		case spec.CategoriesFile:
			fs4.Categories = f
		default:
			return fs4, fmt.Errorf("%w: %s is not a spec file (%v)", errUsage, a, spec.Names())
		}
	}
	return fs4, nil
}

func embeddedModel() (*gen.Model, error) {
	fs4, err := gen.EmbeddedFiles()
	if err != nil {
		return nil, err
	}
	return gen.Load(fs4)
}

func specExport(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("spec export", flag.ContinueOnError)
	fl.SetOutput(stderr)
	format := fl.String("format", "tsv", "output format: tsv, json or yaml")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit spec export [--format tsv|json|yaml]\n\n"+
			"Prints the action table: tsv in the column order of the Stat Server's action summary, then each\n"+
			"row's origin (seed or local); json and yaml with every attribute.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	m, err := embeddedModel()
	if err != nil {
		return err
	}
	switch *format {
	case "tsv":
		return gen.ExportTSV(stdout, m)
	case "json":
		return gen.ExportJSON(stdout, m)
	case "yaml":
		return gen.ExportYAML(stdout, m)
	}
	return fmt.Errorf("%w: unknown format %q (tsv, json, yaml)", errUsage, *format)
}

func specDocs(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("spec docs", flag.ContinueOnError)
	fl.SetOutput(stderr)
	cats := fl.Bool("categories", false, "print the category reference instead of the action reference")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit spec docs [--categories]\n\nPrints the Markdown reference of the actions (docs/actions.md), or of the categories.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	m, err := embeddedModel()
	if err != nil {
		return err
	}
	doc := gen.ActionsDoc(m)
	if *cats {
		doc = gen.CategoriesDoc(m)
	}
	_, err = stdout.Write(doc)
	return err
}
