package perf

import (
	"fmt"
	"time"
)

// SQLResult is comparison (c), measured by the perf/sqlbaseline module (its own Go
// module, so that this one does not depend on SQLite) and read back as JSON.
type SQLResult struct {
	// Driver names the SQL engine (modernc.org/sqlite and its version).
	Driver string `json:"driver"`
	// Workload is the workload whose events fill the table; Events the table's rows (one
	// simulated hour), Statistics the statistics recomputed at each refresh.
	Workload   string `json:"workload"`
	Events     int    `json:"events"`
	Statistics int    `json:"statistics"`
	// Verified is the number of statistics whose SQL value equals the engine's; Mismatches
	// lists the first ones that do not.
	Verified   int      `json:"verified"`
	Mismatches []string `json:"mismatches,omitempty"`
	// SQLRecomputeNs is one refresh by SQL: recomputing every statistic from the table
	// (median); EngineValuesNs reading the same statistics with Engine.Value.
	SQLRecomputeNs float64 `json:"sqlRecomputeNs"`
	EngineValuesNs float64 `json:"engineValuesNs"`
	// RefreshInterval is the refresh period the amortized figure assumes; EventsPerRefresh
	// the events the simulated hour has per such period on average; EngineRefreshNs what
	// the engine spends per refresh: applying those events plus reading the values.
	RefreshInterval  time.Duration `json:"refreshInterval"`
	EventsPerRefresh float64       `json:"eventsPerRefresh"`
	EngineRefreshNs  float64       `json:"engineRefreshNs"`
	// Queries is the number of SQL statements of one refresh.
	Queries int `json:"queries"`
}

// ValueRatio is SQL's recompute time over the engine's reads of the same values.
func (s *SQLResult) ValueRatio() float64 { return ratio(s.SQLRecomputeNs, s.EngineValuesNs) }

// RefreshRatio is SQL's recompute time over the engine's whole work per refresh.
func (s *SQLResult) RefreshRatio() float64 { return ratio(s.SQLRecomputeNs, s.EngineRefreshNs) }

// Summary is a one-line account of the comparison.
func (s *SQLResult) Summary() string {
	return fmt.Sprintf("recomputing %d statistics of %s from %s events with SQL (%s, %d queries) takes %s; the engine reads them in %s (%.0f×) and spends %s per %s refresh including the %.0f events of that interval (%.0f×); %d/%d values checked equal",
		s.Statistics, s.Workload, thousands(int64(s.Events)), s.Driver, s.Queries, dur(s.SQLRecomputeNs), dur(s.EngineValuesNs),
		s.ValueRatio(), dur(s.EngineRefreshNs), s.RefreshInterval, s.EventsPerRefresh, s.RefreshRatio(), s.Verified, s.Statistics)
}

// NotifyResult is the notification measurement: events posted to a running server over
// loopback HTTP, value notifications delivered to SSE subscribers. The result itself is
// the run at a fixed offered load (EventRate > 0), where latency is meaningful;
// Capacity, when measured, is the same server driven as fast as it answers.
type NotifyResult struct {
	Subscribers int `json:"subscribers"`
	Statistics  int `json:"statistics"`
	Events      int `json:"events"`
	// EventRate is the offered load in events per second (batches of Batch events on a
	// fixed schedule); 0 for a closed loop (each POST sent when the previous one was
	// answered).
	EventRate float64 `json:"eventRate"`
	Batch     int     `json:"batch"`
	// Delivered counts notifications received by all subscribers in Elapsed (from the
	// first event posted to the last notification read).
	Delivered int           `json:"delivered"`
	Elapsed   time.Duration `json:"elapsed"`
	// P50, P99 and Max are the latencies from the instant the batch that caused a
	// notification was due to be posted (its scheduled time; in a closed loop the start of
	// its POST) to the notification's arrival at a subscriber.
	P50, P99, Max time.Duration
	// Behind is how late the poster fell behind its schedule at most (0 in a closed loop).
	Behind time.Duration `json:"behind"`
	// CPU is the CPU time the process (server, subscribers and poster together) used
	// from the run's start to the end of its wait for the last notifications; 0 when not
	// measured.
	CPU time.Duration `json:"cpu"`
	// Dropped counts subscribers dropped; Coalesced and Discarded are the server's counts
	// of notifications replaced by a newer value of their statistic before being written
	// (the documented coalescing of a subscriber that is behind) and of notifications
	// discarded with a dropped subscriber.
	Dropped   int    `json:"dropped"`
	Coalesced int64  `json:"coalesced"`
	Discarded int64  `json:"discarded"`
	Bound     string `json:"bound"`
	// Capacity is the closed-loop run on the same server (nil when not measured).
	Capacity *NotifyResult `json:"capacity,omitempty"`
}

// PerSecond is the delivery rate.
func (n *NotifyResult) PerSecond() float64 {
	if n.Elapsed <= 0 {
		return 0
	}
	return float64(n.Delivered) / n.Elapsed.Seconds()
}

