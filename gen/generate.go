package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// Output is one generated file: its path relative to the repository root and its bytes.
type Output struct {
	Path string
	Data []byte
}

// Generate renders every output of the model, in a fixed order: the Go packages under
// generated/, the Markdown reference under docs/, the config file's JSON Schema (in
// docs/ for editors, and next to generated/configschema, which embeds it for the loader),
// then the event format's reference and JSON Schema (docs/events.md, docs/event.schema.json).
// The result is deterministic.
func Generate(m *Model) ([]Output, error) {
	var out []Output
	for _, g := range []struct {
		path string
		emit func(*Model) (*jen.File, error)
	}{
		{"generated/object/object.go", emitObject},
		{"generated/action/action.go", emitAction},
		{"generated/status/status.go", emitStatus},
		{"generated/category/category.go", emitCategory},
		{"generated/configschema/configschema.go", emitConfigSchema},
	} {
		f, err := g.emit(m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", g.path, err)
		}
		data, err := render(g.path, f)
		if err != nil {
			return nil, err
		}
		out = append(out, Output{g.path, data})
	}
	for _, d := range []struct {
		path   string
		render func(*Model) []byte
	}{
		{"docs/actions.md", ActionsDoc},
		{"docs/categories.md", CategoriesDoc},
	} {
		out = append(out, Output{d.path, d.render(m)})
	}
	schema, err := ConfigSchema(m)
	if err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	for _, p := range []string{"docs/config.schema.json", "generated/configschema/" + configSchemaFile} {
		out = append(out, Output{p, schema})
	}
	events, err := eventOutputs(m)
	if err != nil {
		return nil, err
	}
	srcs, err := sourceOutputs(m)
	if err != nil {
		return nil, err
	}
	out = append(out, events...)
	return append(out, srcs...), nil
}
