// Package gen turns statkit's spec (package spec: the Stat Server action table and the
// object, status and category models) into Go code for generated/, Markdown for docs/ and
// the config file's JSON Schema (docs/config.schema.json, embedded by generated/configschema).
//
// The pipeline is Load (YAML with positions) → validation (JSON Schema, then semantic
// checks) → Model → one emitter per output file. Every spec error names
// spec/FILE.yaml:LINE:COL and, for actions, the action; all errors are reported together.
package gen

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/internal/yamlpos"
	"github.com/statkit/statkit/spec"
)

// File is one spec file: the name used in errors (e.g. "spec/actions.yaml") and its bytes.
type File struct {
	Name string
	Data []byte
}

// Files are the four spec files and the source mappings (spec/sources/*.yaml, in name
// order; none is fine).
type Files struct {
	Objects, Actions, Statuses, Categories File
	Sources                                []File
}

// EmbeddedFiles returns the spec files embedded in package spec, named spec/FILE.yaml.
func EmbeddedFiles() (Files, error) {
	return FilesFromFS(spec.Files, ".", "spec")
}

// FilesFromFS reads the four spec files from dir in fsys; prefix names them in errors.
func FilesFromFS(fsys fs.FS, dir, prefix string) (Files, error) {
	var fs4 Files
	for _, f := range []struct {
		dst  *File
		name string
	}{
		{&fs4.Objects, spec.ObjectsFile},
		{&fs4.Actions, spec.ActionsFile},
		{&fs4.Statuses, spec.StatusesFile},
		{&fs4.Categories, spec.CategoriesFile},
	} {
		data, err := fs.ReadFile(fsys, path.Join(dir, f.name))
		if err != nil {
			return Files{}, fmt.Errorf("read spec: %w", err)
		}
		*f.dst = File{Name: path.Join(prefix, f.name), Data: data}
	}
	sources, err := sourceFilesFromFS(fsys, dir, prefix)
	if err != nil {
		return Files{}, err
	}
	fs4.Sources = sources
	return fs4, nil
}

// parsed is a spec file after YAML parsing and schema validation.
type parsed struct {
	name string
	root *yaml.Node // the top-level mapping
}

// Load parses, validates and resolves the spec. On failure the error is a yamlpos.List
// holding every problem found, sorted by file and position.
func Load(files Files) (*Model, error) {
	var errs yamlpos.List
	docs := make(map[string]*parsed)
	for _, f := range []struct {
		file   File
		schema string
		desc   func(*yaml.Node) yamlpos.Describer
	}{
		{files.Objects, spec.SchemaFor(spec.ObjectsFile), nil},
		{files.Actions, spec.SchemaFor(spec.ActionsFile), describeAction},
		{files.Statuses, spec.SchemaFor(spec.StatusesFile), nil},
		{files.Categories, spec.SchemaFor(spec.CategoriesFile), nil},
	} {
		p, ferrs := parseFile(f.file, f.schema, f.desc)
		errs = append(errs, ferrs...)
		docs[f.schema] = p
	}
	sources, serrs := parseSources(files.Sources)
	errs = append(errs, serrs...)
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	b := builder{}
	b.objects(docs[spec.SchemaFor(spec.ObjectsFile)])
	b.actions(docs[spec.SchemaFor(spec.ActionsFile)])
	b.statuses(docs[spec.SchemaFor(spec.StatusesFile)])
	b.categories(docs[spec.SchemaFor(spec.CategoriesFile)])
	b.sources(sources)
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	return &b.m, nil
}

// parseFile parses one file and validates it against its schema.
func parseFile(f File, schemaPath string, desc func(*yaml.Node) yamlpos.Describer) (*parsed, yamlpos.List) {
	doc, err := yamlpos.Parse(f.Name, bytes.NewReader(f.Data), yamlpos.Limits{})
	if err != nil {
		return nil, yamlpos.List{asPosError(f.Name, err)}
	}
	value, err := yamlpos.ToValue(f.Name, doc, yamlpos.Limits{})
	if err != nil {
		return nil, yamlpos.List{asPosError(f.Name, err)}
	}
	schema, err := compiledSchema(schemaPath)
	if err != nil {
		return nil, yamlpos.List{{File: f.Name, Msg: err.Error()}}
	}
	var d yamlpos.Describer
	if desc != nil {
		d = desc(doc)
	}
	if errs := yamlpos.Validate(schema, f.Name, doc, value, d); len(errs) > 0 {
		return nil, errs
	}
	return &parsed{name: f.Name, root: yamlpos.Root(doc)}, nil
}

func asPosError(file string, err error) yamlpos.Error {
	if pe, ok := err.(yamlpos.Error); ok {
		return pe
	}
	return yamlpos.Error{File: file, Msg: err.Error()}
}

// compiledSchema compiles the embedded schema at path (schemas are small; compiling per
// load keeps the package free of global state).
func compiledSchema(p string) (*jsonschema.Schema, error) {
	data, err := fs.ReadFile(spec.Files, p)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	return yamlpos.CompileSchema("https://statkit.dev/"+p, data)
}

// describeAction names the action an instance location in actions.yaml points into.
func describeAction(doc *yaml.Node) yamlpos.Describer {
	return func(pointer string) (string, int) {
		var i int
		if _, err := fmt.Sscanf(pointer, "/actions/%d", &i); err != nil {
			return "", 0
		}
		item := yamlpos.Locate(doc, fmt.Sprintf("/actions/%d", i))
		return actionLabel(item), 2
	}
}

// actionLabel is `action "Name" (Variant)` for an action entry node.
func actionLabel(item *yaml.Node) string {
	name := yamlpos.ValueNode(item, "name")
	if name == nil {
		return "action"
	}
	label := fmt.Sprintf("action %q", name.Value)
	if v := yamlpos.ValueNode(item, "variant"); v != nil {
		label += " (" + v.Value + ")"
	}
	return label
}
