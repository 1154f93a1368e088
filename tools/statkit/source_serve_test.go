package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/internal/fakepbx"
)

// amiServeConfig: queue sales, agents Alice and Bob.
const amiServeConfig = `
topology:
  dns:
    - {id: sales, type: ACDQueue}
    - {id: Alice, type: Extension, place: P-Alice}
    - {id: Bob, type: Extension, place: P-Bob}
  places: [{id: P-Alice}, {id: P-Bob}]
  agents: [{id: Alice, name: Alice}, {id: Bob, name: Bob}]
statTypes:
  CallsEntered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  CallsAbandoned: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallAbandoned]}
  AgentsLoggedIn: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [AgentLogin]}
  CallsHandled: {objects: [Agent], category: TotalNumber, subject: DNAction, mainMask: [CallInbound]}
  TalkTime: {objects: [Agent], category: TotalTime, subject: DNAction, mainMask: [CallInbound]}
statistics:
  - {id: sales.Entered, statType: CallsEntered, object: {type: Queue, id: sales}}
  - {id: sales.Abandoned, statType: CallsAbandoned, object: {type: Queue, id: sales}}
  - {id: sales.LoggedIn, statType: AgentsLoggedIn, object: {type: Queue, id: sales}}
  - {id: Alice.Handled, statType: CallsHandled, object: {type: Agent, id: Alice}}
  - {id: Alice.Talk, statType: TalkTime, object: {type: Agent, id: Alice}}
`

// statkit serve --source asterisk-ami:ADDR with its secrets in --source-credentials,
// across a SIGKILL: the call answered before the kill ends after it (the mapper's calls
// in progress and agent presence come back from the data directory), the membership the
// new connection's QueueStatus repeats is not counted twice, an event no rule maps is
// counted in /metrics. A credentials file others can read stops serve before it serves.
func TestServeSourceAMI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds statkit")
	}
	dir := t.TempDir()
	bin := buildStatkit(t)
	cfgPath := filepath.Join(dir, "ami.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(amiServeConfig), 0o644))
	pbx, err := fakepbx.NewAMI("statkit", "s3cret")
	require.NoError(t, err)
	defer pbx.Close()
	stamp := func(s int) string { return strconv.Itoa(1767225600+s) + ".000000" }
	pbx.SetTimestamp(stamp(0))
	pbx.SetMembers([]string{"Queue", "sales", "MemberName", "Alice", "Paused", "0"})
	creds := filepath.Join(dir, "ami.env")
	require.NoError(t, os.WriteFile(creds, []byte("# the Manager account\nSTATKIT_AMI_USERNAME=statkit\nSTATKIT_AMI_SECRET=\"s3cret\"\n"), 0o644))

	args := []string{"serve", "--config", cfgPath, "--source", "asterisk-ami:" + pbx.Addr(), "--source-credentials", creds,
		"--data", filepath.Join(dir, "data"), "--tick", "0", "--addr", "127.0.0.1:0", "--log-level", "warn"}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &stderr
	require.Error(t, cmd.Run(), "a credentials file readable by others")
	assert.Contains(t, stderr.String(), "chmod 600")
	require.NoError(t, os.Chmod(creds, 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv := startCrashServerArgs(t, bin, args...)
	c, err := pbx.Conn(ctx)
	require.NoError(t, err)
	send := func(c *fakepbx.Conn, at int, name string, kv ...string) {
		require.NoError(t, c.Event(append([]string{"Event", name, "Privilege", "agent,all", "Timestamp", stamp(at)}, kv...)...))
	}
	waitValues := func(srv *crashServer, want map[string]string) {
		t.Helper()
		var got map[string]string
		require.Eventually(t, func() bool {
			all, _ := srv.values(t)
			got = map[string]string{}
			for id := range want {
				got[id] = all[id]
			}
			return assert.ObjectsAreEqual(want, got)
		}, 10*time.Second, 20*time.Millisecond, "values %v; stderr:\n%s", got, srv.stderr.String())
	}
	send(c, 10, "QueueCallerJoin", "Uniqueid", "c1", "Queue", "sales", "Position", "1", "Count", "1")
	send(c, 12, "QueueCallerLeave", "Uniqueid", "c1", "Queue", "sales", "Position", "1", "Count", "0")
	send(c, 12, "AgentConnect", "Uniqueid", "c1", "Queue", "sales", "MemberName", "Alice", "HoldTime", "2", "RingTime", "1")
	send(c, 13, "Hangup", "Uniqueid", "c7", "Cause", "16")
	waitValues(srv, map[string]string{"sales.Entered": "1", "sales.LoggedIn": "1", "Alice.Handled": "0"})
	assert.Equal(t, 1.0, srv.metric(t, "statkit_source_unmapped_total", `event="Hangup"`))
	srv.kill()

	pbx.SetTimestamp(stamp(50))
	srv = startCrashServerArgs(t, bin, args...)
	c, err = pbx.Conn(ctx)
	require.NoError(t, err)
	send(c, 60, "QueueCallerJoin", "Uniqueid", "c2", "Queue", "sales", "Position", "1", "Count", "1")
	send(c, 70, "QueueCallerAbandon", "Uniqueid", "c2", "Queue", "sales", "Position", "1", "OriginalPosition", "1", "HoldTime", "10")
	send(c, 70, "QueueCallerLeave", "Uniqueid", "c2", "Queue", "sales", "Position", "1", "Count", "0")
	send(c, 102, "AgentComplete", "Uniqueid", "c1", "Queue", "sales", "MemberName", "Alice", "HoldTime", "2", "TalkTime", "90",
		"Reason", "agent")
	waitValues(srv, map[string]string{"sales.Entered": "2", "sales.Abandoned": "1", "sales.LoggedIn": "1", "Alice.Handled": "1",
		"Alice.Talk": "90"})
	accepted, refused := pbx.Logins()
	assert.Equal(t, 2, accepted)
	assert.Equal(t, 0, refused)
}

// statkit replay --log replays a followed queue_log from its frames records, and reports
// the lines the mapping refused with the file's line numbers.
func TestReplayLogOfASource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds statkit")
	}
	dir := t.TempDir()
	bin := buildStatkit(t)
	cfgPath, err := filepath.Abs("../../examples/asterisk/config.yaml")
	require.NoError(t, err)
	qlog := filepath.Join(dir, "queue_log")
	require.NoError(t, os.WriteFile(qlog, []byte("915425934|MANAGER|NE@Bank|AVI|ADDMEMBER|\n"+
		"915425937|c1|NOSUCH@Bank|NONE|ENTERQUEUE||1234|1\n915425940|c2|NE@Bank|NONE|ENTERQUEUE||1234|1\n"), 0o644))
	data := filepath.Join(dir, "data")
	srv := startCrashServerArgs(t, bin, "serve", "--config", cfgPath, "--source", "asterisk-queue-log:"+qlog, "--data", data,
		"--tick", "0", "--reorder-window", "0", "--addr", "127.0.0.1:0", "--log-level", "warn")
	require.Eventually(t, func() bool { return srv.metric(t, "statkit_source_frames_total") == 3 }, 10*time.Second, 10*time.Millisecond)
	got, _ := srv.values(t)
	srv.kill()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "replay", "--log", data, "--format", "json", "--strict")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.Error(t, cmd.Run(), "--strict: a line was refused")
	assert.Contains(t, stderr.String(), "asterisk-queue-log:"+qlog+`:2: ENTERQUEUE: queue "NOSUCH@Bank" is not a mediation DN`)
	replayed := map[string]string{}
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var l struct {
			Statistic string
			Value     json.RawMessage
		}
		require.NoError(t, dec.Decode(&l))
		replayed[l.Statistic] = compactJSON(t, l.Value)
	}
	assert.Equal(t, "1", got["NE@Bank.CallsEntered"])
	assert.Equal(t, got, replayed, "the replay of the log gives the server's values")
}

