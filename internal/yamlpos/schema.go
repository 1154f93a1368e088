package yamlpos

import (
	"errors"
	"fmt"
	"sort"
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
// `action "AgentLogin" (Regular DNs)`; it returns "" when nothing useful applies.
type Describer func(pointer string) string

// Validate checks value (from ToValue of root) against schema and returns one positioned
// error per failing leaf of the validation tree.
func Validate(s *jsonschema.Schema, file string, root *yaml.Node, value any, describe Describer) List {
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
		n := Locate(root, leaf.InstanceLocation)
		msg := leaf.Message
		if field := fieldOf(leaf.InstanceLocation); field != "" {
			msg = field + ": " + msg
		}
		if describe != nil {
			if d := describe(leaf.InstanceLocation); d != "" {
				msg = d + ": " + msg
			}
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

// fieldOf returns the last token of a pointer when it is a field name, for messages such
// as `kind: value must be one of ...`.
func fieldOf(pointer string) string {
	i := strings.LastIndexByte(pointer, '/')
	if i < 0 {
		return ""
	}
	tok := pointer[i+1:]
	if tok == "" || (tok[0] >= '0' && tok[0] <= '9') {
		return ""
	}
	return tok
}
