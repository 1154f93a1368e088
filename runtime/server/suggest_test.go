package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUnknownStatisticSuggests: a 404 for a misspelt statistic id names the open one
// meant; an id near none gets no guess.
func TestUnknownStatisticSuggests(t *testing.T) {
	ts := startServer(t, Options{Config: loadSmall(t), TickInterval: -1}, nil, nil)
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/v1/statistics/waitng", `statistic "waitng": unknown statistic (did you mean "waiting"?)`},
		{"DELETE", "/v1/statistics/Waiting", `(did you mean "waiting"?)`},
		{"GET", "/v1/stream?statistic=waitin", `(did you mean "waiting"?)`},
	} {
		status, b := ts.do(tc.method, tc.path, "", nil)
		assert.Equal(t, http.StatusNotFound, status, "%s %s", tc.method, tc.path)
		assert.Contains(t, errorBody(t, b).Error, tc.want, "%s %s", tc.method, tc.path)
	}
	status, b := ts.do("GET", "/v1/statistics/zzzzzzzzzz", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.NotContains(t, errorBody(t, b).Error, "did you mean")
	// The statistic meant is still open and answers.
	assert.Equal(t, "waiting", ts.peek("waiting").ID)
}
