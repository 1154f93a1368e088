package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/internal/perf"
	"github.com/statkit/statkit/internal/perf/boundbench"
	"github.com/statkit/statkit/internal/perf/failoverbench"
	"github.com/statkit/statkit/internal/perf/ingestbench"
	"github.com/statkit/statkit/internal/perf/ssebench"
)

// runBench implements `statkit bench`: it measures the benchmark workloads of
// internal/perf, prints the figures as a table and, with --markdown, writes them with the
// method, the machine, the ratios and the targets to a Markdown file (docs/performance.md).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("bench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	workloads := fl.String("workloads", "S,M", "workloads to measure: S, M and/or L, comma-separated")
	cpus := fl.String("cpu", "1,2", "GOMAXPROCS values to measure each workload with, comma-separated")
	benchTime := fl.Duration("benchtime", time.Second, "least time of one timed run")
	count := fl.Int("count", 3, "timed runs per figure (the median is reported)")
	markdown := fl.String("markdown", "", "write the report as Markdown to this file (docs/performance.md)")
	sqlDir := fl.String("sql", "perf/sqlbaseline", `directory of the SQL baseline module, run with "go run"; "off" to skip comparison (c)`)
	notify := fl.Bool("notify", true, "measure notifications to 1,000 SSE subscribers over loopback HTTP")
	ingest := fl.Bool("ingest", true, "measure HTTP ingest into a durable server over loopback (issue 19: 4 clients, batches of 500 with Idempotency-Keys, reorder window on) for S and M")
	failover := fl.Bool("failover", true, "measure replication failover on an in-process 3-node NATS JetStream cluster with two replicas: lease takeover and a killed replica's catch-up after the bank day (issue 17; about 30 s; run inside the module, which holds examples/bank)")
	budgets := fl.Bool("budgets", true, "with M, measure the budgets of the history writer (SQLite) and of a replica consuming JetStream (in-process NATS), issue 19")
	restart := fl.Bool("restart", true, "with L, measure a restart (issue 8): snapshot, 1,000,000 events logged, restore and replay, in a temporary directory (a couple of minutes)")
	memChild := fl.String("memory-child", "", "internal: print the memory figures of one workload as JSON and exit")
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit bench [--workloads S,M,L] [--cpu 1,2] [--markdown FILE] [--benchtime D] [--count N] [--sql DIR|off] [--notify=false] [--ingest=false] [--budgets=false] [--failover=false] [--restart=false]\n\n"+
			"Measures engine actions/s, allocations, NDJSON events/s, decoding against encoding/json,\n"+
			"the floor, memory per statistic (and RSS for L, in a process of its own), SQL\n"+
			"recomputation, SSE notifications, HTTP ingest into a durable server, the budgets of the\n"+
			"ingest pipeline, history writer and JetStream replica and, with L, a restart from snapshot and log on\n"+
			"fixed-seed simulated contact centers, and prints a table. L takes several minutes and a\n"+
			"few GiB.\n\nflags:")
		printFlags(fl)
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	if *memChild != "" {
		return benchMemoryChild(*memChild, stdout)
	}
	suite := perf.Suite{BenchTime: *benchTime, Count: *count, Log: stderr, Restart: *restart}
	for _, name := range strings.Split(*workloads, ",") {
		s, err := perf.SizeNamed(strings.TrimSpace(name))
		if err != nil || s.GrowingNumeric {
			return fmt.Errorf("%w: --workloads: unknown workload %q (S, M or L)", errUsage, name)
		}
		suite.Workloads = append(suite.Workloads, s)
	}
	for _, c := range strings.Split(*cpus, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return fmt.Errorf("%w: --cpu: %q is not a positive number", errUsage, c)
		}
		suite.CPUs = append(suite.CPUs, n)
	}
	suite.Memory = func(s perf.Size) (*perf.Memory, error) { return benchMemory(ctx, s, stderr) }
	if *sqlDir != "off" {
		dir := *sqlDir
		suite.SQL = func() (*perf.SQLResult, error) { return benchSQL(ctx, dir, *benchTime, *count, stderr) }
	}
	if *notify {
		suite.Notify = func() (*perf.NotifyResult, error) { return ssebench.Measure(ctx, ssebench.Options{}) }
	}
	if *ingest {
		suite.Ingest = func(s perf.Size) (*perf.IngestResult, error) {
			return ingestbench.Measure(ctx, ingestbench.Options{Size: s})
		}
	}
	if *budgets {
		suite.History = func(s perf.Size) (*perf.BudgetResult, error) {
			return boundbench.History(ctx, boundbench.Options{Size: s})
		}
		suite.Replica = func(s perf.Size) (*perf.BudgetResult, error) {
			return boundbench.Replica(ctx, boundbench.Options{Size: s})
		}
	}
	if *failover {
		suite.Failover = func() (string, string, error) {
			fr, err := failoverbench.Run(ctx, failoverbench.Options{Log: stderr})
			if err != nil {
				return "", "", err
			}
			var sec bytes.Buffer
			if err := fr.Markdown(&sec); err != nil {
				return "", "", err
			}
			return sec.String(), fr.Summary(), nil
		}
	}
	rep, err := suite.Run()
	if err != nil {
		return err
	}
	rep.Command = "go run ./tools/statkit bench " + strings.Join(args, " ")
	rep.Revision = gitRevision(ctx)
	fmt.Fprintln(stdout)
	rep.Table(stdout)
	if *markdown == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := rep.Markdown(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(*markdown, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", *markdown)
	return nil
}

// benchMemoryChild builds one workload measuring its memory (the first cycle streamed,
// not kept) and prints the figures as JSON: the child side of benchMemory.
func benchMemoryChild(name string, stdout io.Writer) error {
	s, err := perf.SizeNamed(name)
	if err != nil {
		return fmt.Errorf("%w: --memory-child: %v", errUsage, err)
	}
	w, err := perf.Build(s, perf.Options{MeasureRSS: true, MemoryOnly: true, Log: os.Stderr})
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(perf.MemoryOf(w))
}

// benchMemory measures the memory figures of s in a new process of this executable, so
// that the RSS holds that workload only.
func benchMemory(ctx context.Context, s perf.Size, stderr io.Writer) (*perf.Memory, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "bench", "--memory-child", s.Name)
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	var m perf.Memory
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("memory of %s: %w", s.Name, err)
	}
	return &m, nil
}