// Summary is a one-line account of the measurement.
func (n *NotifyResult) Summary() string {
	load := "as fast as the server answers"
	if n.EventRate > 0 {
		load = fmt.Sprintf("at %s events/s", thousands(int64(n.EventRate)))
	}
	s := fmt.Sprintf("%s notifications/s to %d subscribers %s in batches of %d (%s delivered in %s, %s events, %d statistics), latency from ingest p50 %s p99 %s max %s, %d subscribers dropped, %s notifications coalesced, %s discarded",
		rate(n.PerSecond()), n.Subscribers, load, n.Batch, thousands(int64(n.Delivered)), n.Elapsed.Round(time.Millisecond), thousands(int64(n.Events)), n.Statistics,
		n.P50.Round(10*time.Microsecond), n.P99.Round(10*time.Microsecond), n.Max.Round(10*time.Microsecond), n.Dropped,
		thousands(n.Coalesced), thousands(n.Discarded))
	if n.EventRate > 0 {
		s += fmt.Sprintf(", poster at most %s behind schedule", n.Behind.Round(10*time.Microsecond))
	}
	if n.CPU > 0 && n.Delivered > 0 {
		s += fmt.Sprintf(", %s CPU (%.1f µs per notification delivered, server and clients)",
			n.CPU.Round(time.Millisecond), float64(n.CPU.Microseconds())/float64(n.Delivered))
	}
	if c := n.Capacity; c != nil {
		s += "; capacity: " + c.Summary()
	}
	return s
}

// dur formats nanoseconds as a duration.
func dur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(10 * time.Nanosecond).String()
}

// IngestResult is the HTTP ingest measurement (issue 19): a workload's cycles posted as
// NDJSON batches over loopback by concurrent clients to a durable server (package
// ingestbench), each batch with an Idempotency-Key, through the reorder window.
type IngestResult struct {
	Workload string `json:"workload"`
	// Clients post at once, Batch events a POST; Lead is how many batches a client may
	// be ahead of the oldest batch not answered yet (the spread of event time in flight).
	Clients int `json:"clients"`
	Batch   int `json:"batch"`
	Lead    int `json:"lead"`
	// Events and Batches are what the timed run posted (after a warm-up cycle), in
	// Elapsed: from the first POST to the last answer.
	Events  int           `json:"events"`
	Batches int           `json:"batches"`
	Elapsed time.Duration `json:"elapsed"`
	// P50, P99 and Max are the times from a POST's start to its answer read.
	P50, P99, Max time.Duration
	// Fsync names the store's fsync policy; Window is the reorder window.
	Fsync  string        `json:"fsync"`
	Window time.Duration `json:"window"`
	// CPUs is GOMAXPROCS during the run; CPU the process's CPU time over it (server and
	// clients).
	CPUs int           `json:"cpus"`
	CPU  time.Duration `json:"cpu"`
	// Apply is the owner goroutine's time applying batch records in the timed run (its
	// statkit_apply_seconds); LogBytes what the log grew by.
	Apply    time.Duration `json:"apply"`
	LogBytes int64         `json:"logBytes"`
	// Held is the events the reorder window still held at the end (applied once newer
	// events, or the wall-time bound, release them).
	Held int `json:"held"`
	// Verified counts the statistics whose value read over HTTP at the end equals a
	// reference engine's fed the released events directly; Mismatches lists the first
	// that differ.
	Verified   int      `json:"verified"`
	Mismatches []string `json:"mismatches,omitempty"`
	// EngineNsPerAction is the engine-only figure of the same run (workload row, one
	// CPU) the ratio compares with; 0 when not measured.
	EngineNsPerAction float64 `json:"engineNsPerAction"`
}

// PerSecond is the ingest rate: events posted and answered per second.
func (r *IngestResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// EngineRatio is the ingest rate over the engine-only rate of the same run (0 when that
// was not measured).
func (r *IngestResult) EngineRatio() float64 {
	if r.EngineNsPerAction <= 0 {
		return 0
	}
	return r.PerSecond() / (1e9 / r.EngineNsPerAction)
}

// Summary is a one-line account of the measurement.
func (r *IngestResult) Summary() string {
	s := fmt.Sprintf("%s events/s: %s events of %s in %s batches of %d posted by %d clients in %s (p50 %s, p99 %s, max %s per batch), fsync %s, reorder window %s, Idempotency-Key on every batch, %s held at the end, %d CPUs, %s CPU (%.2f µs per event, server and clients), owner applying %s (%.0f%% of the time)",
		rate(r.PerSecond()), thousands(int64(r.Events)), r.Workload, thousands(int64(r.Batches)), r.Batch, r.Clients,
		r.Elapsed.Round(time.Millisecond), r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond), r.Max.Round(10*time.Microsecond),
		r.Fsync, r.Window, thousands(int64(r.Held)), r.CPUs, r.CPU.Round(time.Millisecond), float64(r.CPU.Nanoseconds())/1000/float64(max(r.Events, 1)),
		r.Apply.Round(time.Millisecond), 100*r.Apply.Seconds()/max(r.Elapsed.Seconds(), 1e-9))
	if r.EngineNsPerAction > 0 {
		s += fmt.Sprintf("; %.0f%% of the engine-only rate of the same run (%s actions/s)", 100*r.EngineRatio(), rate(1e9/r.EngineNsPerAction))
	}
	s += fmt.Sprintf("; %d statistics read back equal to a reference engine's", r.Verified)
	return s
}
