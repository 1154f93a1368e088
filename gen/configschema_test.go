package gen_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/gen"
	"github.com/statkit/statkit/generated/configschema"
	"github.com/statkit/statkit/internal/yamlpos"
)

// configSchema generates the real spec's config schema and compiles it with jsonschema/v5.
func configSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	data, err := gen.ConfigSchema(embeddedModel(t))
	require.NoError(t, err)
	s, err := yamlpos.CompileSchema(configschema.URL, data)
	require.NoError(t, err)
	return s
}

// validateConfig validates a YAML config against s with the schema alone (no semantic
// checks, no names left out), as an editor does, and returns "file:line:col: message"s.
func validateConfig(t *testing.T, s *jsonschema.Schema, name string, doc []byte) []string {
	t.Helper()
	root, err := yamlpos.Parse(name, bytes.NewReader(doc), yamlpos.Limits{})
	require.NoError(t, err)
	val, err := yamlpos.ToValue(name, root, yamlpos.Limits{})
	require.NoError(t, err)
	var out []string
	for _, e := range yamlpos.Validate(s, name, root, val, nil) {
		out = append(out, e.Error())
	}
	return out
}

// TestConfigSchemaValidatesExample: the generated schema compiles and accepts the config
// loader's example, which names object types, DN types, categories, subjects and actions,
// and the example configs under examples/.
func TestConfigSchemaValidatesExample(t *testing.T) {
	t.Parallel()
	s := configSchema(t)
	root := repoRoot(t)
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*", "config.yaml"))
	require.NoError(t, err)
	for _, path := range append([]string{filepath.Join(root, "runtime", "config", "testdata", "example.yaml")}, examples...) {
		rel, err := filepath.Rel(root, path)
		require.NoError(t, err)
		assert.Empty(t, validateConfig(t, s, rel, mustRead(t, path)), rel)
	}
}

// TestConfigSchemaNames checks the names the schema accepts beyond plain enum values:
// "Name (Variant)", family members, exclusions and the DNAction alias.
func TestConfigSchemaNames(t *testing.T) {
	t.Parallel()
	s := configSchema(t)
	doc := `statTypes:
  T:
    objects: [Queue, GroupQueues]
    category: TotalNumber
    subject: Action
    mainMask: ["*", "~CallAbandoned", "AgentLogin (Mediation DNs)", CallObservedBySupervisor, "~CallObservingX", "~AgentLogin (Regular DNs)"]
`
	assert.Empty(t, validateConfig(t, s, "c.yaml", []byte(doc)))
}

