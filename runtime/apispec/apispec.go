// Package apispec reads the OpenAPI description of statkit's HTTP API
// (docs/openapi.yaml, embedded in package docs): it converts the YAML to JSON, keeping
// the order of the document's members, for GET /v1/openapi.json, and it reads what each
// operation declares of its query parameters, so that the server refuses a parameter an
// endpoint does not take — with the error message, naming the one the client most likely
// meant, that UnknownParams builds. Reading the parameters from the description at start
// keeps the server and its documentation from drifting apart.
package apispec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/docs"
	"github.com/statkit/statkit/internal/suggest"
)

// Doc is an OpenAPI description, as written and in JSON, and what it declares of each
// operation's query parameters.
type Doc struct {
	// YAML is the description as written (GET /v1/openapi.yaml).
	YAML []byte
	// JSON is the same document in JSON, members in the file's order (GET
	// /v1/openapi.json).
	JSON []byte
	// query is, by path template ("/v1/statistics/{id}") and method ("GET"), the names
	// of the query parameters the operation declares (none: an empty, non-nil slice).
	query map[string]map[string][]string
}

// Load reads the description of statkit's API, docs/openapi.yaml.
func Load() (*Doc, error) {
	return Parse("docs/openapi.yaml", docs.OpenAPI())
}

// Parse reads the OpenAPI description src (YAML; name is the file's name, for errors):
// it converts it to JSON and reads the query parameters of its operations.
func Parse(name string, src []byte) (*Doc, error) {
	d := &Doc{YAML: src}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, fmt.Errorf("apispec: %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := yamlToJSON(&buf, &root); err != nil {
		return nil, fmt.Errorf("apispec: %s: %w", name, err)
	}
	d.JSON = buf.Bytes()
	q, err := queryParams(d.JSON)
	if err != nil {
		return nil, fmt.Errorf("apispec: %s: %w", name, err)
	}
	d.query = q
	return d, nil
}

// Query returns, by method ("GET", "POST", …), the names of the query parameters each
// operation of path template path ("/v1/statistics/{id}") declares, sorted (an operation
// that declares none has an empty, non-nil slice); nil when the description does not
// have path.
func (d *Doc) Query(path string) map[string][]string { return d.query[path] }

// yamlToJSON writes the JSON of YAML node n, keeping the order of mapping keys. Keys
// are strings (a YAML key 200 becomes "200"); scalars keep their YAML type.
func yamlToJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return fmt.Errorf("line %d: a document holds one value", n.Line)
		}
		return yamlToJSON(buf, n.Content[0])
	case yaml.AliasNode:
		return yamlToJSON(buf, n.Alias)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			if k.Value == "<<" && k.Tag == "!!merge" {
				return fmt.Errorf("line %d: merge keys are not supported", k.Line)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k.Value)
			buf.WriteByte(':')
			if err := yamlToJSON(buf, v); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := yamlToJSON(buf, c); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		return scalarToJSON(buf, n)
	default:
		return fmt.Errorf("line %d: unexpected YAML node", n.Line)
	}
	return nil
}

// scalarToJSON writes the JSON of a YAML scalar by its resolved tag.
func scalarToJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		buf.WriteString(strconv.FormatBool(b))
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return fmt.Errorf("line %d: %q is no JSON number", n.Line, n.Value)
		}
		if n.ShortTag() == "!!int" {
			var i int64
			if err := n.Decode(&i); err == nil {
				buf.WriteString(strconv.FormatInt(i, 10))
				return nil
			}
		}
		buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	default: // !!str, !!timestamp, !!binary: their text
		writeJSONString(buf, n.Value)
	}
	return nil
}

// writeJSONString writes s as a JSON string.
func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always encodes
	buf.Write(b)
}

// methods are the OpenAPI operation keys of a path item.
var methods = [...]string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// oaParam is an OpenAPI parameter, or a reference to one in components.parameters.
type oaParam struct {
	Ref  string `json:"$ref"`
	Name string `json:"name"`
	In   string `json:"in"`
}

// oaScheme is an OpenAPI security scheme; an apiKey scheme in the query is a query
// parameter of the operations it secures.
type oaScheme struct {
	Type string `json:"type"`
	In   string `json:"in"`
	Name string `json:"name"`
}

