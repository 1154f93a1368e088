package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/ingest"
	"github.com/statkit/statkit/runtime/machine"
)

// Idempotency-Key handling.
const (
	// IdempotencyHeader names a batch for exactly-once ingest.
	IdempotencyHeader = "Idempotency-Key"
	// ReplayedHeader is set ("true") on an answer that repeats the first answer of its
	// Idempotency-Key: the batch was not applied again.
	ReplayedHeader = "Idempotent-Replayed"
	// maxKeyBytes bounds an Idempotency-Key.
	maxKeyBytes = 255
)

// InputHTTP is the input name of batches posted to /v1/events.
const InputHTTP = "http"

// InputBatch is a batch of events from an input, for IngestBatch.
type InputBatch struct {
	// Input names where the batch comes from ("demo", a source's name); "" is "local".
	Input string
	// Key is an idempotency key ("" for none): a batch whose key was applied before is
	// answered with the first answer and not applied again.
	Key string
	// Position is the input's position after this batch, recorded with it (a source
	// resumes from Server.Position after a restart).
	Position []byte
	// Events are decoded and validated events (event.DecodeLine, or a sim.Sim), in
	// arrival order. Their lines are renumbered from the first one's Line (1 when 0).
	// The server keeps the slice: do not reuse it.
	Events []event.Event
}

// Ingest ingests events as one batch of input "local" (see IngestBatch).
func (s *Server) Ingest(ctx context.Context, events []event.Event) (BatchResult, error) {
	return s.IngestBatch(ctx, InputBatch{Events: events})
}

// IngestBatch ingests b: events more than Options.MaxSkew ahead of the clock are
// rejected (future_event), the rest are logged as one batch record and sequenced by the
// pipeline (reorder window, late events at the engine clock). It returns once the batch
// is durable and applied (its events held or applied). When ctx ends first, the events
// may still be applied (and read: do not reuse the slice then). It returns ErrStopped
// when the server has stopped, an error wrapping ErrFailed when the log failed.
//
// The ingest queue is bounded (Options.IngestQueue batches appended and not yet
// applied); IngestBatch waits for a slot (POST /v1/events answers 429 instead).
func (s *Server) IngestBatch(ctx context.Context, b InputBatch) (BatchResult, error) {
	if b.Input == "" {
		b.Input = "local"
	}
	first := 1
	if len(b.Events) > 0 && b.Events[0].Line > 0 {
		first = b.Events[0].Line
	}
	h := &machine.BatchHeader{Input: b.Input, Key: b.Key, Wall: s.wall(), Line: first, Position: b.Position}
	var body []byte
	events := b.Events[:0]
	var ans BatchResult
	skew := s.skewCheck()
	for i := range b.Events {
		ev := b.Events[i]
		ev.Line = first + i
		if r := skew(&ev); r != nil {
			ans.AddRejection(*r)
			body = append(body, '\n')
			continue
		}
		var err error
		if body, err = event.AppendJSON(body, ev); err != nil {
			ans.AddRejection(event.Rejection{Line: ev.Line, Reason: err.Error(), Code: event.CodeBadJSON})
			body = append(body, '\n')
			continue
		}
		body = append(body, '\n')
		events = append(events, ev)
	}
	h.Rejected, h.RejectedTotal = ans.Rejected, ans.RejectedTotal
	h.Sum = bodySum(body)
	if len(events) == 0 {
		for _, r := range ans.Rejected {
			s.m.rejected.WithLabelValues(r.Code).Inc()
		}
		ans.Normalize()
		return ans, nil
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return BatchResult{}, ctx.Err()
	case <-s.ownerDone:
		return BatchResult{}, ErrStopped
	}
	defer func() { <-s.slots }()
	rec, err := machine.AppendBatch(nil, h, body)
	if err != nil {
		return BatchResult{}, err
	}
	for _, r := range ans.Rejected {
		s.m.rejected.WithLabelValues(r.Code).Inc()
	}
	s.m.batchSize.Observe(float64(len(b.Events)))
	p := newPending()
	p.dec.Header, p.dec.Events = h, events
	if s.repl != nil { // a replica: by tenant (replica.go)
		return s.ingestBatchRouted(ctx, rec, p, ans)
	}
	if _, dup, err := s.appendRecord(ctx, rec, b.Key, p); err != nil {
		return BatchResult{}, err
	} else if dup {
		if e, ok := s.own.mach.Keys().Lookup(b.Key); ok {
			a := e.Answer
			a.Normalize()
			return a, nil
		}
	}
	if p.err != nil {
		return BatchResult{}, p.err
	}
	a := p.batch.Answer
	a.Normalize()
	return a, nil
}

