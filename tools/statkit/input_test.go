package main

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sourcesConfig = filepath.Join("testdata", "sources", "config.yaml")

// replayValues runs replay and returns each statistic's value (the last --at).
func replayValues(t *testing.T, args ...string) (map[string]float64, string, error) {
	t.Helper()
	stdout, stderr, err := replayOut(t, args...)
	out := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var l struct {
			Statistic string  `json:"statistic"`
			Value     float64 `json:"value"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &l), line)
		out[l.Statistic] = l.Value
	}
	return out, stderr, err
}

// TestReplayInputQueueLog replays a queue_log: a bad line and a line on an unknown queue
// are refused with their line numbers in the queue_log, an unmapped event is noted once,
// a line written 5 s out of order is put back in time.
func TestReplayInputQueueLog(t *testing.T) {
	ql := filepath.Join("testdata", "sources", "queue_log")
	v, stderr, err := replayValues(t, "--config", sourcesConfig, "--events", ql, "--input", "asterisk-queue-log", "--strict")
	var exit exitError
	require.True(t, errors.As(err, &exit), "--strict with rejected lines: %v", err)
	assert.Equal(t, 1, exit.code)
	assert.Equal(t, 2.0, v["sales.entered"], "c1 and c4 (out of order)")
	assert.Equal(t, 60.0, v["a1001.talk"])
	assert.Contains(t, stderr, ql+":4: not a queue_log line: want epoch|callid|queue|agent|event|data…, got 1 field(s) [bad_line]\n")
	assert.Contains(t, stderr, ql+`:5: ENTERQUEUE: queue "billing" is not a mediation DN of the topology (declare it, e.g. {id: "billing", type: ACDQueue}) [unknown_queue]`+"\n")
	assert.Contains(t, stderr, "source event not mapped; counted and skipped (logged once per event)")
	assert.Contains(t, stderr, "event=DID")
	assert.NotContains(t, stderr, "late_event")
}

func TestReplayInputAMIAndESL(t *testing.T) {
	v, stderr, err := replayValues(t, "--config", sourcesConfig, "--events", filepath.Join("..", "..", "runtime", "source", "testdata", "ami-calls.txt"),
		"--input", "asterisk-ami", "--strict")
	require.NoError(t, err, stderr)
	assert.Equal(t, 1.0, v["sales.entered"])
	assert.Equal(t, 1.0, v["support.abandoned"])
	assert.Equal(t, 1.0, v["alice.handled"])
	assert.Equal(t, 100.0, v["alice.talk"])

	v, stderr, err = replayValues(t, "--config", sourcesConfig, "--events", filepath.Join("..", "..", "runtime", "source", "testdata", "esl-calls.txt"),
		"--input", "freeswitch-esl", "--strict")
	require.NoError(t, err, stderr)
	assert.Equal(t, 3.0, v["fs.entered"])
	assert.Equal(t, 1.0, v["fs.abandoned"])
	assert.Equal(t, 100.0, v["fs.talk"])
}

func TestReplayInputUnknown(t *testing.T) {
	_, _, err := replayOut(t, "--config", sourcesConfig, "--events", sourcesConfig, "--input", "avaya-cms")
	require.ErrorIs(t, err, errUsage)
	assert.ErrorContains(t, err, `unknown source format "avaya-cms" (formats: asterisk-ami, asterisk-queue-log, freeswitch-esl) (or ndjson)`)
}
