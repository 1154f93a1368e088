package yamlpos

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"
)

// CompileSchema compiles a draft 2020-12 JSON Schema held in memory. url names it in errors
// and in $ref resolution.
func CompileSchema(url string, schema []byte) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(url, strings.NewReader(string(schema))); err != nil {
		return nil, fmt.Errorf("add schema %s: %w", url, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compile schema %s: %w", url, err)
	}
	return s, nil
}

// Describer names the entity at a JSON pointer for error messages, e.g.
// `action "AgentLogin" (Regular DNs)`, and says how many leading pointer tokens the name
// stands for (they are left out of the field path); it returns "", 0 when nothing applies.
type Describer func(pointer string) (label string, tokens int)

// Validate checks value (from ToValue of root) against schema and returns one positioned
// error per failing leaf of the validation tree.
func Validate(s *jsonschema.Schema, file string, root *yaml.Node, value any, describe Describer) List {
	return ValidateExcept(s, file, root, value, describe, nil)
}

// ValidateExcept is Validate leaving out the failing leaves for which skip (when not nil)
// returns true: checks that the caller repeats itself with clearer messages.
func ValidateExcept(s *jsonschema.Schema, file string, root *yaml.Node, value any, describe Describer,
	skip func(*jsonschema.ValidationError) bool) List {
	err := s.Validate(value)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return List{{File: file, Msg: err.Error()}}
	}
	var out List
	for _, leaf := range leaves(ve) {
		if skip != nil && skip(leaf) {
			continue
		}
		n := Locate(root, leaf.InstanceLocation)
		msg := leaf.Message
		if name, ok := unknownProperty(msg); ok {
			if k := KeyNode(n, name); k != nil {
				n, msg = k, fmt.Sprintf("unknown field %q", name)
			}
		}
		label, skip := "", 0
		if describe != nil {
			label, skip = describe(leaf.InstanceLocation)
		}
		if field := FieldPath(leaf.InstanceLocation, skip); field != "" {
			msg = field + ": " + msg
		}
		if label != "" {
			msg = label + ": " + msg
		}
		out = append(out, Errorf(file, n, "%s", msg))
	}
	return out.Sort()
}

// leaves returns the validation errors without causes, the ones that say what is wrong.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].InstanceLocation < out[j].InstanceLocation })
	return out
}

// FieldPath renders a JSON pointer, without its first skip tokens, as a field path such as
// `sources[0]` or `tables[1].statuses[3]`.
func FieldPath(pointer string, skip int) string {
	toks := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	if pointer == "" || skip >= len(toks) {
		return ""
	}
	var b strings.Builder
	for _, t := range toks[skip:] {
		t = strings.NewReplacer("~1", "/", "~0", "~").Replace(t)
		if _, err := strconv.Atoi(t); err == nil {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

// unknownProperty extracts the property name of jsonschema's
// "additionalProperties 'x' not allowed" message (the first name when several).
func unknownProperty(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "additionalProperties '")
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, "'")
	return name, ok
}
