package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statkit/statkit/internal/yamlpos"
	"github.com/statkit/statkit/spec"
)

// sourceFilesFromFS reads dir/sources/*.yaml in fsys, in name order; a missing directory
// is no source.
func sourceFilesFromFS(fsys fs.FS, dir, prefix string) ([]File, error) {
	names, err := fs.Glob(fsys, path.Join(dir, spec.SourcesDir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("read spec sources: %w", err)
	}
	sort.Strings(names)
	var out []File
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("read spec source: %w", err)
		}
		out = append(out, File{Name: path.Join(prefix, spec.SourcesDir, path.Base(n)), Data: data})
	}
	return out, nil
}

// parseSources parses and schema-validates every source mapping file.
func parseSources(files []File) ([]*parsed, yamlpos.List) {
	var out []*parsed
	var errs yamlpos.List
	for _, f := range files {
		p, ferrs := parseFile(f, spec.SourcesSchema, describeSourceEvent)
		errs = append(errs, ferrs...)
		if p != nil {
			out = append(out, p)
		}
	}
	return out, errs
}

// describeSourceEvent names the source event an instance location in a mapping points into.
func describeSourceEvent(doc *yaml.Node) yamlpos.Describer {
	return func(pointer string) (string, int) {
		var i int
		if _, err := fmt.Sscanf(pointer, "/events/%d", &i); err != nil {
			return "", 0
		}
		return sourceEventLabel(yamlpos.Locate(doc, fmt.Sprintf("/events/%d", i))), 2
	}
}

// sourceEventLabel is `event "NAME"` for an event entry node of a mapping.
func sourceEventLabel(item *yaml.Node) string {
	name := yamlpos.ValueNode(item, "name")
	if name == nil {
		return "event"
	}
	return fmt.Sprintf("event %q", name.Value)
}

// formatFileName is the file a format must live in: spec/sources/<format>.yaml.
func formatFileName(format string) string { return format + ".yaml" }

// sourceIdent is the Go identifier of a format: "asterisk-queue-log" → AsteriskQueueLog,
// with the abbreviations AMI and ESL upper-cased.
func sourceIdent(format string) string {
	var b strings.Builder
	for _, w := range strings.Split(format, "-") {
		switch w {
		case "ami", "esl", "cti", "acd", "sip":
			b.WriteString(strings.ToUpper(w))
			continue
		case "freeswitch":
			w = "FreeSWITCH"
		}
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}
