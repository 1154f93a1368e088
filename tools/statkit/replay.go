package main

import (
	"context"
	"errors"
	"io"
)

// runReplay is implemented with the engine (issue 4).
func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("replay: not implemented yet")
}
