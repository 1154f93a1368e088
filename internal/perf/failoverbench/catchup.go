package failoverbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/server"
)

// day is the bank day: its config and events, cut into batches.
type day struct {
	cfg     *config.Config
	text    []byte
	events  []event.Event
	batches []batch
}

// batch is one POST: its body, its events (day.events[first:last]) and its last time.
type batch struct {
	body        []byte
	first, last int
	max         event.Time
}

// bankDir returns dir, or examples/bank found in the working directory or a parent.
func bankDir(dir string) (string, error) {
	if dir != "" {
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		cand := filepath.Join(d, "examples", "bank")
		if _, err := os.Stat(filepath.Join(cand, "events.ndjson")); err == nil {
			return cand, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("failoverbench: no examples/bank in %s or its parents (run from the statkit module, or set Options.Bank)", wd)
		}
	}
}

// loadDay reads the bank day from dir (its first n events when n > 0) and cuts it into
// batches of about size events, never splitting an instant.
func loadDay(dir string, n, size int) (*day, error) {
	dir, err := bankDir(dir)
	if err != nil {
		return nil, err
	}
	text, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadWith(filepath.Join(dir, "config.yaml"), bytes.NewReader(text), machine.LoadOptions)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, "events.ndjson")
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := &day{cfg: cfg, text: text}
	var lines [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() && (n <= 0 || len(d.events) < n) {
		line := append([]byte(nil), sc.Bytes()...)
		ev, err := event.DecodeLine(line, len(lines)+1, event.Options{Resolver: &cfg.Topology})
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, len(lines)+1, err)
		}
		lines, d.events = append(lines, line), append(d.events, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(d.events) == 0 {
		return nil, fmt.Errorf("%s: no event", name)
	}
	for start := 0; start < len(d.events); {
		end := min(start+size, len(d.events))
		for end < len(d.events) && d.events[end].Time == d.events[end-1].Time {
			end++
		}
		var body []byte
		for _, l := range lines[start:end] {
			body = append(append(body, l...), '\n')
		}
		d.batches = append(d.batches, batch{body: body, first: start, last: end, max: d.events[end-1].Time})
		start = end
	}
	return d, nil
}

// lag is how far behind the wall clock a tick leaves the engine (serve's defaults).
const lag = max(server.DefaultTickLag, server.DefaultReorderWindow)

