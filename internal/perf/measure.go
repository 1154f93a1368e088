package perf

import (
	"bufio"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stopwatch is a Timer for measurements outside `go test`: it accumulates the time and
// the heap allocations (runtime.MemStats.Mallocs) between StartTimer and StopTimer, as
// testing.B does.
type Stopwatch struct {
	// clock reads the time, time.Now when nil (tests give a clock of their own).
	clock   func() time.Time
	running bool
	start   time.Time
	cpu0    time.Duration
	m0      uint64
	elapsed time.Duration
	cpu     time.Duration
	mallocs uint64
}

// StartTimer starts (or resumes) the measurement.
func (s *Stopwatch) StartTimer() {
	if s.running {
		return
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.m0 = m.Mallocs
	s.running = true
	s.cpu0 = cpuTime()
	s.start = s.now()
}

// now reads the Stopwatch's clock.
func (s *Stopwatch) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// StopTimer pauses the measurement.
func (s *Stopwatch) StopTimer() {
	if !s.running {
		return
	}
	s.elapsed += s.now().Sub(s.start)
	s.cpu += cpuTime() - s.cpu0
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.mallocs += m.Mallocs - s.m0
	s.running = false
}

// Sample is one timed run of a measurement: Ops units of work in Elapsed (wall time), CPU
// (the process's user + system time, all threads) and Mallocs heap allocations.
type Sample struct {
	Ops     int
	Elapsed time.Duration
	CPU     time.Duration
	Mallocs uint64
}

// CPUNsPerOp is the process CPU time per unit in nanoseconds. On a busy machine it is
// steadier than NsPerOp, which also counts the time other processes held the core.
func (s Sample) CPUNsPerOp() float64 {
	if s.Ops == 0 {
		return 0
	}
	return float64(s.CPU.Nanoseconds()) / float64(s.Ops)
}

// PerSecond is the throughput in units per second.
func (s Sample) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Ops) / s.Elapsed.Seconds()
}

// NsPerOp is the time per unit in nanoseconds.
func (s Sample) NsPerOp() float64 {
	if s.Ops == 0 {
		return 0
	}
	return float64(s.Elapsed.Nanoseconds()) / float64(s.Ops)
}

// AllocsPerOp is the number of heap allocations per unit.
func (s Sample) AllocsPerOp() float64 {
	if s.Ops == 0 {
		return 0
	}
	return float64(s.Mallocs) / float64(s.Ops)
}

// Result is a measurement: the median of its runs and the spread of their times.
type Result struct {
	Sample
	// Runs is the number of timed runs; Min and Max their fastest and slowest ns/op.
	Runs     int
	Min, Max float64
}

// Spread is (Max−Min)/median of the runs' ns/op, a noise indicator.
func (r Result) Spread() float64 {
	if m := r.NsPerOp(); m > 0 {
		return (r.Max - r.Min) / m
	}
	return 0
}

// Func is a measurement: n units of work, pausing t around untimed setup.
type Func func(t Timer, n int) error

// Measure calibrates n so that one run of f takes at least minTime (as `go test -bench`
// does with -benchtime), then times count runs of n units and returns their median.
// A GC runs before each timed run so that one run's garbage is not charged to the next.
func Measure(f Func, minTime time.Duration, count int) (Result, error) {
	return measure(f, minTime, count, time.Now)
}

// measure is Measure with the clock its Stopwatches read.
func measure(f Func, minTime time.Duration, count int, clock func() time.Time) (Result, error) {
	run := func(n int) (Sample, error) {
		runtime.GC()
		sw := &Stopwatch{clock: clock}
		sw.StartTimer()
		err := f(sw, n)
		sw.StopTimer()
		return Sample{Ops: n, Elapsed: sw.elapsed, CPU: sw.cpu, Mallocs: sw.mallocs}, err
	}
	n := 1
	for {
		s, err := run(n)
		if err != nil {
			return Result{}, err
		}
		if s.Elapsed >= minTime || n >= 1e9 {
			break
		}
		// Aim 20% past min, growing at most 100× a round, as the testing package does.
		next := n * 100
		if s.Elapsed > 0 {
			next = int(1.2 * float64(n) * float64(minTime) / float64(s.Elapsed))
		}
		n = max(min(next, n*100), n+1)
	}
	count = max(count, 1)
	samples := make([]Sample, 0, count)
	for range count {
		s, err := run(n)
		if err != nil {
			return Result{}, err
		}
		samples = append(samples, s)
	}
	slices.SortFunc(samples, func(a, b Sample) int { return int(a.Elapsed - b.Elapsed) })
	return Result{Sample: samples[len(samples)/2], Runs: len(samples),
		Min: samples[0].NsPerOp(), Max: samples[len(samples)-1].NsPerOp()}, nil
}

// RSS returns the resident set of this process in bytes (VmRSS of /proc/self/status),
// or 0 where that file does not exist.
func RSS() uint64 { return procStatus("VmRSS:") }

// procStatus reads a kB field of /proc/self/status.
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
