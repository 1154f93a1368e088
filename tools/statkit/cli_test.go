package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/sim"
)

// runCLI runs statkit with args and returns the exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// Help is asked for in every way people ask: it goes to stdout, and the exit status is 0.
func TestHelpEverywhere(t *testing.T) {
	for _, args := range [][]string{
		{}, {"help"}, {"--help"}, {"-h"}, {"-help"}, {"help", "help"},
		{"help", "serve"}, {"serve", "--help"}, {"serve", "-h"}, {"serve", "--demo", "--help"},
		{"help", "replay"}, {"replay", "-h"}, {"help", "simulate"}, {"simulate", "--help"},
		{"help", "bench"}, {"bench", "-h"}, {"help", "version"}, {"version", "--help"},
		{"help", "spec"}, {"spec", "--help"}, {"spec", "-h"}, {"spec", "help"},
		{"help", "spec", "validate"}, {"spec", "validate", "--help"}, {"spec", "validate", "-h"},
		{"spec", "help", "export"}, {"spec", "export", "--help"}, {"spec", "docs", "-h"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		assert.Equal(t, 0, code, "statkit %v", args)
		assert.Contains(t, stdout, "usage: statkit", "statkit %v: help on stdout", args)
		assert.Empty(t, stderr, "statkit %v: nothing on stderr", args)
	}
	// statkit help CMD is statkit CMD --help.
	_, viaHelp, _ := runCLI(t, "help", "serve")
	_, viaFlag, _ := runCLI(t, "serve", "--help")
	assert.Equal(t, viaHelp, viaFlag)
	for _, want := range []string{"--addr string", `(default "127.0.0.1:8080")`, "env STATKIT_ADDR",
		"--fsync-interval duration", "env STATKIT_FSYNC_INTERVAL", "--log-format string", "--demo\n"} {
		assert.Contains(t, viaHelp, want)
	}
	_, top, _ := runCLI(t, "help")
	for _, cmd := range []string{"serve", "replay", "simulate", "spec", "bench", "version", "help"} {
		assert.Contains(t, top, "\n  "+cmd+" ", "the command list names %s", cmd)
	}
}

// A usage error is one line saying what is wrong and one line saying where help is, on
// stderr, with exit status 2: never the usage itself.
func TestUsageErrorsAreOneLineAndAHint(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		msg, hint string
	}{
		{[]string{"srve"}, `statkit: unknown command "srve" (did you mean "serve"?)`, "run 'statkit help' for the commands"},
		{[]string{"help", "nosuch"}, `statkit: unknown command "nosuch"`, "run 'statkit help' for the commands"},
		{[]string{"serve"}, "statkit serve: give --config C or --demo", "run 'statkit help serve' for its usage"},
		{[]string{"serve", "--adr", ":1"}, "statkit serve: unknown flag --adr (did you mean --addr?)", "run 'statkit help serve' for its usage"},
		{[]string{"serve", "--demo", "--speed", "fast"}, `statkit serve: invalid value "fast" for --speed: parse error`, "run 'statkit help serve' for its usage"},
		{[]string{"serve", "--demo", "--addr"}, "statkit serve: --addr needs a value", "run 'statkit help serve' for its usage"},
		{[]string{"serve", "--demo", "--log-format", "xml"}, `statkit serve: --log-format must be text or json, not "xml"`, "run 'statkit help serve' for its usage"},
		{[]string{"replay", "--config", "c.yaml"}, "statkit replay: --events is required", "run 'statkit help replay' for its usage"},
		{[]string{"spec"}, "statkit spec: name a subcommand: validate, export or docs", "run 'statkit help spec' for its usage"},
		{[]string{"spec", "valdate"}, `statkit spec: unknown spec subcommand "valdate" (did you mean "validate"?) (validate, export, docs)`, "run 'statkit help spec' for its usage"},
		{[]string{"spec", "export", "--format", "xml"}, `statkit spec: unknown format "xml" (tsv, json, yaml)`, "run 'statkit help spec' for its usage"},
		{[]string{"version", "extra"}, `statkit version: unexpected argument "extra"`, "run 'statkit help version' for its usage"},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		assert.Equal(t, 2, code, "statkit %v", tc.args)
		assert.Empty(t, stdout, "statkit %v", tc.args)
		assert.Equal(t, tc.msg+"\n"+tc.hint+"\n", stderr, "statkit %v", tc.args)
	}
}