// TestConfigSchemaRejectsUnknownNames: an editor validating with the schema flags unknown
// names where they are written, with the accepted values.
func TestConfigSchemaRejectsUnknownNames(t *testing.T) {
	t.Parallel()
	s := configSchema(t)
	type want struct{ anchor, prefix string } // the error is at the anchor's first occurrence
	for _, tc := range []struct {
		name, doc string
		want      []want
	}{
		{"unknown category", "statTypes:\n  T: {objects: [Queue], category: TotalCount, subject: DNAction, mainMask: [CallDistributed]}\n",
			[]want{{"TotalCount", `statTypes.T.category: value must be one of "AverageCustomValue", "AverageNumberPerRelativeHour", `}}},
		{"unsupported category", "statTypes:\n  T: {objects: [Queue], category: JavaCategory, subject: DNAction, mainMask: [CallDistributed]}\n",
			[]want{{"JavaCategory", `statTypes.T.category: value must be one of "AverageCustomValue", `}}},
		{"unknown action", "statTypes:\n  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallDistributed, CallTeleported]}\n",
			[]want{
				{"CallTeleported", `statTypes.T.mainMask[1]: value must be one of "*", "ACWCompleted", "ACWMissed", `},
				{"CallTeleported", `statTypes.T.mainMask[1]: does not match pattern '^(?:CallObserved|CallObserving).+$'`},
				{"CallTeleported", `statTypes.T.mainMask[1]: does not match pattern '^~(?:(?:CallObserved|CallObserving).+|ACWCompleted|`},
			}},
		{"unknown exclusion", "statTypes:\n  T: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [\"*\", \"~Nope\"]}\n",
			[]want{
				{`"~Nope"`, `statTypes.T.mainMask[1]: value must be one of "*", `},
				{`"~Nope"`, `statTypes.T.mainMask[1]: does not match pattern '^(?:CallObserved`},
				{`"~Nope"`, `statTypes.T.mainMask[1]: does not match pattern '^~(?:`},
			}},
		{"unknown subject, object type and DN type", `topology: {dns: [{id: "1", type: Phone}]}
statTypes:
  T: {objects: [Switch], category: TotalNumber, subject: QueueAction, mainMask: [CallDistributed]}
`, []want{
			{"Phone", `topology.dns[0].type: value must be one of "ACDPosition", "ACDQueue", "Chat", `},
			{"Switch", `statTypes.T.objects[0]: value must be one of "Agent", "GroupAgents", `},
			{"QueueAction", `statTypes.T.subject: value must be one of "Action", "AgentStatus", "DNAction", `},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := validateConfig(t, s, "c.yaml", []byte(tc.doc))
			require.Len(t, got, len(tc.want), "%q", got)
			for _, w := range tc.want {
				off := strings.Index(tc.doc, w.anchor)
				require.GreaterOrEqual(t, off, 0, w.anchor)
				line := strings.Count(tc.doc[:off], "\n") + 1
				col := off - strings.LastIndex(tc.doc[:off], "\n")
				prefix := fmt.Sprintf("c.yaml:%d:%d: %s", line, col, w.prefix)
				found := false
				for _, g := range got {
					found = found || strings.HasPrefix(g, prefix)
				}
				assert.True(t, found, "no error starts with\n%s\ngot:\n%.200s", prefix, strings.Join(got, "\n"))
			}
		})
	}
}

// TestConfigSchemaHeader: the generated schema carries the header as its first member, on
// a line .ci/run recognises (a JSON file cannot start with a comment), and is the same
// bytes as the schema package configschema embeds for the loader.
func TestConfigSchemaHeader(t *testing.T) {
	t.Parallel()
	data, err := gen.ConfigSchema(embeddedModel(t))
	require.NoError(t, err)
	lines := strings.SplitN(string(data), "\n", 4)
	ci := regexp.MustCompile(`^[[:space:]]*"\$comment": "Code generated .* DO NOT EDIT\.`)
	assert.Equal(t, "{", lines[0])
	assert.Regexp(t, ci, lines[1])
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	assert.Equal(t, gen.Header, v["$comment"])
	assert.Equal(t, configschema.URL, v["$id"])
	assert.True(t, bytes.Equal(data, configschema.JSON()), "generated/configschema is stale; run go generate ./...")
}

// TestConfigSchemaMini spot-checks the mini spec's schema: names sorted, descriptions
// from the spec, unsupported categories left out.
func TestConfigSchemaMini(t *testing.T) {
	t.Parallel()
	m, err := gen.Load(miniFiles(t))
	require.NoError(t, err)
	data, err := gen.ConfigSchema(m)
	require.NoError(t, err)
	var v struct {
		Defs map[string]struct {
			Enum  []string `json:"enum"`
			Descs []string `json:"enumDescriptions"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(data, &v))
	for name, def := range v.Defs {
		if def.Enum == nil {
			continue
		}
		assert.IsIncreasing(t, def.Enum, "$defs/%s is sorted", name)
		assert.Len(t, def.Descs, len(def.Enum), "$defs/%s: one description per value", name)
	}
	objects := v.Defs["objectType"]
	require.NotEmpty(t, objects.Enum)
	for i, d := range objects.Descs {
		assert.NotEmpty(t, d, "objectType %s", objects.Enum[i])
	}
	for _, c := range m.Categories {
		assert.Equal(t, c.Status != "unsupported", contains(v.Defs["category"].Enum, c.Name), "category %s", c.Name)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
