package gen

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/internal/suggest"
	"github.com/statkit/statkit/internal/yamlpos"
)

// builder resolves schema-valid spec documents into a Model, collecting semantic errors.
type builder struct {
	m    Model
	errs yamlpos.List

	classes map[string]*Class
	types   map[string]*ObjectType
	dnTypes map[string]*DNType
}

// entry is one item of a top-level list, with its node for positions.
type entry struct {
	file string
	node *yaml.Node
}

// items returns the entries of the list under key in a file.
func items(p *parsed, key string) []entry {
	seq := yamlpos.ValueNode(p.root, key)
	if seq == nil {
		return nil
	}
	out := make([]entry, len(seq.Content))
	for i, n := range seq.Content {
		out[i] = entry{file: p.name, node: n}
	}
	return out
}

// decode fills dst from the entry (schema validation has already checked the shape).
func (b *builder) decode(e entry, dst any) bool {
	if err := e.node.Decode(dst); err != nil {
		b.errs = append(b.errs, yamlpos.Errorf(e.file, e.node, "%v", err))
		return false
	}
	return true
}

// errorf records an error at field of e (or at e itself when field is absent), prefixed by label.
func (b *builder) errorf(e entry, field, label, format string, args ...any) {
	n := e.node
	if field != "" {
		if v := yamlpos.ValueNode(e.node, field); v != nil {
			n = v
		}
	}
	msg := fmt.Sprintf(format, args...)
	if label != "" {
		msg = label + ": " + msg
	}
	b.errs = append(b.errs, yamlpos.Errorf(e.file, n, "%s", msg))
}

// errorAtItem records an error at the i-th element of a list field of e.
func (b *builder) errorAtItem(e entry, field string, i int, label, format string, args ...any) {
	n := e.node
	if v := yamlpos.ValueNode(e.node, field); v != nil && i < len(v.Content) {
		n = v.Content[i]
	}
	msg := fmt.Sprintf(format, args...)
	if label != "" {
		msg = label + ": " + msg
	}
	b.errs = append(b.errs, yamlpos.Errorf(e.file, n, "%s", msg))
}

// resolveTypes maps a list of object type names, reporting unknown ones at their position.
func (b *builder) resolveTypes(e entry, field, label string, names []string) []*ObjectType {
	out := make([]*ObjectType, 0, len(names))
	for i, n := range names {
		t, ok := b.types[n]
		if !ok {
			b.errorAtItem(e, field, i, label, "unknown object type %q%s (known: %s)", n, suggest.Hint(n, strings.Split(b.typeNames(), ", ")), b.typeNames())
			continue
		}
		out = append(out, t)
	}
	return out
}

func (b *builder) typeNames() string {
	names := make([]string, len(b.m.Types))
	for i, t := range b.m.Types {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func (b *builder) classNames() string {
	names := make([]string, len(b.m.Classes))
	for i, c := range b.m.Classes {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// unique reports a duplicate name within one list, keyed by kind.
type unique map[string]entry

func (b *builder) once(seen unique, e entry, kind, key string) bool {
	if prev, dup := seen[key]; dup {
		b.errorf(e, "name", "", "duplicate %s %s (first defined at line %d)", kind, key, prev.node.Line)
		return false
	}
	seen[key] = e
	return true
}
