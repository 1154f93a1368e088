//go:build unix

package perf

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) this process has used, all threads
// together (the engine's goroutine, the GC's workers).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUTime returns the CPU time (user + system) this process has used so far, all
// threads together; 0 where it is not measured.
func CPUTime() time.Duration { return cpuTime() }
