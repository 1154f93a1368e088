// Package machine is statkit's state machine over log records: the engine, the ingest
// pipeline in front of it, the open statistics, the config and its reload rules, and the
// last position of every input. Applying the same records in the same order gives the
// same state, byte for byte, and the same answers — so one code path serves a server (a
// local data directory or memory), `statkit replay --log`, a history catch-up and every
// replica of a JetStream log (ARCH.md §1).
//
// # Records
//
// A record is one byte of kind and a payload (record.go):
//
//	'B' batch     a JSON header line (BatchHeader: input, idempotency key and body sum,
//	              receipt wall time, first line number, the rejections decided at receipt,
//	              the input's position), then the accepted NDJSON lines as received, a
//	              line rejected at receipt left empty
//	'T' tick      varint event time, varint wall time (Unix ms), a flags byte (1: advance
//	              the engine clock; 0: release by wall time only)
//	'O' open      OpenRecord JSON: a statistic opened through the API, and its owner
//	'C' close     the id of a statistic closed through the API
//	'R' reload    the new config's text
//	'S' settings  SettingsRecord JSON: the pipeline's settings from now on
//	'E' events    NDJSON applied without the pipeline (data directories written before it)
//	'F' frames    a live source's batch as the platform sent it (FramesHeader: input,
//	              format, receipt wall time, the position it continues from and the one
//	              after it, the future-event bound, the attached-data variables), then
//	              the raw frames (queue_log lines, AMI or ESL events) with their line
//	              numbers and receipt times
//
// # Sources
//
// A frames record is mapped to events here, when it is applied, by its input's
// source.Mapper (the format's generated table), and the events go through the pipeline
// like a batch's. The mapper's state — agent presence across queues, the call actions in
// progress — is part of the machine's state and of its snapshots, so a restart, a replay
// of the log and every replica map the same frames to the same events, and a position
// needs no mapper state. A frames record applies only when its From is the input's
// position (ErrStalePosition otherwise, and nothing changes): two processes reading the
// same lines — a source reopened at an older position, a former clock holder still
// appending — cannot count a line twice. Result.Source says what the record's frames gave
// (unmapped events by name, refusals by code); refused frames and future events are in
// the batch's answer with their lines.
//
// Everything that is not a function of the records — the wall clock, arrival order,
// which process received a request, the future-event check — is decided before the
// record is appended and written into it.
//
// # Applying
//
// Apply(seq, rec, local) applies one record and returns what it completed: a batch's
// answer (by record seq), an opened statistic's id, a reload's changes, the engine
// rejections of events released now from earlier batches, and, when Options.Notifications
// is set, the engine's notifications (reset-mode interval values for history). A process
// that appended the record itself passes what it already decoded as local (a *Decoded),
// so a batch is not decoded twice; anyone else passes nil and the machine decodes.
// Refusals that follow from the state (an open the engine refuses, a close of an unknown
// statistic, a reload that changes the topology) are results, not errors: they are the
// same wherever the record is applied. Apply returns an error only for a record it cannot
// read.
//
// # Snapshots
//
// Snapshot writes a JSON header line (version 2: the config text, the statistics opened
// through the API and their owners, the id counter, the inputs' positions, the sources'
// mappers, the last record applied), the pipeline's state (length-prefixed) and the engine's snapshot.
// Restore reads it, and the version 1 snapshots written before the pipeline (header, then
// the engine).
//
// # Reload rules
//
// A reload (an 'R' record; the server checks a config before logging it) must keep the
// topology: the engine's live state is indexed by object. A config statistic with the same
// id and the same definition keeps its value; a changed one is closed and opened again
// (its value starts over); a new one opens, a removed one closes. Statistics opened through
// the API stay open when their definition resolves to the same one in the new config, and
// are closed otherwise.
//
// A Machine is not safe for concurrent use; its Keys table may be read concurrently.
package machine
