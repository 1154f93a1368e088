package yamlpos

import (
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestParseErrorsArePositioned(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"scanner error", "a: 1\nb: c: d\n", "f.yaml:2:1: mapping values are not allowed in this context"},
		{"parser error at the unclosed bracket", "a: 1\nb: [1, 2\nc: 3\n", "f.yaml:2:1: did not find expected ',' or ']'"},
		{"empty", "", "f.yaml:1:1: document is empty"},
		{"two documents", "a: 1\n---\nb: 2\n", "f.yaml:2:1: only one YAML document is allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", strings.NewReader(tt.doc), Limits{})
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

func TestLimits(t *testing.T) {
	_, err := Parse("big.yaml", strings.NewReader("a: "+strings.Repeat("x", 100)), Limits{MaxBytes: 50})
	require.Error(t, err)
	assert.Equal(t, "big.yaml: document is larger than 50 bytes", err.Error())

	// A billion-laughs document: each level doubles the expansion.
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x]\n")
	for i := 1; i < 40; i++ {
		b.WriteString("l" + itoa(i) + ": &l" + itoa(i) + " [*l" + itoa(i-1) + ", *l" + itoa(i-1) + "]\n")
	}
	doc, err := Parse("bomb.yaml", strings.NewReader(b.String()), Limits{})
	require.NoError(t, err)
	_, err = ToValue("bomb.yaml", doc, Limits{MaxNodes: 10_000})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too many nodes")
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestToValueAndLocate(t *testing.T) {
	src := "list:\n  - name: a\n    n: 3\n  - {name: b, ok: true, f: 1.5, z: null}\n"
	doc, err := Parse("v.yaml", strings.NewReader(src), Limits{})
	require.NoError(t, err)
	v, err := ToValue("v.yaml", doc, Limits{})
	require.NoError(t, err)
	list := v.(map[string]any)["list"].([]any)
	assert.Equal(t, "3", string(list[0].(map[string]any)["n"].(interface{ String() string }).String()))
	assert.Equal(t, true, list[1].(map[string]any)["ok"])
	assert.Nil(t, list[1].(map[string]any)["z"])

	n := Locate(doc, "/list/1/ok")
	assert.Equal(t, 4, n.Line)
	assert.Equal(t, 19, n.Column)
	// A missing path stops at the deepest existing node.
	assert.Equal(t, 4, Locate(doc, "/list/1/missing").Line)

	_, err = ToValue("d.yaml", mustParse(t, "a: 1\na: 2\n"), Limits{})
	assert.EqualError(t, err, `d.yaml:2:1: duplicate key "a"`)
}

func mustParse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	doc, err := Parse("d.yaml", strings.NewReader(s), Limits{})
	require.NoError(t, err)
	return doc
}

func TestValidatePositionsAndFieldPaths(t *testing.T) {
	schema, err := CompileSchema("https://statkit.dev/test.json", []byte(`{
	  "type": "object", "additionalProperties": false,
	  "properties": {"items": {"type": "array", "items": {"type": "object", "additionalProperties": false,
	    "properties": {"kind": {"enum": ["a", "b"]}}}}}}`))
	require.NoError(t, err)
	doc := mustParse(t, "items:\n  - kind: a\n  - kind: c\n    extra: 1\n")
	v, err := ToValue("s.yaml", doc, Limits{})
	require.NoError(t, err)
	errs := Validate(schema, "s.yaml", doc, v, nil)
	require.Len(t, errs, 2)
	assert.Equal(t, `s.yaml:3:11: items[1].kind: value must be one of "a", "b"`, errs[0].Error())
	assert.Equal(t, `s.yaml:4:5: items[1]: unknown field "extra"`, errs[1].Error())

	enums := func(e *jsonschema.ValidationError) bool { return strings.HasSuffix(e.KeywordLocation, "/enum") }
	errs = ValidateExcept(schema, "s.yaml", doc, v, nil, enums)
	require.Len(t, errs, 1, "the enum failure is left out")
	assert.Equal(t, `s.yaml:4:5: items[1]: unknown field "extra"`, errs[0].Error())
}

func TestListSortsAndDedups(t *testing.T) {
	l := List{{File: "b", Line: 1, Msg: "x"}, {File: "a", Line: 9, Msg: "y"}, {File: "a", Line: 2, Msg: "z"}, {File: "a", Line: 2, Msg: "z"}}
	assert.Equal(t, "a:2:0: z\na:9:0: y\nb:1:0: x", l.Err().Error())
	assert.NoError(t, List(nil).Err())
}