// wall is the receipt time: the clock, in Unix milliseconds.
func (s *Server) wall() int64 { return s.opts.Clock.Now().UnixMilli() }

// skewCheck returns the future-event check of a batch received now: nil, or the
// rejection of an event more than MaxSkew ahead of the clock. Without a clock ticking
// there is none.
func (s *Server) skewCheck() func(ev *event.Event) *event.Rejection {
	if s.opts.MaxSkew < 0 || s.opts.TickInterval < 0 {
		return func(*event.Event) *event.Rejection { return nil }
	}
	now := s.opts.Clock.Now()
	limit := event.TimeOf(now.Add(s.opts.MaxSkew))
	return func(ev *event.Event) *event.Rejection {
		if ev.Time <= limit {
			return nil
		}
		ahead := ev.Time.Std().Sub(now).Round(time.Millisecond)
		return &event.Rejection{Line: ev.Line, Code: ingest.CodeFutureEvent,
			Reason: fmt.Sprintf("event at %v is %v ahead of the server clock (at most %v allowed: --max-skew)", ev.Time, ahead, s.opts.MaxSkew)}
	}
}

// bodySum identifies a body for the idempotency check: its length and CRC-32C.
func bodySum(b []byte) uint64 {
	return uint64(len(b))<<32 | uint64(crc32.Checksum(b, crcTable))
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// eventsResponse is the body of POST /v1/events: the batch's answer, and why nothing was
// accepted (400 only).
type eventsResponse struct {
	ingest.Answer
	Error string `json:"error,omitempty"`
}

// render returns the status and the body of answer a (its lists made non-nil).
func render(a ingest.Answer) (int, []byte) {
	a.Normalize()
	resp := eventsResponse{Answer: a}
	status := a.Status()
	if status != http.StatusOK {
		if a.RejectedTotal == 0 {
			resp.Error = "the body holds no event"
		} else {
			resp.Error = "no event accepted: " + strconv.Itoa(a.RejectedTotal) + " line(s) rejected"
		}
	}
	b, err := json.Marshal(resp)
	if err != nil { // plain strings and numbers always encode
		panic(err)
	}
	return status, append(b, '\n')
}

// keyWait is a request holding an Idempotency-Key in flight; others with the same key
// wait for its answer.
type keyWait struct {
	done   chan struct{}
	sum    uint64
	status int
	body   []byte // nil: no answer (the request failed): the waiter tries itself
}

// inflightKeys are the keys of the requests in flight.
type inflightKeys struct {
	mu sync.Mutex
	m  map[string]*keyWait
}

// claim makes the caller the request in flight for key, or returns the one that is.
func (k *inflightKeys) claim(key string, sum uint64) (mine *keyWait, other *keyWait) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if w := k.m[key]; w != nil {
		return nil, w
	}
	w := &keyWait{done: make(chan struct{}), sum: sum}
	k.m[key] = w
	return w, nil
}

// release ends the claim of w on key.
func (k *inflightKeys) release(key string, w *keyWait) {
	k.mu.Lock()
	delete(k.m, key)
	k.mu.Unlock()
	close(w.done)
}

