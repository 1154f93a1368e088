package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/source"
	"github.com/statkit/statkit/runtime/source/input"
)

// inputNDJSON is the default --input: statkit's own action events.
const inputNDJSON = "ndjson"

// sourceReorder is the reorder window of a platform's recorded input, in milliseconds: a
// platform stamps an event before it writes it, so lines of a busy second can come out of
// order by a second or so; events are put back in time order within this window.
const sourceReorder = 5000

// eventReader yields the events of an input, as event.Decoder does for NDJSON.
type eventReader interface {
	Next() (event.Event, *event.Rejection, error)
}

// inputHelp describes --input.
func inputHelp() string {
	return "input format: " + inputNDJSON + " (statkit's events, the default) or a platform's: " +
		strings.Join(input.Names(), ", ") + " (a recorded queue_log, or a capture of the AMI or ESL stream)"
}

// openInput returns the events of in, read as format kind: NDJSON decoded with res, or a
// platform's records mapped to events by the format's generated table (checked against
// cfg's topology, reordered within sourceReorder). Unmapped platform events are noted once
// per kind on stderr.
func openInput(kind string, in io.Reader, cfg *config.Config, res event.Resolver, stderr io.Writer) (eventReader, error) {
	if kind == "" || kind == inputNDJSON {
		return event.NewDecoder(in, event.Options{Resolver: res}), nil
	}
	f, err := input.Format(kind)
	if err != nil {
		return nil, fmt.Errorf("%w: --input: %v (or %s)", errUsage, err, inputNDJSON)
	}
	r, err := input.Recorded(f, in)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := source.NewMapper(f, source.Options{Topology: &cfg.Topology, Logger: log})
	return source.NewEvents(r, m, sourceReorder), nil
}
