// Command statkit is the statkit CLI: it serves statistics over HTTP, replays event files
// deterministically, simulates a contact center and works with the action spec.
//
// Usage:
//
//	statkit spec validate [FILE…]            check the embedded spec, or spec files given
//	statkit spec export --format tsv|json|yaml
//	statkit spec docs                        print the Markdown action reference
//	statkit replay --config C --events E [--at T]… [--format json|table] [--strict]
//	statkit simulate [--agents N --rate R --duration D --seed S …]
//	statkit serve (--config C | --demo [--agents N --speed X --seed S]) [--addr :8080]
//	statkit bench [--workloads S,M,L] [--cpu 1,2] [--markdown FILE]
//
// The command is built with profile-guided optimization: default.pgo in this directory is
// a CPU profile of the NDJSON M benchmark (reading, decoding, validating and applying
// events, which is where a server spends its time), and makes the engine and the NDJSON
// path 5–15% faster than a build without it on that benchmark. Regenerate it after large
// changes to the engine or the decoder:
//
//	go test -c -o /tmp/perf.test ./internal/perf
//	cd internal/perf && /tmp/perf.test -test.run '^$' -test.bench 'NDJSON$' \
//	    -test.benchtime 5s -test.cpu 1 -test.cpuprofile ../../tools/statkit/default.pgo
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: it parses its own flags from args.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands; each lives in its own file.
func commands() map[string]command {
	return map[string]command{
		"spec":     {"validate, export or document the action spec", runSpec},
		"replay":   {"apply an event file to a config and print statistic values", runReplay},
		"simulate": {"print a simulated contact-center event stream as NDJSON", runSimulate},
		"serve":    {"serve the statistics API, live stream and wallboard over HTTP", runServe},
		"bench":    {"measure the benchmark workloads and report them (docs/performance.md)", runBench},
		"report":   {"print a day's interval report from the history database", runReport},
	}
}

// errUsage marks errors that should be followed by usage, exiting with status 2.
var errUsage = errors.New("usage")

// exitError carries an exit status without a message of its own (e.g. --strict rejections).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and maps its error to an exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		return 2
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "statkit: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0 // the command printed its usage
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "statkit %s: %v\n", args[0], err)
		return 2
	default:
		fmt.Fprintf(stderr, "statkit %s: %v\n", args[0], err)
		return 1
	}
}

// parseFlags parses a command's flags and refuses positional arguments. -h returns
// flag.ErrHelp (the usage was printed; the command exits 0); other problems are usage errors.
func parseFlags(fl *flag.FlagSet, args []string) error {
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fl.Arg(0))
	}
	return nil
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: statkit <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'statkit <command> -h' for a command's flags")
}
