package server

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// valueFrame builds the same bytes as encoding/json would for the frame's data,
// including HTML escaping in ids and values.
func TestValueFrameMatchesEncodingJSON(t *testing.T) {
	for _, c := range []struct{ id, at, value string }{
		{"s-1", "2026-11-26T09:00:00.000Z", "0"},
		{"AllQueues.CallsEntered", "1970-01-01T00:00:00.000Z", "12.345"},
		{"<agent&\"1001\">\u2028", "2026-11-26T09:00:07.500Z", `{"type":"Agent","id":"\u003c1001\u003e","children":[]}`},
	} {
		idJSON, err := json.Marshal(c.id)
		require.NoError(t, err)
		atJSON, err := json.Marshal(c.at)
		require.NoError(t, err)
		data, err := json.Marshal(valueJSON{Statistic: c.id, At: atJSON, Value: json.RawMessage(c.value)})
		require.NoError(t, err)
		got, start := valueFrame(idJSON, atJSON, []byte(c.value))
		assert.Equal(t, string(sseFrame("value", data)), string(got))
		assert.Equal(t, c.value, string(got[start:start+len(c.value)]))
	}
}

// isNumber accepts what json.Marshal copies unchanged, and nothing else.
func TestIsNumber(t *testing.T) {
	for _, s := range []string{"0", "-1", "12.5", "1e+21", "0.001"} {
		assert.True(t, isNumber([]byte(s)), s)
	}
	for _, s := range []string{"", "NaN", "+Inf", "-", "1.", "01", `"1"`, "1 "} {
		assert.False(t, isNumber([]byte(s)), s)
	}
}
