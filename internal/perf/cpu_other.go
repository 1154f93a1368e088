//go:build !unix

package perf

import "time"

// cpuTime is not measured on this system.
func cpuTime() time.Duration { return 0 }

// CPUTime returns the CPU time this process has used so far; 0 here: not measured.
func CPUTime() time.Duration { return 0 }
