package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/docs"
	"github.com/statkit/statkit/internal/suggest"
)

// apiDoc is the OpenAPI description the server serves (docs/openapi.yaml), and what it
// says of each operation's query parameters, which the server enforces: a request with
// a query parameter its operation does not declare is answered 400.
type apiDoc struct {
	yaml []byte // GET /v1/openapi.yaml: the file as written
	json []byte // GET /v1/openapi.json: the same document, members in the file's order
	// query is, by path template ("/v1/statistics/{id}") and method ("GET"), the names
	// of the query parameters the operation declares (none: an empty, non-nil slice).
	query map[string]map[string][]string
}

// loadAPIDoc converts the embedded OpenAPI description to JSON and reads the query
// parameters of its operations.
func loadAPIDoc() (*apiDoc, error) {
	d := &apiDoc{yaml: docs.OpenAPI()}
	var root yaml.Node
	if err := yaml.Unmarshal(d.yaml, &root); err != nil {
		return nil, fmt.Errorf("server: docs/openapi.yaml: %w", err)
	}
	var buf bytes.Buffer
	if err := yamlToJSON(&buf, &root); err != nil {
		return nil, fmt.Errorf("server: docs/openapi.yaml: %w", err)
	}
	d.json = buf.Bytes()
	q, err := queryParams(d.json)
	if err != nil {
		return nil, fmt.Errorf("server: docs/openapi.yaml: %w", err)
	}
	d.query = q
	return d, nil
}

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

// apiMux is the server's request multiplexer: an http.ServeMux whose handlers answer a
// request with a query parameter their operation does not declare in the OpenAPI
// description with 400 (checkQuery). Routes are registered as on an http.ServeMux.
type apiMux struct {
	*http.ServeMux
	s *Server
}

// Handle registers h for pattern, behind the query check.
func (m apiMux) Handle(pattern string, h http.Handler) {
	m.s.patterns = append(m.s.patterns, pattern)
	m.ServeMux.Handle(pattern, m.s.checkQuery(pattern, h))
}

// HandleFunc registers h for pattern, behind the query check.
func (m apiMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// checkQuery wraps the handler of mux pattern so that a query parameter the OpenAPI
// description does not declare for the pattern's path and the request's method is
// answered 400, naming it and the nearest declared one. Subtree patterns ("/", "/v1/":
// the wallboard's files, whose page reads its own query, and the 404 answers) and paths
// the description does not have are not checked — a test checks that every route is
// described.
func (s *Server) checkQuery(pattern string, h http.Handler) http.Handler {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	ops := s.api.query[path]
	if strings.HasSuffix(path, "/") || ops == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery == "" {
			h.ServeHTTP(w, r)
			return
		}
		m := method
		if m == "" || m == http.MethodGet && r.Method == http.MethodHead {
			m = r.Method
		}
		if m == http.MethodHead {
			m = http.MethodGet
		}
		allowed, ok := ops[m]
		if !ok { // a method the description does not have: the handler answers it
			h.ServeHTTP(w, r)
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			s.writeError(w, http.StatusBadRequest, "bad query string: "+err.Error())
			return
		}
		if msg := unknownParams(q, allowed, m+" "+path); msg != "" {
			s.writeError(w, http.StatusBadRequest, msg)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// unknownParams returns the error message for the parameters of q that are not in
// allowed ("" when there is none): each quoted, with the nearest allowed name when one
// is close, and what op takes.
func unknownParams(q url.Values, allowed []string, op string) string {
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
		if c, ok := closestParam(name, allowed); ok {
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

// serveDoc serves a document of the API description with its media type.
func (s *Server) serveDoc(body []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	}
}

// closestParam returns the allowed parameter name meant by name: the nearest by edit
// distance (suggest.Closest), else the one allowed name that name abbreviates or
// extends ("stat" or "statisticId" for "statistic"), ignoring case.
func closestParam(name string, allowed []string) (string, bool) {
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
