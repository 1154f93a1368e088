// Package input opens statkit's source formats by name: the readers of recorded files
// (statkit replay --input FORMAT), the live sources of statkit serve --source
// FORMAT:ADDRESS, and the frame decoder of each format, all chosen by the format's wire
// (spec/sources/<format>.yaml: wire). Adding a format with an existing wire is a YAML file;
// a new wire is one reader package and one case here.
package input

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	gs "github.com/statkit/statkit/generated/source"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/ami"
	"github.com/statkit/statkit/runtime/source/esl"
	"github.com/statkit/statkit/runtime/source/queuelog"
	"github.com/statkit/statkit/runtime/source/stream"
)

// Names lists the source formats, in name order.
func Names() []string {
	var out []string
	for _, f := range gs.Formats() {
		out = append(out, f.Name)
	}
	return out
}

// Format returns the format named name, with the list of formats in the error.
func Format(name string) (*gs.Format, error) {
	if f, ok := gs.Lookup(name); ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown source format %q (formats: %s)", name, strings.Join(Names(), ", "))
}

// Decoder returns the frame decoder of f's wire.
func Decoder(f *gs.Format) (source.Decoder, error) {
	switch f.Wire {
	case "queuelog":
		return queuelog.Decoder(f), nil
	case "ami":
		return ami.Decode, nil
	case "esl":
		return esl.Decode, nil
	}
	return nil, fmt.Errorf("source format %s: no reader for wire %q", f.Name, f.Wire)
}

// Recorded returns a reader of a recorded input in format f: a copy of a queue_log, or a
// capture of an AMI or ESL stream.
func Recorded(f *gs.Format, r io.Reader) (source.Reader, error) {
	switch f.Wire {
	case "queuelog":
		return queuelog.NewReader(f, r), nil
	case "ami":
		return ami.NewReader(r), nil
	case "esl":
		return esl.NewReader(r), nil
	}
	return nil, fmt.Errorf("source format %s: no reader for wire %q", f.Name, f.Wire)
}

// Spec is a parsed --source value: FORMAT:ADDRESS.
type Spec struct {
	Format  *gs.Format
	Address string // a file path for a queue_log, host:port for AMI and ESL
}

// ParseSpec parses FORMAT:ADDRESS (e.g. asterisk-queue-log:/var/log/asterisk/queue_log,
// asterisk-ami:pbx.example.com:5038, freeswitch-esl:127.0.0.1:8021).
func ParseSpec(s string) (Spec, error) {
	name, addr, ok := strings.Cut(s, ":")
	if !ok || addr == "" {
		return Spec{}, fmt.Errorf("source %q: want FORMAT:ADDRESS (formats: %s)", s, strings.Join(Names(), ", "))
	}
	f, err := Format(name)
	if err != nil {
		return Spec{}, err
	}
	if f.Wire != "queuelog" && !strings.Contains(addr, ":") {
		switch f.Wire {
		case "ami":
			addr += ":5038"
		case "esl":
			addr += ":8021"
		}
	}
	return Spec{Format: f, Address: addr}, nil
}

// LiveOptions configure a live source.
type LiveOptions struct {
	// Credentials is the NAME=VALUE file holding the secrets (mode 600); empty reads them
	// from the environment: STATKIT_AMI_USERNAME and STATKIT_AMI_SECRET for AMI,
	// STATKIT_ESL_PASSWORD for ESL.
	Credentials string
	// Attach lists the channel variables kept as attached data (the same list as the
	// Mapper's); with any, AMI also subscribes to class dialplan (VarSet) and ESL to
	// CHANNEL_EXECUTE_COMPLETE, for updates during calls.
	Attach []string
	Logger *slog.Logger
	// Follow configures a queue_log follower; Stream a connection.
	Follow queuelog.FollowOptions
	Stream stream.Options
}

// Credential variable names.
const (
	EnvAMIUsername = "STATKIT_AMI_USERNAME"
	EnvAMISecret   = "STATKIT_AMI_SECRET"
	EnvESLPassword = "STATKIT_ESL_PASSWORD"
)

// Open opens the live source of spec, resuming at pos (a Batch.Position it produced; nil
// to start afresh: a queue_log from the beginning of its current file).
func Open(spec Spec, pos []byte, opts LiveOptions) (source.Source, error) {
	f := spec.Format
	if opts.Follow.Logger == nil {
		opts.Follow.Logger = opts.Logger
	}
	if opts.Stream.Logger == nil {
		opts.Stream.Logger = opts.Logger
	}
	switch f.Wire {
	case "queuelog":
		return queuelog.Follow(spec.Address, pos, opts.Follow)
	case "ami":
		cred, err := source.LoadCredentials(opts.Credentials, EnvAMIUsername, EnvAMISecret)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", f.Name, err)
		}
		events := "agent"
		if len(opts.Attach) > 0 {
			events = "agent,dialplan"
		}
		return ami.Connect(ami.Config{Addr: spec.Address, Username: cred[0], Secret: cred[1], Events: events, Stream: opts.Stream}), nil
	case "esl":
		cred, err := source.LoadCredentials(opts.Credentials, EnvESLPassword)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", f.Name, err)
		}
		events := esl.DefaultEvents
		if len(opts.Attach) > 0 && !slices.Contains(strings.Fields(events), "CHANNEL_EXECUTE_COMPLETE") {
			events = "CHANNEL_EXECUTE_COMPLETE " + events
		}
		return esl.Connect(esl.Config{Addr: spec.Address, Password: cred[0], Events: events, Stream: opts.Stream}), nil
	}
	return nil, fmt.Errorf("source format %s: no reader for wire %q", f.Name, f.Wire)
}
