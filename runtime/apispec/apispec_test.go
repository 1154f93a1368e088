package apispec

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A small description: a path-level parameter, a referenced one, a header (not a query
// parameter), an apiKey in the query from the document's security, an operation that
// overrides it, and YAML the JSON must render as written.
const small = `openapi: 3.1.0
info: {title: t, version: "1"}
security: [{key: []}]
paths:
  /v1/items/{id}:
    parameters:
      - {name: id, in: path, required: true}
      - {name: fields, in: query}
    get:
      parameters:
        - {$ref: "#/components/parameters/limit"}
        - {name: X-Trace, in: header}
      responses:
        200: {description: ok}
    delete:
      security: []
      responses:
        204: {description: gone}
components:
  parameters:
    limit: {name: limit, in: query}
  securitySchemes:
    key: {type: apiKey, in: query, name: access_token}
`

func TestParse(t *testing.T) {
	d, err := Parse("small.yaml", []byte(small))
	require.NoError(t, err)
	assert.Equal(t, small, string(d.YAML))
	ops := d.Query("/v1/items/{id}")
	assert.Equal(t, map[string][]string{
		"GET":    {"access_token", "fields", "limit"},
		"DELETE": {"fields"},
	}, ops)
	assert.Nil(t, d.Query("/v1/other"))

	// The JSON keeps the file's order of members, makes keys strings and keeps scalar
	// types.
	assert.True(t, json.Valid(d.JSON))
	assert.Contains(t, string(d.JSON), `{"openapi":"3.1.0","info":{"title":"t","version":"1"},"security":[{"key":[]}],"paths":`)
	assert.Contains(t, string(d.JSON), `"responses":{"200":{"description":"ok"}}`)
	assert.Contains(t, string(d.JSON), `{"name":"id","in":"path","required":true}`)
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"a: [":                       "apispec: x.yaml: yaml:",
		"a: &x 1\nb: {<<: {c: 1}}\n": "merge keys are not supported",
		"a: .inf\n":                  `line 1: ".inf" is no JSON number`,
		"paths: {/p: {get: {parameters: [{$ref: '#/components/parameters/nope'}]}}}\n": "paths./p.get: unresolved parameter #/components/parameters/nope",
		"paths: {/p: {get: {security: [{nope: []}]}}}\n":                               "paths./p.get: unknown security scheme \"nope\"",
	} {
		_, err := Parse("x.yaml", []byte(src))
		require.Error(t, err, src)
		assert.Contains(t, err.Error(), want, src)
	}
}

// The embedded description loads, and declares GET /v1/values' statistic parameter.
func TestLoad(t *testing.T) {
	d, err := Load()
	require.NoError(t, err)
	assert.Contains(t, d.Query("/v1/values")["GET"], "statistic")
}

func TestUnknownParams(t *testing.T) {
	allowed := []string{"from", "limit", "statistic", "to"}
	assert.Equal(t, "", UnknownParams(url.Values{"limit": {"1"}}, allowed, "GET /v1/history"))
	assert.Equal(t, `unknown query parameter "limt" (did you mean "limit"?): GET /v1/history takes from, limit, statistic, to`,
		UnknownParams(url.Values{"limt": {"1"}, "to": {"x"}}, allowed, "GET /v1/history"))
	// A prefix or an extension of one allowed name, and a name like nothing.
	assert.Equal(t, `unknown query parameters "stat" (did you mean "statistic"?), "statisticId" (did you mean "statistic"?), "zzz": GET /v1/history takes from, limit, statistic, to`,
		UnknownParams(url.Values{"zzz": {""}, "statisticId": {""}, "stat": {""}}, allowed, "GET /v1/history"))
	assert.Equal(t, `unknown query parameter "format": GET /v1/openapi.json takes no query parameters`,
		UnknownParams(url.Values{"format": {"yaml"}}, []string{}, "GET /v1/openapi.json"))
}

// An abbreviation that two allowed names start with suggests neither.
func TestClosestAmbiguous(t *testing.T) {
	_, ok := closest("stat", []string{"statistic", "statType"})
	assert.False(t, ok)
	c, ok := closest("STATTYPE", []string{"statistic", "statType"})
	assert.True(t, ok)
	assert.Equal(t, "statType", c)
}
