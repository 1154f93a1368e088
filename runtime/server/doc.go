// Package server is statkit's HTTP server: the API of DESIGN.md §4 over one engine,
// Server-Sent Events for live values, Prometheus metrics and the embedded wallboard.
//
//	srv, err := server.New(server.Options{Config: cfg})
//	ln, err := net.Listen("tcp", ":8080")
//	err = srv.Serve(ctx, ln) // until ctx is done, then a graceful shutdown
//
// # API
//
// Every body is JSON (events are NDJSON); errors are 4xx/5xx with {"error": "..."}.
//
//	POST   /v1/events            NDJSON events → 200 {accepted, rejected:[{line, reason, code}]}
//	                             when a line was accepted, 400 with the same body when none
//	                             was, 413 over the body limit (nothing applied)
//	POST   /v1/statistics        {statType, object:{type,id}, profile, timeRange, filter,
//	                             notification} → 201 {id} ("s-N"); 400 with the problems
//	GET    /v1/statistics        {statistics:[{id, statType, object, profile, timeRange,
//	                             filter, notification}]}
//	GET    /v1/statistics/{id}   {id, statType, object, profile, at, value}; 404
//	DELETE /v1/statistics/{id}   204; 404
//	GET    /v1/stream[?statistic=ID…]
//	                             SSE: event: value / data: {statistic, at, value}, first
//	                             the current values, then every change; event: closed /
//	                             data: {statistic, at} when a statistic closes; a comment
//	                             every 15 s. No statistic named: every open one, and those
//	                             opened later. An unknown id: 404 before streaming.
//	                             (at, here and in a peek, is the engine time: null before
//	                             the first event or tick.)
//	GET    /v1/actions           {actions:[{name, variant, key, kind, sources, interaction,
//	                             summary}]}
//	GET    /v1/config            {statTypes, profiles, timeRanges, filters, objects:{Agent:
//	                             [{id,name}], Queue:[…], …}}: what a client offers to open
//	GET    /v1/wallboards        {wallboards:[{name, title, headline:[tile], sections:[{title,
//	                             columns, rows:[{label, object, with, cells:[tile|null]}]}],
//	                             agents:{statistics, groups, states}}]}: the config's
//	                             boards (wallboards.go); a tile is {statistic, of, history,
//	                             label, statType, category, object, profile, timeRange,
//	                             unit, thresholds:{warn, alarm, direction}|null}
//	GET    /v1/trends[?statistic=ID…]
//	                             {at, window, series:[{statistic, points:[[ms, value]]}]}:
//	                             the recent values the server keeps of the boards'
//	                             statistics (trends.go)
//	GET    /v1/clock             {at}: the engine time, sampled every second
//	GET    /metrics              Prometheus (the server's own registry)
//	GET    /healthz              {status, engineTime} when the engine answers, else 503
//	GET    /                     the wallboard (package web)
//
// # Concurrency
//
// The engine is not safe for concurrent use, so one goroutine owns it: the owner (run),
// started by Serve. Nothing else touches the engine, the notifier or the set of stream
// subscribers. HTTP handlers do their parsing in their own goroutine — an events body
// is decoded and validated line by line (event.Decoder with the topology as Resolver), a
// statistic is resolved against the config (config.NewStatistic) — and then hand the
// owner a unit of work and wait for it with the request's context:
//
//   - a batch of events goes on the ingest queue (a buffered channel of
//     Options.IngestQueue batches; Ingest and enqueue). A full queue makes the sender
//     wait today; the overload policy (429 with Retry-After, nothing applied) plugs into
//     enqueue without touching the owner.
//   - open, close, peek, list, subscribe and ping are ops: closures run by the owner
//     (Server.do).
//
// The owner applies a batch's events in order, then lets the notifier publish what
// changed. A clock ticker (Options.Clock, every Options.TickInterval) makes the owner
// advance the engine to the wall clock less Options.TickLag, so current values grow
// between events. The engine rejects an event older than its clock as late
// (engine.CodeLateEvent): events must arrive in time order, and an event may reach the
// server at most TickLag after its time. With TickInterval < 0 the clock moves with event
// times only, as in a replay.
//
// A waiting handler whose context ends returns at once; its work still runs (accepted
// events stay applied). Configs, statistic definitions and the prebuilt documents are
// read-only, so handlers read them without locks; metrics are safe for concurrent use.
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
// # Shutdown
//
// When Serve's context is done it stops accepting connections, ends the streams, waits
// for in-flight requests (their batches are applied and answered), then stops the owner,
// which first applies whatever is still queued. An event whose response said accepted is
// in the engine when Serve returns.
//
// # Limits
//
// ReadHeaderTimeout, ReadTimeout, IdleTimeout and MaxHeaderBytes are set on the
// http.Server; WriteTimeout is 0 there because streams are long, and every response
// sets its own write deadline instead (streams per write, and they lift the read
// deadline). Events bodies are bounded by Options.MaxBodyBytes (default 8 MiB, 413) and
// lines by Options.MaxLineBytes; statistic bodies by 64 KiB.
package server
