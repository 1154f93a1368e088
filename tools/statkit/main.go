// Command statkit is the statkit CLI: it serves statistics over HTTP, replays event files
// deterministically, simulates a contact center and works with the action spec.
//
// Usage:
//
//	statkit help [COMMAND [SUBCOMMAND]]      list the commands, or show one's flags (also --help, -h)
//	statkit version                          module version, VCS commit, Go version
//	statkit spec validate [FILE…]            check the embedded spec, or spec files given
//	statkit spec export --format tsv|json|yaml
//	statkit spec docs                        print the Markdown action reference
//	statkit replay --config C --events E [--at T]… [--format json|table] [--strict]
//	statkit simulate [--agents N --rate R --duration D --seed S …]
//	statkit serve (--config C | --demo [--agents N --speed X --seed S]) [--addr :8080]
//	statkit bench [--workloads S,M,L] [--cpu 1,2] [--markdown FILE]
//
// Every flag can also be set in the environment, as STATKIT_ and the flag's name in upper
// case with dashes as underscores (STATKIT_ADDR for --addr); the command line wins. Help
// goes to stdout with exit status 0; a usage error is one line and a hint on stderr, exit
// status 2.
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
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/statkit/statkit/internal/suggest"
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
		"version":  {"print the version, VCS commit and Go version of this build", runVersion},
	}
}

// exitError carries an exit status without a message of its own (e.g. --strict rejections).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and maps its error to an exit status: help is printed on
// stdout (0); a usage error is one line and a hint on stderr (2); another error one line
// (1).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stdout, cmds)
		return 0
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout, cmds)
		return 0
	case "-version", "--version":
		name = "version"
	case "help":
		if len(args) == 1 || args[1] == "help" {
			usage(stdout, cmds)
			return 0
		}
		// statkit help CMD [SUB] is statkit CMD [SUB] --help.
		name, args = args[1], append(append([]string{args[1]}, args[2:]...), "--help")
	}
	cmd, ok := cmds[name]
	if !ok {
		fmt.Fprintf(stderr, "statkit: unknown command %q%s\n%s\n", name, suggest.Hint(name, append(sortedNames(cmds), "help")), hintFor(""))
		return 2
	}
	err := cmd.run(ctx, args[1:], stdout, stderr)
	var (
		ee   exitError
		help helpError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		help.print(stdout)
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
		fmt.Fprintf(stderr, "statkit %s: %s\n%s\n", name, msg, hintFor(name))
		return 2
	default:
		fmt.Fprintf(stderr, "statkit %s: %v\n", name, err)
		return 1
	}
}

// usage writes the top-level help.
func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "statkit is a real-time statistics server for contact centers.\n\nusage: statkit <command> [flags]\n\ncommands:")
	for _, n := range sortedNames(cmds) {
		fmt.Fprintf(w, "  %-9s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "help", "show the help of a command: statkit help serve")
	fmt.Fprintf(w, "\nRun 'statkit help <command>' (or 'statkit <command> --help') for a command's flags.\n"+
		"Every flag can also be set in the environment: %sADDR for --addr, %sDATA for --data, ...\n", envPrefix, envPrefix)
}