// catchUp kills other (not the clock's holder), feeds the day through holder, moves the
// clock an hour past the day and, once holder applied it (and, with snapshots, stored
// the snapshot covering it), restarts other and times its catch-up; then it checks the
// values (see the package documentation).
func (b *bench) catchUp(holder, other *proc, name string) (*CatchUp, error) {
	cu := &CatchUp{Name: name, SnapshotEvery: b.snapEvery}
	if err := b.waitHolder(holder); err != nil {
		return nil, err
	}
	b.kill(other)
	for i, bt := range b.day.batches {
		if err := b.post(holder, bt, fmt.Sprintf("%s-%d", b.stream, i)); err != nil {
			return nil, err
		}
		b.clock.set(bt.max)
	}
	end := b.day.events[len(b.day.events)-1].Time + 3_600_000
	b.clock.set(end)
	final := end - event.Time(lag.Milliseconds())
	if err := b.settle(holder, final); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(b.ctx, waitLong)
	defer cancel()
	if b.snapEvery > 0 {
		last, err := holder.node.Log().Last(ctx)
		if err != nil {
			return nil, err
		}
		rl, err := holder.node.Client().Log(b.day.cfg.Topology.Tenants...)
		if err != nil {
			return nil, err
		}
		var serr error
		err = b.wait("the snapshot covering the day stored", func() bool {
			var s []uint64
			s, serr = rl.Snapshots(ctx)
			return serr != nil || len(s) > 0 && s[len(s)-1]+uint64(b.snapEvery) > last
		})
		if err = errors.Join(serr, err); err != nil {
			return nil, err
		}
	}
	b.logf("%s: %d events fed in %d batches through %s while %s was down", name, len(b.day.events), len(b.day.batches), holder.name, other.name)

	var p *proc
	for i := range b.o.Restarts {
		if i > 0 {
			b.kill(p) // and again, from the same state but for the ticks since
			other = p
		}
		var err error
		if p, err = b.restart(other); err != nil {
			return nil, err
		}
		last, err := p.node.Log().Last(ctx)
		if err != nil {
			return nil, err
		}
		if err := p.srv.WaitApplied(ctx); err != nil {
			return nil, fmt.Errorf("%s catching up: %w", p.name, err)
		}
		rs := Restart{Start: p.started, Elapsed: time.Since(p.t0)}
		cu.Restarts = append(cu.Restarts, rs)
		restored, local := p.node.Log().Restored()
		b.logf("%s: %s started from record %d, applied %d records up to %d in %v (connect, restore and apply: %v)",
			name, p.name, restored, last-restored, last, rs.Elapsed.Round(time.Millisecond), rs.Start.Round(time.Millisecond))
		switch {
		case b.snapEvery > 0 && restored == 0:
			return nil, fmt.Errorf("%s restored no snapshot, though the holder wrote them", p.name)
		case b.snapEvery < 0 && restored != 0:
			return nil, fmt.Errorf("%s restored snapshot %d, though none was written", p.name, restored)
		}
		if i > 0 {
			continue
		}
		cu.Restored, cu.FromCache, cu.Last, cu.Records = restored, local, last, last-restored
		if err := b.census(ctx, cu); err != nil {
			return nil, err
		}
		if cu.Restored == 0 && (cu.Batches != len(b.day.batches) || cu.Events != len(b.day.events)) {
			return nil, fmt.Errorf("the stream holds %d batches (%d events), %d were posted (%d events)",
				cu.Batches, cu.Events, len(b.day.batches), len(b.day.events))
		}
	}

	if err := b.settle(p, final); err != nil {
		return nil, err
	}
	n, err := b.compare(holder, p, final)
	if err != nil {
		return nil, err
	}
	cu.Statistics = n
	return cu, nil
}

// census reads the records cu's replica applied (after Restored, up to Last) from the
// stream and counts its batches, their events and its ticks.
func (b *bench) census(ctx context.Context, cu *CatchUp) error {
	s, err := b.js.Stream(ctx, b.stream)
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for seq := cu.Restored + 1; seq <= cu.Last; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			return fmt.Errorf("reading record %d: %w", seq, err)
		}
		if len(m.Data) == 0 {
			continue
		}
		switch m.Data[0] {
		case machine.KindTick:
			cu.Ticks++
		case machine.KindBatch:
			h, _, err := machine.DecodeBatch(m.Data)
			if err != nil {
				return fmt.Errorf("record %d: %w", seq, err)
			}
			i, err := strconv.Atoi(strings.TrimPrefix(h.Key, b.stream+"-"))
			if err != nil || i < 0 || i >= len(b.day.batches) {
				return fmt.Errorf("record %d: a batch of key %q, not the bench's", seq, h.Key)
			}
			if seen[i] {
				return fmt.Errorf("record %d: batch %q stored twice", seq, h.Key)
			}
			seen[i] = true
			cu.Batches++
			cu.Events += b.day.batches[i].last - b.day.batches[i].first
		}
	}
	return nil
}

// answer is what the bench reads of POST /v1/events's answer.
type answer struct {
	Accepted      int `json:"accepted"`
	RejectedTotal int `json:"rejectedTotal"`
	LateTotal     int `json:"lateTotal"`
}

// post posts bt to p and checks that every event was accepted, none late or rejected.
func (b *bench) post(p *proc, bt batch, key string) error {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, p.url+"/v1/events", bytes.NewReader(bt.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set(server.IdempotencyHeader, key)
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/events to %s (%s): %s: %s", p.name, key, resp.Status, clip(body))
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("POST /v1/events to %s (%s): %w", p.name, key, err)
	}
	if n := bt.last - bt.first; a.Accepted != n || a.RejectedTotal != 0 || a.LateTotal != 0 {
		return fmt.Errorf("POST /v1/events to %s (%s): %d of %d events accepted, %d rejected, %d late (a bug of the bench): %s",
			p.name, key, a.Accepted, n, a.RejectedTotal, a.LateTotal, clip(body))
	}
	return nil
}

