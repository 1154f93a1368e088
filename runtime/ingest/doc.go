// Package ingest is the deterministic sequencer between event batches and the engine: the
// one pipeline that statkit serve, statkit replay, the demo simulator and the platform
// sources all feed (issue 13).
//
// The engine applies events in time order and rejects an event older than its clock. Real
// feeds are not in order: several PBX links deliver events a second or two apart, a link
// that hiccups delivers minutes late, a client retries a batch it already sent. A
// Pipeline absorbs that disorder in front of the engine:
//
//   - Reorder window. Every event of a batch is held in a buffer sorted by event time
//     (stably: equal times keep their arrival order, so each input keeps its own order)
//     and released to the engine once the watermark — the newest event time sequenced —
//     has passed it by Options.Window, or once a tick says, by the wall time it carries,
//     that the event has waited Options.Window since its receipt. A batch is sequenced as
//     a whole: its events are inserted, then what is due is released. Any arrival order
//     in which no event comes more than the window after a later one gives exactly the
//     values of the sorted input.
//   - Late events are applied, never dropped. An event older than the engine clock (the
//     clock has moved past it: it came more than the window late) is applied at the
//     clock: its time is rewritten to the clock before it is applied, so a retrospective
//     action keeps its duration and a durable end is never before its start. It is
//     counted (Answer.LateTotal, Outcome.Late) and listed with its line and how late it
//     was.
//   - Ticks. Tick advances the engine clock to an event time (the wall clock less the
//     server's tick lag and the window), after releasing every held event at or before
//     it, and releases the events that waited the window in wall time.
//   - Idempotency keys. A batch may carry a key; the first answer of a key is kept
//     (Keys) and a batch whose key is already there is not applied again: the machine
//     answers it with the first answer. Keys expire after Options.KeyWindow of wall time
//     (the receipt times carried by batches and ticks) and, oldest first, beyond
//     Options.MaxKeys keys or Options.MaxKeyBytes bytes.
//   - Bounded answers. An Answer lists at most MaxListed rejections and MaxListed late
//     lines, with their totals, whatever the batch holds; a reason never quotes more than
//     MaxQuoted bytes of client input.
//
// Everything a Pipeline decides is a function of the batches and ticks given to it, in
// order, and of the engine they drive: nothing reads the wall clock. Wall times come in
// the batches (their receipt time) and ticks, decided before the record that carries them
// was appended to the log. The whole state — held events, watermark, keys — is written by
// Snapshot and read back by Restore, so a restart, a replay of the log or a replica
// continues exactly where the pipeline was.
//
// Engine rejections (an end without its start, a second start of the same instance) are
// known only when an event is released. An event released while its own batch is applied
// (a window of 0, or an event already behind the watermark) is rejected in that batch's
// Answer; one released later is reported in the Outcome of the batch or tick that released
// it (Outcome.Rejected, marked Deferred), for metrics and logs: its batch was answered
// already.
//
// A Pipeline is not safe for concurrent use, except Keys.Lookup.
package ingest
