// Package server is statkit's HTTP server: the API of DESIGN.md §4 over one engine,
// Server-Sent Events for live values, Prometheus metrics and the embedded wallboard.
//
//	srv, err := server.New(server.Options{Config: cfg})
//	ln, err := net.Listen("tcp", ":8080")
//	err = srv.Serve(ctx, ln) // until ctx is done, then a graceful shutdown
//
// # API
//
// docs/openapi.yaml describes every endpoint (served at /v1/openapi.json and
// /v1/openapi.yaml; a test checks the live server's answers against it). Every body is
// JSON (events are NDJSON); errors are 4xx/5xx with {"error": "..."}. A query parameter
// an endpoint does not declare in docs/openapi.yaml is 400, naming it and the one it
// most likely meant (apiMux, checkQuery; package apispec reads the declared parameters
// from the description at New, so the two cannot drift); the wallboard's page is the
// exception.
//
//	POST   /v1/events            NDJSON events (Content-Type NDJSON, JSON or text; gzip
//	                             allowed) → 200 {accepted, rejected:[{line, reason, code}],
//	                             rejectedTotal, late:[{line, lateBy, appliedAt}], lateTotal}
//	                             when a line was accepted, 400 with the same body when none
//	                             was; 413 over the body limit, 415 another content type or
//	                             encoding, 422 an Idempotency-Key reused for another body,
//	                             429 the ingest queue full, 503 read-only (nothing applied)
//	POST   /v1/statistics        {statType, object:{type,id}, profile, timeRange, filter,
//	                             notification} → 201 {id} ("s-N"); 400 with the problems
//	GET    /v1/statistics[?statistic=ID…][&values=true]
//	                             {statistics:[{id, statType, object, profile, timeRange,
//	                             filter, notification, export}]}; with values, each also
//	                             has at, value and reason (when undefined)
//	GET    /v1/statistics/{id}   {id, statType, object, profile, at, value, reason}; 404
//	DELETE /v1/statistics/{id}   204; 404
//	GET    /v1/values[?statistic=ID…]
//	                             {values:[{statistic, at, value, reason}]}: many values in
//	                             one request, read at one engine time, the items of the
//	                             stream's value frames; 404 naming the ids not open
//	GET    /v1/stream[?statistic=ID…]
//	                             SSE: event: value / data: {statistic, at, value, reason},
//	                             first the current values, then every change; event:
//	                             closed / data: {statistic, at} when a statistic closes; a
//	                             comment every 15 s. No statistic named: every open one,
//	                             and those opened later. An unknown id: 404 before
//	                             streaming. (at, here and in a peek, is the engine time:
//	                             null before the first event or tick.)
//	GET    /v1/actions           {actions:[{name, variant, key, kind, sources, interaction,
//	                             summary, origin}]} (origin: seed or local)
//	GET    /v1/config            {statTypes, profiles, timeRanges, filters, objects:{Agent:
//	                             [{id,name}], Queue:[…], …}}: what a client offers to open
//	POST   /v1/config/reload     200 what changed; 400 the config refused
//	GET    /v1/wallboards        {wallboards:[{name, title, headline:[tile], sections:[{title,
//	                             columns, rows:[{label, object, with, cells:[tile|null]}]}],
//	                             agents:{statistics, groups, states}}]}: the config's
//	                             boards (wallboards.go); a tile is {statistic, of, history,
//	                             label, statType, category, object, profile, timeRange,
//	                             unit, thresholds:{warn, alarm, direction}|null}
//	GET    /v1/trends[?statistic=ID…]
//	                             {at, window, series:[{statistic, points:[[ms, value]]}]}:
//	                             the recent values the server keeps of the boards'
//	                             statistics (trends.go, package trend)
//	GET    /v1/clock             {at}: the engine time, sampled every second
//	GET    /v1/history?statistic=ID…&from=T&to=T
//	                             the recorded intervals (history.ParseQuery: also by statType
//	                             and object, limit) → {from, to, truncated, series:[{statistic,
//	                             …, intervals:[{start, end, value}]}]}; 400 a bad parameter,
//	                             404 a statistic not recorded or no history, 503 while its
//	                             database does not answer (history.go)
//	GET    /v1/openapi.json      the API description (and /v1/openapi.yaml, as written)
//	GET    /metrics              Prometheus (the server's own registry), with the exported
//	                             statistics (below)
//	GET    /healthz              {status, engineTime, applied, held} when the engine answers
//	                             (and replica: ReplicaStatus on a replica; history: {state,
//	                             committed, applied, lag, pendingRows, lostRecords, error}
//	                             with a history database); 503 {status:"failed", error}
//	                             when the log failed
//	GET    /                     the wallboard (package web)
//
// Statistic ids (the statistic parameter) repeat the parameter or are separated by
// commas, and answers keep the order asked (duplicates once).
//
// # Undefined values
//
// A value the engine cannot give (engine.Value.Undefined: a ratio of nothing, a Formula
// dividing by zero) is null in JSON, with its reason beside it — "value": null,
// "reason": "no instance to average" — in a peek, the values list and the stream's
// frames. A defined value has no reason member: its answer is byte for byte what it was
// before undefined values existed. On the stream, a change of reason alone is a change.
//
// # Exported statistics (Prometheus)
//
// Statistics the config marks export: true (on their stat type, covering the API's
// statistics of that type too, or on themselves, which overrides) are the gauge
// statkit_statistic_value{statistic, stat_type, object_type, object} in /metrics
// (export.go). An undefined value has no sample: the series is absent for that scrape,
// so that sum() or avg() over a stat type is not NaN; a state tree has none either. A
// scrape costs the owner goroutine one op that reads the exported values (none when
// the config exports nothing); the samples are built on the scrape's goroutine. The
// marks are read from the config in force, so a reload that changes them takes effect
// at the next scrape and reopens nothing.
//
// # Feeding events: the retry contract
//
// A batch is acknowledged (200 or 400) once its record is durable in the log and
// sequenced: every accepted line is then applied or held by the reorder window, and
// survives a crash. An answer that does not come (a timeout, a connection reset, a crash,
// 429, 503) says nothing: the batch may or may not be in. Clients retry such a batch with
// the same Idempotency-Key header (at most 255 printable ASCII characters, unique per
// batch — a UUID, or the source's name and the batch's first position): a batch whose key
// was applied is not applied again; the answer is the first answer, the same status and
// body, with the header Idempotent-Replayed: true. A retry while the first request is
// still in flight waits for it. Keys are kept Options.IdempotencyWindow (24 h) in the log
// and in snapshots — they survive a restart — within a bound on their number; the same
// key with another body is 422. Without a key, a retry after a lost answer may apply the
// batch twice.
//
// Each line is answered: rejected lines are listed (the first 100, in line order, with
// rejectedTotal counting all; a reason quotes at most 64 bytes of the input); an event
// that comes after the engine clock has passed its time is not rejected but applied at
// the clock (late: listed with how late, and counted in
// statkit_ingest_late_events_total{input}); an event more than Options.MaxSkew ahead of
// the wall clock is rejected (future_event) and changes nothing. The engine's own checks
// (an end without its start, a second start) run when the reorder window releases an
// event: a rejection after the batch was answered is counted in
// statkit_ingest_rejected_after_answer_total{input,code} and logged.
//
// # Log first, apply after (runtime/machine, Log)
//
// Everything that changes state is a record of the log (Options.Log: a data directory's
// store.Log, a store.MemLog, or a replicated log): batches, clock ticks, statistics
// opened and closed through the API, reloads, pipeline settings. A record is appended
// first and applied only once durable, in log order, by the owner goroutine, through
// runtime/machine — the engine, the ingest pipeline (runtime/ingest), the open
// statistics, the config — so that what the server shows is never ahead of the log, and
// a restart, statkit replay --log or a replica applying the same records reaches the same
// state. Whatever is not a function of the records (the wall clock, arrival order, the
// future-event check) is decided before the record is appended and written into it.
//
// # Live sources
//
// Options.Sources are the platforms the server follows (statkit serve --source: a
// queue_log file, an AMI or ESL connection; sources.go). Each is an input of the same
// pipeline: its batches are frames records holding the platform's raw frames and the
// source's position after them, mapped to events by the machine when applied, so a
// restart resumes right after the last durable batch (nothing lost, nothing counted
// twice), a replay or a replica maps the same frames to the same events, and a batch
// that does not continue the input's position is not applied. Sources run only while
// the process holds the clock (Options.HoldsClock), and the clock does not advance the
// engine while a source catches up the backlog it finds at start. Their metrics are
// statkit_source_{frames,unmapped,rejected,updates,stale_batches,failures}_total and
// statkit_source_up, by input.
//
// A log that fails (a write or fsync error, a full disk) makes the server read-only
// (fail-stop): every state change answers 503 with a JSON error naming the failure,
// /healthz answers 503, statkit_log_failed is 1, reads go on; a restart recovers exactly
// what was acknowledged. A durable server does not start on a data directory it cannot
// write.
//
// # Replicas
//
// A Log that several processes share — the replicas of a group of tenants on NATS
// JetStream (runtime/cluster) — implements Replicated: events batches are split by tenant
// before they are appended (lines of tenants served elsewhere are answered as forwarded),
// only the statistics of the replica's tenants open, ticks come from the clock's holder
// only, the group's config and settings come from the log, and /healthz and /metrics
// report the replica (replica.go; docs/replication.md).
//
// # Concurrency
//
// The engine is not safe for concurrent use, so one goroutine owns it: the owner (run),
// started by Serve, which applies the log's records (a follower goroutine hands them over
// as they become durable). Nothing else touches the machine, the notifier or the set of
// stream subscribers. HTTP handlers do their work in their own goroutines, in parallel:
// an events body is read (gunzipped), decoded and validated line by line (event.Decoder
// with the topology as Resolver), checked against the wall clock, and turned into a batch
// record (its accepted lines as received, a rejected one left empty); a statistic is
// resolved against the config. The handler appends the record, attaching what it decoded
// so that the owner does not decode it again, and waits for the owner to apply it, then
// answers with the outcome the owner left. The log groups concurrent appends (one write
// and one fsync for all the records waiting: group commit).
//
//   - Batches appended and not yet applied are bounded (Options.IngestQueue); past the
//     bound POST /v1/events answers 429 with Retry-After and logs nothing.
//   - Peek, list, subscribe and ping are ops: closures run by the owner (Server.do).
//   - The clock (Options.Clock, every Options.TickInterval) appends tick records that
//     advance the engine to the wall clock less the larger of Options.TickLag and the
//     reorder window, so that current values grow between events; without ticks, flush
//     records let the window release what waited long enough in wall time. With
//     TickInterval < 0 the clock moves with event times only (historical feeds, replays).
//
// A waiting handler whose context ends returns at once; its record still applies. The
// idempotency key table is read concurrently (under its own lock). Configs, statistic
// definitions and the prebuilt documents are read-only, so handlers read them without
// locks; metrics are safe for concurrent use.
//
// # Notifications and slow subscribers
//
// The notifier (notify.go) is the one place that decides what is sent. For now every
// statistic is treated as notification mode "changes" with insensitivity 0: after each
// batch and each tick, the statistics the engine reports in Changed — and the ones that
// grow with the clock alone, at every tick and whenever event time has moved a second —
// are evaluated, and a value whose JSON differs from the last one sent is published. A
// statistic that no subscriber watches is not evaluated (it is when a subscriber asks for
// its current value). When the engine gets its subscription API (modes periodical, reset,
// none, insensitivity), only the notifier changes.
//
// The owner's cost of a notification is independent of the subscribers that do not
// want it: each value is encoded into its SSE frame once, and that one frame is offered
// to the subscribers watching the statistic, found through an index by statistic id
// (those that watch every statistic are listed apart). After a batch only the
// subscribers that were offered something are woken, once each.
//
// Each subscriber has a queue that coalesces to the newest value per statistic (the
// pending frames in order, found by slot or id, and a 1-slot wake channel): publishing
// never blocks the owner. Woken, a stream handler takes everything pending and writes it
// as one write and one flush, so a burst of values reaches a client in one TCP write
// (one HTTP chunk), and a client that is behind gets them together. A subscriber whose
// pending set would exceed Options.SubscriberLimit, or whose write blocks past
// Options.WriteTimeout (a deadline set per write through http.ResponseController), is
// dropped and counted in statkit_subscribers_dropped_total. A slow client therefore costs
// at most one map entry per statistic, never the owner's time.
//
// # Interval history
//
// With Options.HistoryDB (statkit serve --history, by default SQLite in the data
// directory), the owner turns the reset-mode notifications of every record it applies
// into rows (history.Recorder) and hands them to a history.Writer, which commits them on
// its own goroutine: a slow or unreachable database makes history lag, never the engine.
// Rows the database did not get — a crash, an outage longer than the writer's memory, a
// database down at start — are re-derived from the log, by a second machine restored from
// an older snapshot beside the live one; the log's retention is pinned so that it keeps
// what that needs. Only the process Options.HistoryDB.Writes names writes (a replica's
// lease holder). /healthz and statkit_history_* say how far the database is (history.go).
//
// # Shutdown
//
// When Serve's context is done it stops accepting connections, ends the streams, waits
// for in-flight requests (their batches are applied and answered), stops the clock, then
// stops the owner, which first applies every record durable in the log and writes a
// snapshot (with the events the reorder window still holds: they are applied after the
// restart). An event whose response said accepted is in the log, and in the engine or
// the window, when Serve returns.
//
// # Limits
//
// ReadHeaderTimeout, ReadTimeout, IdleTimeout and MaxHeaderBytes are set on the
// http.Server; WriteTimeout is 0 there because streams are long, and every response
// sets its own write deadline instead (streams per write, and they lift the read
// deadline). Events bodies are bounded by Options.MaxBodyBytes (default 8 MiB, counted
// after decompression, 413) and lines by Options.MaxLineBytes; statistic bodies by 64 KiB.
// An events answer is bounded whatever the body holds (100 rejections and 100 late lines
// listed); a body of garbage costs its own size and the decoder's transient garbage.
package server