// benchSQL runs the SQL baseline module (go run . -json in dir) on one core and reads
// its result.
func benchSQL(ctx context.Context, dir string, benchTime time.Duration, count int, stderr io.Writer) (*perf.SQLResult, error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return nil, fmt.Errorf("no SQL baseline module in %s (run from the repository root, or pass --sql DIR)", dir)
	}
	cmd := exec.CommandContext(ctx, "go", "run", ".", "-json", "-benchtime", benchTime.String(), "-count", strconv.Itoa(max(count, 3)))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go run %s: %w", dir, err)
	}
	var r perf.SQLResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("go run %s: %w", dir, err)
	}
	return &r, nil
}

// gitRevision describes the checked-out commit and the runtime packages with uncommitted
// changes, best effort ("" outside a git work tree).
func gitRevision(ctx context.Context) string {
	head, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := "commit " + strings.TrimSpace(string(head))
	st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--", "runtime", "generated").Output()
	if err != nil {
		return rev
	}
	dirs := map[string]bool{}
	var list []string
	for _, line := range strings.Split(string(st), "\n") {
		if len(line) < 4 {
			continue
		}
		d := filepath.Dir(strings.TrimSpace(line[3:]))
		if !dirs[d] {
			dirs[d] = true
			list = append(list, d)
		}
	}
	if len(list) > 0 {
		rev += " with uncommitted changes in " + strings.Join(list, ", ")
	}
	return rev
}