// Every flag can be set from the environment; the command line wins.
func TestFlagsFromEnvironment(t *testing.T) {
	newSet := func() (*flag.FlagSet, *string, *float64) {
		fl := flag.NewFlagSet("serve", flag.ContinueOnError)
		return fl, fl.String("addr", ":8080", ""), fl.Float64("tick-lag", 1, "")
	}
	fl, addr, lag := newSet()
	require.NoError(t, parseFlags(fl, nil))
	assert.Equal(t, ":8080", *addr, "no variable: the default")

	t.Setenv("STATKIT_ADDR", ":9090")
	t.Setenv("STATKIT_TICK_LAG", "2.5")
	fl, addr, lag = newSet()
	require.NoError(t, parseFlags(fl, nil))
	assert.Equal(t, ":9090", *addr)
	assert.Equal(t, 2.5, *lag, "dashes are underscores")

	fl, addr, lag = newSet()
	require.NoError(t, parseFlags(fl, []string{"--addr", ":7070"}))
	assert.Equal(t, ":7070", *addr, "the command line wins")
	assert.Equal(t, 2.5, *lag)

	t.Setenv("STATKIT_TICK_LAG", "soon")
	fl, _, _ = newSet()
	err := parseFlags(fl, nil)
	require.ErrorIs(t, err, errUsage)
	assert.Contains(t, err.Error(), `STATKIT_TICK_LAG="soon": invalid value for --tick-lag`)

	// Through a whole command: the export format from the environment.
	t.Setenv("STATKIT_FORMAT", "json")
	code, stdout, stderr := runCLI(t, "spec", "export")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "{\n  \"actions\": ["), "json export: %.40s", stdout)
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/statkit/statkit", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"}, {Key: "vcs.time", Value: "2026-11-26T09:00:00Z"},
			{Key: "vcs.modified", Value: "true"}}}
	assert.Equal(t, "statkit v1.2.3\ncommit 0123456789abcdef0123456789abcdef01234567 (2026-11-26T09:00:00Z), with uncommitted changes\ngo1.26.8 linux/amd64\n",
		versionText(info, true))
	info = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	assert.Equal(t, "statkit (devel)\ncommit unknown (built without VCS information: go build in a git checkout records it)\ngo1.26.8\n",
		versionText(info, true))
	assert.Equal(t, "statkit (no build information)\n", versionText(nil, false))

	code, stdout, _ := runCLI(t, "version")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, runtime.Version(), "the Go version of this build")
	_, again, _ := runCLI(t, "--version")
	assert.Equal(t, stdout, again)
}

// writeSimConfigFile writes a small simulated center's config and returns its path.
func writeSimConfigFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cc.yaml")
	require.NoError(t, writeSimConfig(path, sim.Config{Agents: 3, Queues: 1}))
	return path
}

// --log-format json writes one JSON object per line.
func TestServeLogFormatJSON(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--config", writeSimConfigFile(t), "--addr", "127.0.0.1:0", "--tick", "0", "--log-format", "json"}, &stdout, &stderr)
	}()
	require.Eventually(t, func() bool { return strings.Contains(stdout.String(), "serving on") }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &rec), "not a JSON line: %s", l)
		assert.Contains(t, rec, "level")
		assert.Contains(t, rec, "msg")
	}
}

// An address in use says which flag changes it.
func TestServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	code, _, stderr := runCLI(t, "serve", "--config", writeSimConfigFile(t), "--addr", ln.Addr().String(), "--log-level", "error")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "listen on "+ln.Addr().String()+": the address is already in use")
	assert.Contains(t, stderr, "--addr HOST:PORT or STATKIT_ADDR")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
}

// The demo without --data is not durable and writes nothing to the temporary directory.
func TestDemoLeavesNoTemporaryDirectory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	url := serveURL(t, "statkit demo: open", "--demo", "--addr", "127.0.0.1:0", "--agents", "4", "--queues", "1",
		"--speed", "600", "--log-level", "error")
	var list struct{ Statistics []struct{ ID string } }
	getJSON(t, url+"v1/statistics", &list)
	assert.NotEmpty(t, list.Statistics)
	entries, err := os.ReadDir(tmp)
	require.NoError(t, err)
	assert.Empty(t, entries, "the demo made no temporary directory")
}

func TestListenErrorOtherwise(t *testing.T) {
	t.Parallel()
	err := listenError("nowhere:1", errors.New("no such host"))
	assert.EqualError(t, err, "listen on nowhere:1: no such host")
}
