package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	_ "time/tzdata" // time zones work on machines without zoneinfo

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/generated/configschema"
	"github.com/statkit/statkit/internal/yamlpos"
)

// Schema returns the JSON Schema (draft 2020-12) that a config document must satisfy
// before its semantic checks, for editors and tools (a new slice each call). It is
// generated from the spec (package configschema; docs/config.schema.json holds the same
// bytes), with the names of object types, DN types, categories, subjects and actions as
// enums.
func Schema() []byte { return configschema.JSON() }

// Options adjust loading.
type Options struct {
	// NoCompile skips compiling the filters and the custom-value formulas (see
	// LoadFileNoCompile). Formula stat types are compiled in any case: their inputs are
	// part of the configuration.
	NoCompile bool
	// Limits bound the document's size and alias expansion; zero values use yamlpos's
	// defaults (8 MiB, 1,000,000 nodes).
	Limits yamlpos.Limits
}

// LoadFile reads and validates the config file at path, compiling every filter and
// formula (runtime/expr), so that a bad expression is an error at its file:line:col;
// errors name the path.
func LoadFile(path string) (*Config, error) {
	return LoadFileWith(path, Options{})
}

// LoadFileNoCompile is LoadFile without compiling the filters and the custom-value
// formulas: their expressions are kept as written and fail only when an engine compiles
// them. Formula stat types are still compiled, since their inputs are part of the
// configuration.
func LoadFileNoCompile(path string) (*Config, error) {
	return LoadFileWith(path, Options{NoCompile: true})
}

// LoadFileWith is LoadFile with options.
func LoadFileWith(path string, opts Options) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return LoadWith(path, f, opts)
}

// Load reads and validates a config document, compiling every filter and formula; name
// identifies it in errors. On failure the error is a yamlpos.List holding every problem
// found as name:LINE:COL: message, sorted by position. Schema problems are reported
// first: when the document's shape is wrong, the reference checks do not run.
func Load(name string, r io.Reader) (*Config, error) {
	return LoadWith(name, r, Options{})
}

// LoadNoCompile is Load without compiling the filters and the custom-value formulas (see
// LoadFileNoCompile).
func LoadNoCompile(name string, r io.Reader) (*Config, error) {
	return LoadWith(name, r, Options{NoCompile: true})
}

// LoadWith is Load with options.
func LoadWith(name string, r io.Reader, opts Options) (*Config, error) {
	doc, err := yamlpos.Parse(name, r, opts.Limits)
	if err != nil {
		return nil, asList(name, err)
	}
	val, err := yamlpos.ToValue(name, doc, opts.Limits)
	if err != nil {
		return nil, asList(name, err)
	}
	schema, err := compileSchema()
	if err != nil {
		return nil, asList(name, err)
	}
	if errs := yamlpos.ValidateExcept(schema, name, doc, val, nil, nameCheck); len(errs) > 0 {
		return nil, errs
	}
	l := &loader{file: name, opts: opts, cfg: newConfig(), formulaNodes: map[*StatType]*yaml.Node{}}
	l.load(yamlpos.Root(doc))
	if err := l.errs.Err(); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

// compileSchema compiles the embedded schema once, on first use; a compiled schema is
// read-only and safe for concurrent validation.
var compileSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	return yamlpos.CompileSchema(configschema.URL, configschema.JSON())
})

// nameDefs are the schema's generated name tables ($defs) whose values the loader checks
// itself against the generated Go tables, with clearer messages than an enum's list: it
// tells an unknown category from an unsupported one, lists the DN types, says which
// objects a subject or an action reaches.
func nameDefs() []string {
	return []string{"objectType", "dnType", "category", "subject", "maskEntry"}
}

// nameCheck reports whether a failing schema check is a name lookup in one of the
// nameDefs (an enum or pattern inside it): Load leaves it to the semantic checks, which
// report the same value at the same position. Type errors in those defs stay schema
// errors.
func nameCheck(e *jsonschema.ValidationError) bool {
	_, ptr, _ := strings.Cut(e.AbsoluteKeywordLocation, "#")
	toks := strings.Split(ptr, "/") // "", "$defs", name, ..., keyword
	if len(toks) < 4 || toks[1] != "$defs" {
		return false
	}
	switch toks[len(toks)-1] {
	case "enum", "pattern":
		for _, d := range nameDefs() {
			if toks[2] == d {
				return true
			}
		}
	}
	return false
}

// asList turns a parse error into a one-element yamlpos.List.
func asList(name string, err error) yamlpos.List {
	var pe yamlpos.Error
	if errors.As(err, &pe) {
		return yamlpos.List{pe}
	}
	return yamlpos.List{{File: name, Msg: err.Error()}}
}

// loader builds a Config from a validated document, collecting every problem.
type loader struct {
	file string
	opts Options
	cfg  *Config
	errs yamlpos.List
	// formulaNodes are the formula nodes of the Formula stat types, compiled once the
	// statistics they may name are loaded.
	formulaNodes map[*StatType]*yaml.Node
}

// errorf records a problem at node n.
func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.errs = append(l.errs, yamlpos.Errorf(l.file, n, format, args...))
}

// load resolves the sections in dependency order: topology; profiles, ranges and filters;
// stat types; statistics; then the Formula stat types, whose inputs name stat types,
// profiles and statistics, and the inputs of the statistics that use them; reports;
// wallboards.
func (l *loader) load(root *yaml.Node) {
	l.topology(value(root, "topology"))
	l.timeProfiles(value(root, "timeProfiles"))
	l.timeRanges(value(root, "timeRanges"))
	l.filters(value(root, "filters"))
	l.statTypes(value(root, "statTypes"))
	l.statistics(value(root, "statistics"))
	l.formulas()
	l.reports(value(root, "reports"))
	l.wallboards(value(root, "wallboards"))
}