// allowedTypes are the media types POST /v1/events reads (NDJSON, JSON, text).
var allowedTypes = map[string]bool{
	"application/x-ndjson": true, "application/ndjson": true, "application/jsonl": true,
	"application/x-jsonlines": true, "application/jsonlines": true, "application/json": true,
	"text/plain": true, "text/x-ndjson": true,
}

// postEvents handles POST /v1/events: an NDJSON body of events (gzip allowed), decoded
// and validated line by line in the request's goroutine, logged as one batch record and
// applied by the owner. With an Idempotency-Key, a batch whose key was applied before is
// answered with the first answer and not applied again. Answers 200 {accepted, rejected,
// rejectedTotal, late, lateTotal} when a line was accepted, 400 with the same body when
// none was, 413 when the body is over the limit, 415 for another content type or
// encoding, 422 for a key reused with another body, 429 when the ingest queue is full and
// 503 when the server is read-only (nothing is applied in those five cases).
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	if err := s.failed(); err != nil {
		s.writeError(w, http.StatusServiceUnavailable, failureText(err))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !allowedTypes[strings.ToLower(mt)] {
			s.writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be NDJSON (application/x-ndjson), JSON or text/plain, not "+strconv.Quote(ingest.ClipReason(ct)))
			return
		}
	}
	key := r.Header.Get(IdempotencyHeader)
	if len(key) > maxKeyBytes || !printable(key) {
		s.writeError(w, http.StatusBadRequest, fmt.Sprintf("%s must be at most %d printable ASCII characters", IdempotencyHeader, maxKeyBytes))
		return
	}
	body, status, msg := s.readBody(w, r)
	if status != 0 {
		s.writeError(w, status, msg)
		return
	}
	defer putBody(body)
	sum := bodySum(body)
	if key != "" {
		var mine *keyWait
		for mine == nil {
			if s.answerKnown(w, key, sum) {
				return
			}
			var other *keyWait
			if mine, other = s.keys.claim(key, sum); other != nil {
				select { // a request with this key is in flight: its answer is ours
				case <-other.done:
				case <-r.Context().Done():
					s.writeError(w, http.StatusServiceUnavailable, "request ended before the engine answered")
					return
				}
				if other.body != nil {
					s.writeKeyAnswer(w, key, other.sum, sum, other.status, other.body)
					return
				}
			}
		}
		defer s.keys.release(key, mine)
		if s.answerKnown(w, key, sum) { // applied between the look-up and the claim
			return
		}
		status, b := s.ingestBody(w, r, body, key, sum)
		mine.status, mine.body = status, b
		return
	}
	s.ingestBody(w, r, body, "", sum)
}

// answerKnown answers a request whose key the machine has applied; false when it has not.
func (s *Server) answerKnown(w http.ResponseWriter, key string, sum uint64) bool {
	e, ok := s.own.mach.Keys().Lookup(key)
	if !ok {
		return false
	}
	status, b := render(e.Answer)
	s.writeKeyAnswer(w, key, e.Sum, sum, status, b)
	return true
}

// writeKeyAnswer repeats the first answer of key (first body sum firstSum) to a request
// with body sum sum: 422 when the bodies differ.
func (s *Server) writeKeyAnswer(w http.ResponseWriter, key string, firstSum, sum uint64, status int, body []byte) {
	if firstSum != sum {
		s.writeError(w, http.StatusUnprocessableEntity, IdempotencyHeader+" "+strconv.Quote(ingest.ClipReason(key))+
			" was used for another body: a retry must send the same body; a new batch needs a new key")
		return
	}
	s.m.duplicates.Inc()
	w.Header().Set(ReplayedHeader, "true")
	s.writeRaw(w, status, body)
}

