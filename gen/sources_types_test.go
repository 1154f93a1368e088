package gen

import (
	"encoding/json"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/spec"
)

// TestSourceEnumsCoverSchema checks that every name the mapping schema allows for a field
// type, an emit's target and phase and an op has a constant in generated/source, and no
// constant carries a name the schema does not allow: the emitters look constants up by
// these names.
func TestSourceEnumsCoverSchema(t *testing.T) {
	data, err := fs.ReadFile(spec.Files, spec.SourcesSchema)
	require.NoError(t, err)
	var schema struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(data, &schema))
	for _, c := range []struct {
		def, prop string
		enum      sourceEnum
	}{
		{"field", "type", fieldTypes()},
		{"emit", "on", targets()},
		{"emit", "phase", phases()},
		{"op", "op", opKinds()},
	} {
		allowed := schema.Defs[c.def].Properties[c.prop].Enum
		require.NotEmpty(t, allowed, "$defs/%s/properties/%s/enum", c.def, c.prop)
		var named []string
		for _, k := range c.enum.Consts {
			if k.Spec != "" {
				named = append(named, k.Spec)
			}
		}
		assert.ElementsMatch(t, allowed, named, "%s against $defs/%s/properties/%s", c.enum.Type, c.def, c.prop)
		for _, name := range allowed {
			assert.NotEmpty(t, c.enum.constFor(name), "%s has no constant for %q", c.enum.Type, name)
		}
	}
	assert.Empty(t, phases().constFor(""), "the unnamed PhaseNone is not found by name")
}
