package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// statkit bench measures HTTP ingest for S and reports it with the NDJSON-through-the-
// pipeline figure, in the table and the Markdown; the budgets of the history writer and
// the replica, measured with M only, are pending with that reason.
func TestBenchIngestRows(t *testing.T) {
	if testing.Short() {
		t.Skip("builds workload S and a durable server (a few seconds)")
	}
	md := filepath.Join(t.TempDir(), "performance.md")
	var stdout, stderr bytes.Buffer
	err := runBench(context.Background(), []string{"--workloads", "S", "--cpu", "1", "--benchtime", "5ms", "--count", "1",
		"--sql", "off", "--notify=false", "--restart=false", "--failover=false", "--markdown", md}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"NDJSON+ingest events/s", "HTTP ingest (S): ", "Idempotency-Key on every batch",
		"budget: history writer: pending: not run (measured with M only)",
		"budget: replica consuming JetStream: pending: not run (measured with M only)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\n| S | ") || !strings.Contains(string(b), "## HTTP ingest and the ingest boundary's budgets (issue 19)") {
		t.Errorf("Markdown lacks the HTTP ingest table:\n%s", b)
	}
}

// --ingest=false and --budgets=false leave the measurements pending with the flag named.
func TestBenchIngestOff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds workload S (a second or two)")
	}
	var stdout, stderr bytes.Buffer
	err := runBench(context.Background(), []string{"--workloads", "S", "--cpu", "1", "--benchtime", "1ms", "--count", "1",
		"--sql", "off", "--notify=false", "--restart=false", "--ingest=false", "--budgets=false", "--failover=false"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	for _, want := range []string{"HTTP ingest: pending: not run (--ingest=false)", "budget: history writer: pending: not run (--budgets=false)",
		"replication failover: pending: not run (--failover=false)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}
