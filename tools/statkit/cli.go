package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"

	"github.com/statkit/statkit/internal/suggest"
)

// The conventions every command shares: help on stdout with exit status 0, one line and
// a hint for a usage error with exit status 2, flags settable from the environment.

// errUsage marks errors that are the caller's mistake: run prints the message and a hint
// to the command's help, and exits with status 2.
var errUsage = errors.New("usage")

// helpError asks run to print help on stdout and exit with status 0: parseFlags returns it
// for -h and --help, commands that dispatch to subcommands for "help".
type helpError struct {
	print func(w io.Writer)
}

func (helpError) Error() string { return "help requested" }

// flagHelp is the helpError of a flag set: its Usage, written to w.
func flagHelp(fl *flag.FlagSet) helpError {
	return helpError{print: func(w io.Writer) {
		fl.SetOutput(w)
		fl.Usage()
	}}
}

// envPrefix starts the environment variable of every flag.
const envPrefix = "STATKIT_"

// envName is the environment variable that sets a flag: STATKIT_ and the flag's name in
// upper case, dashes as underscores (--fsync-interval: STATKIT_FSYNC_INTERVAL).
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseFlags parses a command's flags and refuses positional arguments. See parseArgs.
func parseFlags(fl *flag.FlagSet, args []string) error {
	rest, err := parseArgs(fl, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	return nil
}

// parseArgs parses a command's flags and returns its positional arguments. A flag not
// given on the command line takes its value from its environment variable (envName) when
// that is set. -h and --help return a helpError; a bad flag or value is a usage error,
// with a suggestion for a misspelt flag name. The flag package prints nothing itself.
func parseArgs(fl *flag.FlagSet, args []string) ([]string, error) {
	out := fl.Output()
	fl.SetOutput(io.Discard)
	err := fl.Parse(args)
	fl.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, flagHelp(fl)
	case err != nil:
		return nil, fmt.Errorf("%w: %s", errUsage, flagErrorText(fl, err))
	}
	given := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fl.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if !ok || given[f.Name] || envErr != nil {
			return
		}
		if err := fl.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("%w: %s=%q: invalid value for --%s: %v", errUsage, envName(f.Name), v, f.Name, err)
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	return fl.Args(), nil
}

// flagErrorText rewords the flag package's errors with double dashes, and adds a
// suggestion to "flag provided but not defined".
func flagErrorText(fl *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		var names []string
		fl.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		hint := ""
		if c, ok := suggest.Closest(name, names); ok {
			hint = fmt.Sprintf(" (did you mean --%s?)", c)
		}
		return "unknown flag --" + name + hint
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: "); ok {
		return "--" + strings.TrimLeft(name, "-") + " needs a value"
	}
	return strings.Replace(msg, " for flag -", " for --", 1)
}

// printFlags writes a flag set's flags, sorted, each with its default and environment
// variable, then how the environment applies. Commands' Usage functions call it.
func printFlags(fl *flag.FlagSet) {
	w := fl.Output()
	n := 0
	fl.VisitAll(func(f *flag.Flag) {
		n++
		kind, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s", f.Name)
		if kind != "" {
			fmt.Fprintf(w, " %s", kind)
		}
		fmt.Fprintf(w, "\n        %s", strings.ReplaceAll(usage, "\n", "\n        "))
		if !zeroDefault(f) {
			if kind == "string" {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			} else {
				fmt.Fprintf(w, " (default %s)", f.DefValue)
			}
		}
		fmt.Fprintf(w, "\n        env %s\n", envName(f.Name))
	})
	if n > 0 {
		fmt.Fprintf(w, "\nEvery flag can also be set in the environment (%s and the flag's name in upper case,\n"+
			"dashes as underscores); a flag given on the command line wins.\n", envPrefix)
	}
}

// zeroDefault reports whether a flag's default is its type's zero value, which help
// leaves out.
func zeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s", "[]":
		return true
	}
	return false
}

// hintFor is the one-line hint after a usage error of cmd.
func hintFor(cmd string) string {
	if cmd == "" {
		return "run 'statkit help' for the commands"
	}
	return fmt.Sprintf("run 'statkit help %s' for its usage", cmd)
}

// newLogger returns the logger of a command that logs: text or JSON lines on w, from level.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("%w: --log-format must be text or json, not %q", errUsage, format)
}

// listenError explains a failure to listen on addr; an address in use names the flag
// that changes it.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("listen on %s: the address is already in use (another statkit, or another server); "+
			"serve on another one with --addr HOST:PORT or %s", addr, envName("addr"))
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}

// runVersion implements `statkit version`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("version", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "usage: statkit version\n\nPrints the module version, the VCS commit statkit was built from and the Go version.")
	}
	if err := parseFlags(fl, args); err != nil {
		return err
	}
	info, ok := debug.ReadBuildInfo()
	_, err := io.WriteString(stdout, versionText(info, ok))
	return err
}

// versionText describes the build: the module version, the VCS commit and its time (and
// whether the tree had changes), the Go version and platform.
func versionText(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "statkit (no build information)\n"
	}
	var b strings.Builder
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	fmt.Fprintf(&b, "statkit %s\n", version)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "commit %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("commit unknown (built without VCS information: go build in a git checkout records it)\n")
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	fmt.Fprintf(&b, "%s", info.GoVersion)
	if goos != "" {
		fmt.Fprintf(&b, " %s/%s", goos, goarch)
	}
	b.WriteString("\n")
	return b.String()
}

// sortedNames returns a map's keys, sorted.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