// get reads path from p as JSON into v.
func (b *bench) get(p *proc, path string, v any) error {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, p.url+path, nil)
	if err != nil {
		return err
	}
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s on %s: %s: %s", path, p.name, resp.Status, clip(body))
	}
	return json.Unmarshal(body, v)
}

// settle waits until p's engine is at engine time at with no event held, and p has
// applied the group's last record.
func (b *bench) settle(p *proc, at event.Time) error {
	want := at.String()
	var last string
	err := b.wait(fmt.Sprintf("%s reaches engine time %s", p.name, want), func() bool {
		var h struct {
			EngineTime *string `json:"engineTime"`
			Held       int     `json:"held"`
		}
		if b.get(p, "/healthz", &h) != nil || h.EngineTime == nil {
			return false
		}
		last = *h.EngineTime
		return last == want && h.Held == 0
	})
	if err != nil {
		return fmt.Errorf("%w (at %s)", err, last)
	}
	ctx, cancel := context.WithTimeout(b.ctx, waitLong)
	defer cancel()
	return p.srv.WaitApplied(ctx)
}

// compare reads every statistic's value from p and q over HTTP and compares them with
// each other and with the engine alone fed the day and advanced to at; it returns how
// many statistics it compared.
func (b *bench) compare(p, q *proc, at event.Time) (int, error) {
	want, err := b.reference(at)
	if err != nil {
		return 0, err
	}
	var list struct {
		Statistics []struct{ ID string } `json:"statistics"`
	}
	if err := b.get(p, "/v1/statistics", &list); err != nil {
		return 0, err
	}
	if len(list.Statistics) != len(want) {
		return 0, fmt.Errorf("%s has %d statistics open, the engine alone %d", p.name, len(list.Statistics), len(want))
	}
	var diffs []string
	for _, st := range list.Statistics {
		var vp, vq struct {
			Value json.RawMessage `json:"value"`
		}
		path := "/v1/statistics/" + url.PathEscape(st.ID)
		if err := b.get(p, path, &vp); err != nil {
			return 0, err
		}
		if err := b.get(q, path, &vq); err != nil {
			return 0, err
		}
		gp, gq := string(bytes.TrimSpace(vp.Value)), string(bytes.TrimSpace(vq.Value))
		if w, ok := want[st.ID]; gp != gq || !ok || gp != w {
			diffs = append(diffs, fmt.Sprintf("%s: %s %s, %s %s, engine alone %s", st.ID, p.name, gp, q.name, gq, w))
		}
	}
	if len(diffs) > 0 {
		return 0, fmt.Errorf("failoverbench: %d of %d statistics differ: %s", len(diffs), len(want), strings.Join(diffs[:min(len(diffs), 5)], "; "))
	}
	return len(list.Statistics), nil
}

// reference is the engine alone: advanced to the ticks the replicas had before the day
// (the clock a minute before its first event), fed its events in order, advanced to at.
// It returns every statistic's value as JSON.
func (b *bench) reference(at event.Time) (map[string]string, error) {
	ref, err := engine.New(b.day.cfg)
	if err != nil {
		return nil, err
	}
	ref.Advance(b.day.events[0].Time - 60_000 - event.Time(lag.Milliseconds()))
	for i := range b.day.events {
		ev := b.day.events[i]
		if err := ref.Apply(&ev); err != nil {
			return nil, fmt.Errorf("the engine alone: line %d: %w", ev.Line, err)
		}
	}
	ref.Advance(at)
	out := map[string]string{}
	for _, st := range ref.Statistics() {
		v, err := ref.Value(st.ID)
		if err != nil {
			return nil, err
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[st.ID] = string(j)
	}
	return out, nil
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
