package config

import (
	"math"

	"gopkg.in/yaml.v3"
)

// The helpers below walk a document that has already passed schema validation and alias
// expansion within the node budget (yamlpos.ToValue), so shapes are as the schema says;
// they still tolerate other shapes by returning nothing.

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pair is one key/value entry of a mapping.
type pair struct {
	key, val *yaml.Node
}

// pairs returns the entries of mapping m in file order.
func pairs(m *yaml.Node) []pair {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, pair{key: m.Content[i], val: deref(m.Content[i+1])})
	}
	return out
}

// field returns the key and value nodes of name in mapping m, or nils.
func field(m *yaml.Node, name string) (key, val *yaml.Node) {
	for _, p := range pairs(m) {
		if p.key.Value == name {
			return p.key, p.val
		}
	}
	return nil, nil
}

// value returns the value node of name in mapping m, or nil.
func value(m *yaml.Node, name string) *yaml.Node {
	_, v := field(m, name)
	return v
}

// items returns the elements of sequence s.
func items(s *yaml.Node) []*yaml.Node {
	s = deref(s)
	if s == nil || s.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(s.Content))
	for i, n := range s.Content {
		out[i] = deref(n)
	}
	return out
}

// text returns the scalar text of n ("" for a missing or non-scalar node). Ids written as
// plain integers are taken as written.
func text(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// number returns the numeric value of scalar n.
func number(n *yaml.Node) (float64, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		return 0, false
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// or returns n, or fallback when n is nil (for positions of optional fields).
func or(n, fallback *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return fallback
}