// --source values that cannot work stop serve before it serves, with a clear reason: an
// unknown format, one given twice (a queue_log's path compared once absolute), --source
// with --demo, a connection whose secrets are not set.
func TestServeSourceUsage(t *testing.T) {
	cfg := "../../examples/asterisk/config.yaml"
	wd, err := os.Getwd()
	require.NoError(t, err)
	for _, c := range []struct {
		args  []string
		usage bool
		msg   string
	}{
		{[]string{"--config", cfg, "--source", "bogus:x"}, true, `unknown source format "bogus"`},
		{[]string{"--config", cfg, "--source", "asterisk-queue-log"}, true, "want FORMAT:ADDRESS"},
		{[]string{"--config", cfg, "--source", "asterisk-queue-log:ql", "--source", "asterisk-queue-log:" + filepath.Join(wd, "ql")}, true, "is given twice"},
		{[]string{"--demo", "--source", "asterisk-queue-log:ql"}, true, "--source goes with --config"},
		{[]string{"--config", cfg, "--source", "asterisk-ami:pbx.example.com"}, false, "STATKIT_AMI_USERNAME is not set in the environment"},
		{[]string{"--config", cfg, "--source", "freeswitch-esl:fs.example.com", "--source-credentials", "/nonexistent/esl.env"}, false, "credentials"},
	} {
		t.Setenv("STATKIT_AMI_USERNAME", "")
		os.Unsetenv("STATKIT_AMI_USERNAME")
		err := runServe(context.Background(), c.args, io.Discard, io.Discard)
		require.Error(t, err, "%v", c.args)
		assert.Equal(t, c.usage, errors.Is(err, errUsage), "%v: %v", c.args, err)
		assert.Contains(t, err.Error(), c.msg, "%v", c.args)
	}
}