// ingestBody decodes body, logs the batch and answers; it returns the answer written
// (body nil when the request failed before an answer: a waiting duplicate tries itself).
func (s *Server) ingestBody(w http.ResponseWriter, r *http.Request, body []byte, key string, sum uint64) (int, []byte) {
	rec, p, ans, codes := s.decodeBatch(body, key, sum)
	for code, n := range codes {
		s.m.rejected.WithLabelValues(code).Add(float64(n))
	}
	if p == nil { // nothing accepted: nothing to log
		s.m.batchSize.Observe(float64(ans.RejectedTotal))
		status, b := render(ans)
		s.writeRaw(w, status, b)
		return status, b
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.m.refused.Inc()
		w.Header().Set("Retry-After", "1")
		s.writeJSON(w, http.StatusTooManyRequests, eventsResponse{Answer: ingest.Answer{Rejected: []event.Rejection{}, Late: []ingest.Late{}},
			Error: "the ingest queue is full: nothing of this request was applied; send it again after Retry-After seconds"})
		return 0, nil
	}
	defer func() { <-s.slots }()
	s.m.batchSize.Observe(float64(len(p.dec.Events) + ans.RejectedTotal))
	if s.repl != nil { // a replica: by tenant (replica.go)
		return s.ingestRouted(w, r, rec, p, ans, key)
	}
	_, dup, err := s.appendRecord(r.Context(), rec, key, p)
	if errors.Is(err, errNoOutcome) && key != "" && s.answerKnown(w, key, sum) {
		return 0, nil
	}
	if err != nil {
		s.ownerError(w, err)
		return 0, nil
	}
	if dup {
		if !s.answerKnown(w, key, sum) {
			s.writeError(w, http.StatusServiceUnavailable, "the batch was a duplicate whose answer is no longer known")
		}
		return 0, nil
	}
	if p.err != nil {
		s.ownerError(w, p.err)
		return 0, nil
	}
	if p.batch.Conflict {
		s.writeKeyAnswer(w, key, 0, 1, 0, nil)
		return 0, nil
	}
	status, b := render(p.batch.Answer)
	if p.batch.Duplicate {
		s.m.duplicates.Inc()
		w.Header().Set(ReplayedHeader, "true")
	}
	s.writeRaw(w, status, b)
	return status, b
}

// readBody reads the request body (decompressing gzip) within Options.MaxBodyBytes.
// A non-zero status is an error answer with msg.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, status int, msg string) {
	limit := s.opts.MaxBodyBytes
	tooBig := fmt.Sprintf("request body is larger than %d bytes", limit)
	var in io.Reader = http.MaxBytesReader(w, r.Body, limit)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		if r.ContentLength > limit {
			return nil, http.StatusRequestEntityTooLarge, tooBig
		}
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, http.StatusBadRequest, "reading the gzip body: " + err.Error()
		}
		defer zr.Close()
		in = io.LimitReader(zr, limit+1)
		tooBig += " once decompressed"
	default:
		return nil, http.StatusUnsupportedMediaType, "Content-Encoding " + strconv.Quote(ingest.ClipReason(enc)) + " is not supported (gzip or none)"
	}
	buf, _ := bodyPool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + 1)
	}
	_, err := buf.ReadFrom(in)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), int64(buf.Len()) > limit:
		putBody(buf.Bytes())
		return nil, http.StatusRequestEntityTooLarge, tooBig
	case err != nil:
		putBody(buf.Bytes())
		return nil, http.StatusBadRequest, "reading the body: " + err.Error()
	}
	return buf.Bytes(), 0, ""
}

// putBody gives a body read by readBody back for reuse (nothing may refer to it).
func putBody(b []byte) {
	if cap(b) > maxPooledBody {
		return
	}
	bodyPool.Put(bytes.NewBuffer(b[:0]))
}

