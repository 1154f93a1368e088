package event_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/event"
)

// TestUnknownActionSuggests: a misspelt action name is rejected with the name meant; one
// near no action is rejected without a guess.
func TestUnknownActionSuggests(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ action, want string }{
		{"CallInbond", `unknown action "CallInbond" (did you mean "CallInbound"?)`},
		{"callinbound", `unknown action "callinbound" (did you mean "CallInbound"?)`},
		{"CallTeleported", `unknown action "CallTeleported"`},
	} {
		line := `{"time":"2026-11-26T09:00:00Z","action":"` + tc.action + `","phase":"start","source":{"class":"regular_dn","id":"7001"}}`
		_, err := event.DecodeLine([]byte(line), 3, event.Options{})
		var rej *event.Rejection
		require.True(t, errors.As(err, &rej), tc.action)
		assert.Equal(t, event.CodeUnknownAction, rej.Code, tc.action)
		assert.Equal(t, tc.want, rej.Reason, tc.action)
	}
}
