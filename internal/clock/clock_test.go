package clock_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/statkit/statkit/internal/clock"
)

func TestBackoffDoublesUpToMax(t *testing.T) {
	b := clock.Backoff{Min: 50 * time.Millisecond, Max: time.Second}
	var got []time.Duration
	for range 7 {
		got = append(got, b.Next())
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, time.Second, time.Second}, got)
	b.Reset()
	assert.Equal(t, 50*ms, b.Next(), "Reset starts again from Min")
	assert.Equal(t, 100*ms, b.Next())
}

func TestBackoffMinAboveMax(t *testing.T) {
	b := clock.Backoff{Min: time.Minute, Max: 30 * time.Second}
	assert.Equal(t, 30*time.Second, b.Next(), "Max bounds every wait")
	assert.Equal(t, 30*time.Second, b.Next())
}

func TestBackoffZero(t *testing.T) {
	var b clock.Backoff
	assert.Zero(t, b.Next())
	assert.Zero(t, b.Next())
}

func TestSleep(t *testing.T) {
	assert.NoError(t, clock.Sleep(context.Background(), time.Millisecond))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	assert.ErrorIs(t, clock.Sleep(ctx, time.Hour), context.Canceled, "a done context ends the wait with its error")
	assert.Less(t, time.Since(start), time.Minute)
}
