package main

import (
	"context"
	"errors"
	"io"
)

// runSimulate is implemented with the simulator (issue 6).
func runSimulate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("simulate: not implemented yet")
}