// decodeBatch decodes and validates body line by line (the request's goroutine) and
// builds its batch record: the accepted lines as received, rejected lines left empty. It
// returns the record and what to attach to it, or nil when no line was accepted, and the
// answer so far (the rejections at receipt), and the number of rejections by code.
func (s *Server) decodeBatch(body []byte, key string, sum uint64) ([]byte, *pending, ingest.Answer, map[string]int) {
	var ans ingest.Answer
	var codes map[string]int
	dec := event.NewDecoder(bytes.NewReader(body), event.Options{Resolver: &s.cfg.Load().Topology, MaxLineBytes: s.opts.MaxLineBytes})
	skew := s.skewCheck()
	h := &machine.BatchHeader{Input: InputHTTP, Key: key, Sum: sum, Wall: s.wall(), Line: 1}
	// The record: kind, header (written last), body. While no line is rejected the body
	// is the record's body as it is; from the first rejection on, the record's body is
	// built in out (the body up to that line, then line by line).
	var (
		events = getEvents()
		out    []byte
		copied bool // out is in use
		pos    int  // the start of line `line`+1 in body
		line   int  // the lines of body passed so far
	)
	// take moves to line n and returns where it starts and its bytes (without its
	// newline), copying the blank lines before it (the decoder skipped them) to out.
	take := func(n int) (int, []byte) {
		for {
			start, end := pos, bytes.IndexByte(body[pos:], '\n')
			var l []byte
			next := len(body)
			if end >= 0 {
				l, next = body[pos:pos+end], pos+end+1
			} else {
				l = body[pos:]
			}
			pos = next
			line++
			if line == n {
				return start, l
			}
			if copied {
				out = append(out, '\n')
			}
		}
	}
	for {
		ev, rej, err := dec.Next()
		if err != nil { // io.EOF: a bytes.Reader fails no other way
			break
		}
		if rej == nil {
			rej = skew(&ev)
		}
		if rej != nil {
			ans.AddRejection(*rej)
			if codes == nil {
				codes = map[string]int{}
			}
			codes[rej.Code]++
			if line < rej.Line {
				start, _ := take(rej.Line)
				if !copied {
					out = append(make([]byte, 0, len(body)), body[:start]...)
					copied = true
				}
				out = append(out, '\n')
			}
			continue
		}
		_, l := take(ev.Line)
		if copied {
			out = append(append(out, l...), '\n')
		}
		events = append(events, ev)
	}
	if len(events) == 0 {
		putEvents(events)
		return nil, nil, ans, codes
	}
	if !copied {
		out = body
	}
	h.Rejected, h.RejectedTotal = ans.Rejected, ans.RejectedTotal
	hb, err := json.Marshal(h)
	if err != nil { // plain strings and numbers always encode
		panic(err)
	}
	rec := make([]byte, 0, 2+len(hb)+len(out))
	rec = append(rec, machine.KindBatch)
	rec = append(append(rec, hb...), '\n')
	rec = append(rec, out...)
	p := newPending()
	p.dec.Header, p.dec.Events, p.pooled = h, events, true
	return rec, p, ans, codes
}

// Buffers reused across requests: the events of a body (the owner gives them back once
// the pipeline has copied them) and the bodies themselves; only those of ordinary size
// are kept.
var (
	eventsPool sync.Pool // *[]event.Event
	bodyPool   sync.Pool // *bytes.Buffer
)

const (
	maxPooledEvents = 4096
	maxPooledBody   = 1 << 20
)

// getEvents returns an empty events slice, reused when one is free.
func getEvents() []event.Event {
	if p, ok := eventsPool.Get().(*[]event.Event); ok {
		return (*p)[:0]
	}
	return nil
}

// putEvents gives evs back for reuse.
func putEvents(evs []event.Event) {
	if cap(evs) == 0 || cap(evs) > maxPooledEvents {
		return
	}
	clear(evs) // drop the strings and data they hold (those past len are zero already)
	evs = evs[:0]
	eventsPool.Put(&evs)
}

// printable reports whether s holds only printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// writeRaw writes a JSON body built already.
func (s *Server) writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(body)
}

// Position returns the position recorded with input's last batch applied (nil when
// none): where a source resumes after a restart, so that it neither loses nor repeats a
// line (the position is in the same record as the batch it produced).
func (s *Server) Position(ctx context.Context, input string) ([]byte, error) {
	var pos []byte
	if err := s.do(ctx, func(o *owner) { pos = append([]byte(nil), o.mach.Position(input)...) }); err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, nil
	}
	return pos, nil
}