// queryParams reads, from an OpenAPI document in JSON, the query parameters of every
// operation: the path item's and the operation's own, references resolved, and the
// query parameters of its security schemes (the operation's security, else the
// document's).
func queryParams(doc []byte) (map[string]map[string][]string, error) {
	var d struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Security   []map[string][]string                 `json:"security"`
		Components struct {
			Parameters      map[string]oaParam  `json:"parameters"`
			SecuritySchemes map[string]oaScheme `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	schemeParams := func(security []map[string][]string) ([]string, error) {
		var names []string
		for _, req := range security {
			for name := range req {
				sc, ok := d.Components.SecuritySchemes[name]
				if !ok {
					return nil, fmt.Errorf("unknown security scheme %q", name)
				}
				if sc.Type == "apiKey" && sc.In == "query" {
					names = append(names, sc.Name)
				}
			}
		}
		return names, nil
	}
	resolve := func(ps []oaParam) ([]string, error) {
		var names []string
		for _, p := range ps {
			if p.Ref != "" {
				name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
				c, found := d.Components.Parameters[name]
				if !ok || !found {
					return nil, fmt.Errorf("unresolved parameter %s", p.Ref)
				}
				p = c
			}
			if p.In == "query" {
				names = append(names, p.Name)
			}
		}
		return names, nil
	}
	out := map[string]map[string][]string{}
	for path, item := range d.Paths {
		var shared []string
		if raw, ok := item["parameters"]; ok {
			var ps []oaParam
			if err := json.Unmarshal(raw, &ps); err != nil {
				return nil, fmt.Errorf("paths.%s.parameters: %w", path, err)
			}
			var err error
			if shared, err = resolve(ps); err != nil {
				return nil, fmt.Errorf("paths.%s: %w", path, err)
			}
		}
		ops := map[string][]string{}
		for _, m := range methods {
			raw, ok := item[m]
			if !ok {
				continue
			}
			var op struct {
				Parameters []oaParam              `json:"parameters"`
				Security   *[]map[string][]string `json:"security"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("paths.%s.%s: %w", path, m, err)
			}
			own, err := resolve(op.Parameters)
			if err != nil {
				return nil, fmt.Errorf("paths.%s.%s: %w", path, m, err)
			}
			security := d.Security
			if op.Security != nil {
				security = *op.Security
			}
			keys, err := schemeParams(security)
			if err != nil {
				return nil, fmt.Errorf("paths.%s.%s: %w", path, m, err)
			}
			names := append(append(slices.Clone(shared), own...), keys...)
			slices.Sort(names)
			ops[strings.ToUpper(m)] = slices.Compact(append([]string{}, names...))
		}
		out[path] = ops
	}
	return out, nil
}

// UnknownParams returns the error message for the parameters of q that are not in
// allowed ("" when there is none): each quoted, with the nearest allowed name when one
// is close, and what op takes.
func UnknownParams(q url.Values, allowed []string, op string) string {
	var bad []string
	for name := range q {
		if !slices.Contains(allowed, name) {
			bad = append(bad, name)
		}
	}
	if len(bad) == 0 {
		return ""
	}
	slices.Sort(bad)
	parts := make([]string, len(bad))
	for i, name := range bad {
		parts[i] = strconv.Quote(name)
		if c, ok := closest(name, allowed); ok {
			parts[i] += fmt.Sprintf(" (did you mean %q?)", c)
		}
	}
	word := "parameter"
	if len(bad) > 1 {
		word = "parameters"
	}
	takes := "takes no query parameters"
	if len(allowed) > 0 {
		takes = "takes " + strings.Join(allowed, ", ")
	}
	return "unknown query " + word + " " + strings.Join(parts, ", ") + ": " + op + " " + takes
}

// closest returns the allowed parameter name meant by name: the nearest by edit
// distance (suggest.Closest), else the one allowed name that name abbreviates or
// extends ("stat" or "statisticId" for "statistic"), ignoring case.
func closest(name string, allowed []string) (string, bool) {
	if c, ok := suggest.Closest(name, allowed); ok {
		return c, true
	}
	lname := strings.ToLower(name)
	found := ""
	for _, a := range allowed {
		la := strings.ToLower(a)
		if len(lname) >= 3 && (strings.HasPrefix(la, lname) || strings.HasPrefix(lname, la)) {
			if found != "" {
				return "", false // ambiguous
			}
			found = a
		}
	}
	return found, found != ""
}
