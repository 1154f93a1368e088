// Package yamlpos reads YAML documents for statkit's spec and config loaders: it keeps node
// positions, converts documents to JSON-compatible values for JSON Schema validation, maps
// JSON pointers back to line:column, and reports positioned errors.
//
// It guards against hostile input: documents over a size limit and alias expansion beyond a
// node budget ("billion laughs") are refused with an error instead of exhausting memory.
package yamlpos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits bound what a document may cost to read.
type Limits struct {
	// MaxBytes is the largest document accepted; 0 means 8 MiB.
	MaxBytes int
	// MaxNodes is the most nodes that conversion to a value may visit, counting every
	// expansion of an alias; 0 means 1,000,000.
	MaxNodes int
}

func (l Limits) maxBytes() int {
	if l.MaxBytes <= 0 {
		return 8 << 20
	}
	return l.MaxBytes
}

func (l Limits) maxNodes() int {
	if l.MaxNodes <= 0 {
		return 1_000_000
	}
	return l.MaxNodes
}

// Error is a problem at a position of a named file. Line and Col are 1-based; 0 means unknown.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

// Error formats the error as file:line:col: msg.
func (e Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	default:
		return e.Msg
	}
}

// Errorf returns an Error at the position of node n in file.
func Errorf(file string, n *yaml.Node, format string, args ...any) Error {
	e := Error{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// List is a set of errors reported together, sorted by file and position.
type List []Error

// Error prints one error per line.
func (l List) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Sort orders the list by file, line, column and message, and drops exact duplicates.
func (l List) Sort() List {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Msg < b.Msg
	})
	out := l[:0]
	for i, e := range l {
		if i > 0 && e == l[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// Err returns the sorted list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l.Sort()
}

// Parse reads one YAML document from r and returns its document node. file names the
// document in errors. An empty document is an error.
func Parse(file string, r io.Reader, lim Limits) (*yaml.Node, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(lim.maxBytes())+1))
	if err != nil {
		return nil, Error{File: file, Msg: fmt.Sprintf("read: %v", err)}
	}
	if len(data) > lim.maxBytes() {
		return nil, Error{File: file, Msg: fmt.Sprintf("document is larger than %d bytes", lim.maxBytes())}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Error{File: file, Line: 1, Col: 1, Msg: "document is empty"}
		}
		return nil, syntaxError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Error{File: file, Line: extra.Line, Col: extra.Column, Msg: "only one YAML document is allowed"}
	}
	if len(doc.Content) == 0 {
		return nil, Error{File: file, Line: 1, Col: 1, Msg: "document is empty"}
	}
	return &doc, nil
}

// syntaxError turns a yaml.v3 error ("yaml: line 3: ...") into a positioned Error.
func syntaxError(file string, err error) Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := Error{File: file, Msg: msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			if n, convErr := strconv.Atoi(num); convErr == nil {
				e.Line, e.Col, e.Msg = n, 1, strings.TrimSpace(tail)
				// yaml.v3 reports parser errors (unlike scanner errors) at the 0-based line
				// of the construct they are about, e.g. the line of an unclosed '['.
				if strings.HasPrefix(e.Msg, "did not find expected") {
					e.Line++
				}
			}
		}
	}
	return e
}

// Root returns the top-level node of a document node (the node itself if it is not a document).
func Root(doc *yaml.Node) *yaml.Node {
	if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return doc.Content[0]
	}
	return doc
}

// ToValue converts a node to a JSON-compatible value (map[string]any, []any, string,
// bool, json.Number, nil), following aliases within the node budget of lim.
func ToValue(file string, n *yaml.Node, lim Limits) (any, error) {
	c := converter{file: file, budget: lim.maxNodes()}
	return c.value(Root(n), 0)
}

type converter struct {
	file   string
	budget int
}

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	c.budget--
	if c.budget < 0 {
		return nil, Errorf(c.file, n, "document expands to too many nodes (alias bomb?)")
	}
	if depth > 200 {
		return nil, Errorf(c.file, n, "document is nested too deeply")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.value(n.Alias, depth+1)
	case yaml.MappingNode:
		return c.mapping(n, depth)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(n)
	}
	return nil, Errorf(c.file, n, "unsupported YAML node")
}

func (c *converter) mapping(n *yaml.Node, depth int) (any, error) {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, Errorf(c.file, k, "mapping keys must be plain strings")
		}
		if k.Tag == "!!merge" {
			return nil, Errorf(c.file, k, "merge keys (<<) are not supported")
		}
		if _, dup := out[k.Value]; dup {
			return nil, Errorf(c.file, k, "duplicate key %q", k.Value)
		}
		val, err := c.value(v, depth+1)
		if err != nil {
			return nil, err
		}
		out[k.Value] = val
	}
	return out, nil
}

func (c *converter) scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, Errorf(c.file, n, "bad boolean %q", n.Value)
		}
		return b, nil
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, Errorf(c.file, n, "bad number %q", n.Value)
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return n.Value, nil
}

// Locate returns the node that a JSON pointer (as used in JSON Schema instance locations)
// designates within root, or the deepest existing ancestor when the path does not exist.
func Locate(root *yaml.Node, pointer string) *yaml.Node {
	n := Root(root)
	if pointer == "" || pointer == "/" {
		return n
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		next := child(n, tok)
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func child(n *yaml.Node, tok string) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == tok {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// KeyNode returns the key node of field name in mapping m, or nil.
func KeyNode(m *yaml.Node, name string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i]
		}
	}
	return nil
}

// ValueNode returns the value node of field name in mapping m, or nil.
func ValueNode(m *yaml.Node, name string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i+1]
		}
	}
	return nil
}
