package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/spec"
)

// runSpec implements `statkit spec validate|export|docs`.
func runSpec(_ context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: statkit spec validate [FILE…] | export --format tsv|json|yaml | docs [--categories]", errUsage)
	}
	switch args[0] {
	case "validate":
		return specValidate(args[1:], stdout)
	case "export":
		return specExport(args[1:], stdout, stderr)
	case "docs":
		return specDocs(args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown spec command %q (validate, export, docs)", errUsage, args[0])
}

// specValidate loads the embedded spec, or the spec files given: a directory holding the
// four files, or individual files replacing the embedded ones of the same name.
func specValidate(files []string, stdout io.Writer) error {
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
