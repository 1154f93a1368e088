package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/engine"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/machine"
	"github.com/statkit/statkit/runtime/replica"
	"github.com/statkit/statkit/runtime/replica/natstest"
)

// post posts batch i (body, key) until a replica answers 200: first to target when given,
// else round-robin over the live replicas, moving to the next one after a failure (no
// answer, 5xx). It returns the first answer and how many attempts failed.
func (h *harness) post(i int, body []byte, key string, target *proc) (answer, int) {
	h.t.Helper()
	deadline := time.Now().Add(waitLong)
	for attempt := 0; ; attempt++ {
		p := target
		if attempt > 0 || p == nil {
			live := h.liveProcs()
			p = live[(i+attempt)%len(live)]
		}
		status, b, _, err := postTo(p, body, key)
		if err == nil && status == http.StatusOK {
			var a answer
			if err := json.Unmarshal(b, &a); err != nil {
				h.t.Fatalf("batch %d: %s: %v", i, b, err)
			}
			return a, attempt
		}
		if err == nil && status < 500 && status != http.StatusTooManyRequests {
			h.t.Fatalf("batch %d on %s: %d %s", i, p.name, status, b)
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("batch %d: no replica took it (last: %s: %d %s %v)", i, p.name, status, b, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// oracle is statkit replay of the acknowledged events, computed with the engine alone:
// the day's events in order, with statistic reloaded opened at engine time reloadAt
// before batch reloadBatch, then the clock advanced to end. It returns every value's JSON.
func oracle(t *testing.T, b *bank, reloadBatch int, reloadAt event.Time, reloaded *config.Statistic, end event.Time) map[string]string {
	t.Helper()
	ref, err := engine.New(b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, bt := range b.batches {
		if i == reloadBatch {
			ref.Advance(reloadAt)
			if err := ref.Open(reloaded); err != nil {
				t.Fatal(err)
			}
		}
		for k := bt.first; k < bt.last; k++ {
			ev := b.events[k]
			if err := ref.Apply(&ev); err != nil {
				t.Fatalf("the bank day applies cleanly: line %d: %v", ev.Line, err)
			}
		}
	}
	ref.Advance(end)
	out := map[string]string{}
	for _, st := range ref.Statistics() {
		v, err := ref.Value(st.ID)
		if err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[st.ID] = string(j)
	}
	return out
}

// The proof: the real bank day fed round-robin to replicas of one group on an
// in-process 3-node JetStream cluster, while the replica the client talks to (the clock's
// holder) dies in the middle of a request and one NATS node (the stream's leader) dies,
// and both come back; a reload posted to a replica that does not hold the clock; a third
// replica started from nothing. At the end every replica shows every statistic exactly as
// the engine alone computes it from the acknowledged events; the surviving replica
// answered throughout; the clock's lease moved and its ticks went on, none appended twice;
// a client's retry on another replica was counted once.
func TestReplicatedBankDay(t *testing.T) {
	if testing.Short() {
		t.Skip("the replicated bank day runs a 3-node JetStream cluster")
	}
	b := loadBank(t, 25)
	cl := natstest.Start(t, 3)
	h := &harness{t: t, cl: cl, stream: "bank", bank: b, clock: &testClock{}, ttl: replica.DefaultLeaseTTL, text: b.text}
	h.clock.set(b.events[0].Time)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	obs := h.observe(ctx)
	dir := t.TempDir()

	r1 := h.start("r1", filepath.Join(dir, "r1"))
	eventually(t, waitLong, "r1 holds the clock", r1.node.HoldsClock)
	r2 := h.start("r2", filepath.Join(dir, "r2"))

	// A reader on r2, which never dies: it must answer throughout.
	var reads, readFailures atomic.Int64
	var readWG sync.WaitGroup
	readCtx, stopReads := context.WithCancel(ctx)
	defer stopReads()
	readWG.Add(1)
	go func() {
		defer readWG.Done()
		for readCtx.Err() == nil {
			s, err := get(r2, "/v1/statistics/AllQueues.CallsEntered", nil)
			reads.Add(1)
			if err != nil || s != http.StatusOK {
				readFailures.Add(1)
				t.Errorf("r2 did not answer a read: %d %v", s, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	const (
		killReplicaAt    = 60
		killNodeAt       = 120
		restartReplicaAt = 180
		restartNodeAt    = 220
		reloadAt         = 250
		freshReplicaAt   = 300
		crossRetryAt     = 350
	)
	reloadedID := "Reloaded.AllQueues.CallsEntered"
	text2 := bytes.Replace(b.text, []byte("\nreports:"),
		[]byte("\n  - {id: \""+reloadedID+"\", statType: CallsEntered, object: {type: GroupQueues, id: AllQueues}}\nreports:"), 1)
	cfg2, err := config.LoadWith("config.yaml", bytes.NewReader(text2), machine.LoadOptions)
	if err != nil {
		t.Fatal(err)
	}
	reloaded := cfg2.Statistics[len(cfg2.Statistics)-1]
	if reloaded.ID != reloadedID {
		t.Fatalf("the reloaded config's last statistic is %s", reloaded.ID)
	}

	var (
		accepted, retries int
		takeover          time.Duration
		killedNode        int
		reloadTime        event.Time
		r1b, r3           *proc
	)
	for i, bt := range b.batches {
		key := fmt.Sprintf("bank-%d", i)
		var target *proc
		killedAt := make(chan time.Time, 1)
		switch i {
		case killReplicaAt:
			// The client talks to r1, the clock's holder, which dies once it has stored
			// the batch, before answering: the client retries on another replica.
			if !r1.node.HoldsClock() {
				t.Fatal("r1 should hold the clock")
			}
			eventually(t, waitLong, "r1 ticked", func() bool {
				for _, r := range obs.records() {
					if r.kind == machine.KindTick && tickOwner(r.id) == "r1" {
						return true
					}
				}
				return false
			})
			target = r1
			var once sync.Once
			r1.node.lg.afterAppend = func(string, []byte) error {
				once.Do(func() { killedAt <- time.Now(); r1.node.Kill() })
				return errAckLost
			}
		case killNodeAt:
			if killedNode = cl.StreamLeader(h.stream); killedNode < 0 {
				killedNode = 0
			}
			cl.Kill(killedNode)
			t.Logf("NATS node %s (the stream's leader) killed", cl.Nodes()[killedNode].Name)
		case restartReplicaAt:
			r1b = h.start("r1b", r1.dataDir)
			t.Logf("r1 restarted in %v (snapshot %+v, then the stream): caught up with %d batches of the day and the ticks since",
				r1b.started.Round(time.Millisecond), r1b.node.lg.restored, restartReplicaAt-killReplicaAt)
		case restartNodeAt:
			cl.Restart(t, killedNode)
			cl.WaitReady(t, waitLong)
		case reloadAt:
			// Every event before this batch applied (a tick at its time), then the config
			// reloaded through a replica that does not hold the clock.
			reloadTime = b.batches[i-1].max
			h.clock.set(reloadTime + 2000)
			for _, p := range h.liveProcs() {
				h.settled(p, reloadTime)
			}
			h.mu.Lock()
			h.text = text2
			h.mu.Unlock()
			var other *proc
			for _, p := range h.liveProcs() {
				if !p.node.HoldsClock() {
					other = p
				}
			}
			if other == nil {
				t.Fatal("no replica without the clock")
			}
			var res struct{ Opened []string }
			req, _ := http.NewRequest("POST", other.url+"/v1/config/reload", nil)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("reload on %s: %d %v", other.name, resp.StatusCode, err)
			}
			resp.Body.Close()
			if len(res.Opened) != 1 || res.Opened[0] != reloadedID {
				t.Fatalf("reload opened %v", res.Opened)
			}
			for _, p := range h.liveProcs() {
				eventually(t, waitLong, p.name+" has the reloaded statistic", func() bool {
					s, _ := get(p, "/v1/statistics/"+reloadedID, nil)
					return s == http.StatusOK
				})
			}
		case freshReplicaAt:
			r3 = h.start("r3", "")
			if c := r3.node.lg.restored; c.seq == 0 || c.local {
				t.Fatalf("r3 restored %+v, want a snapshot of the object store", c)
			}
			t.Logf("r3 started from nothing in %v: a snapshot of the object store at record %d, then the stream",
				r3.started.Round(time.Millisecond), r3.node.lg.restored.seq)
		}
		a, n := h.post(i, bt.body, key, target)
		retries += n
		accepted += a.Accepted
		if a.RejectedTotal != 0 || a.LateTotal != 0 {
			t.Fatalf("batch %d: %+v", i, a)
		}
		h.clock.set(bt.max)
		switch i {
		case killReplicaAt:
			if n == 0 {
				t.Fatal("the killed replica answered")
			}
			died := <-killedAt
			r1.kill()
			var other *proc
			eventually(t, waitLong, "another replica holds the clock", func() bool { other = h.holder(); return other != nil })
			takeover = time.Since(died)
			t.Logf("clock's lease taken over by %s %v after its holder died (lease TTL %v)", other.name, takeover.Round(time.Millisecond), h.ttl)
		case crossRetryAt:
			// The client lost this answer and retries on another replica: counted once.
			live := h.liveProcs()
			p := live[(i+1)%len(live)]
			status, body, replayed, err := postTo(p, bt.body, key)
			var again answer
			if err != nil || status != http.StatusOK || !replayed || json.Unmarshal(body, &again) != nil || again.Accepted != a.Accepted {
				t.Fatalf("retry of batch %d on %s: %d %s replayed %v %v", i, p.name, status, body, replayed, err)
			}
		}
	}
	if accepted != len(b.events) {
		t.Fatalf("%d events accepted, the day has %d", accepted, len(b.events))
	}
	t.Logf("%d batches, %d attempts failed and were retried on another replica", len(b.batches), retries)

	// The end of the day and an hour: every replica settles there.
	end := b.events[len(b.events)-1].Time
	h.clock.set(end + 3_600_000)
	final := end + 3_600_000 - 2000
	want := oracle(t, b, reloadAt, reloadTime, reloaded, final)
	live := h.liveProcs()
	if len(live) != 3 {
		t.Fatalf("%d replicas live, want r2, r1b and r3", len(live))
	}
	t.Logf("%d statistics compared on each replica", len(want))
	for _, p := range live {
		h.settled(p, final)
		got := values(t, p)
		if len(got) != len(want) {
			t.Errorf("%s: %d statistics, want %d", p.name, len(got), len(want))
		}
		diff := 0
		for id, w := range want {
			if got[id] != w {
				if diff++; diff <= 5 {
					t.Errorf("%s: %s = %s, want %s", p.name, id, got[id], w)
				}
			}
		}
		if diff > 0 {
			t.Errorf("%s: %d of %d statistics differ", p.name, diff, len(want))
		}
	}
	// An old batch sent again, long after: counted once.
	if status, _, replayed, err := postTo(r3, b.batches[5].body, "bank-5"); err != nil || status != http.StatusOK || !replayed {
		t.Fatalf("an old batch again: %d replayed %v %v", status, replayed, err)
	}
	stopReads()
	readWG.Wait()
	t.Logf("r2 answered %d reads, %d failed", reads.Load(), readFailures.Load())

	// The stream as an independent follower saw it.
	last, err := r2.node.Log().Last(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, waitLong, fmt.Sprintf("the observer read the stream up to %d", last), func() bool {
		recs := obs.records()
		return len(recs) > 0 && recs[len(recs)-1].seq >= last
	})
	recs := obs.records()
	checkStream(t, recs, b, reloadAt, h, []*proc{r1, r2, r1b, r3})
}

// checkStream checks the records an independent follower read: every batch once (the
// retries were duplicates), the reload once and between the batches it was posted
// between, and the ticks — every one appended by a clock holder through the chain, named
// once, in order, and no holder ticking while another did.
func checkStream(t *testing.T, recs []observed, b *bank, reloadAt int, h *harness, procs []*proc) {
	t.Helper()
	batches := map[string]int{}
	var reloads []uint64
	batchSeq := map[string]uint64{}
	for _, r := range recs {
		switch r.kind {
		case machine.KindBatch:
			batches[r.key]++
			batchSeq[r.key] = r.seq
		case machine.KindReload:
			reloads = append(reloads, r.seq)
		}
	}
	for i := range b.batches {
		if k := fmt.Sprintf("bank-%d", i); batches[k] != 1 {
			t.Errorf("batch %s stored %d times", k, batches[k])
		}
	}
	if len(reloads) != 2 {
		t.Errorf("reload records at %v: want the first replica's start and the reload", reloads)
	} else if r := reloads[1]; !(batchSeq[fmt.Sprintf("bank-%d", reloadAt-1)] < r && r < batchSeq[fmt.Sprintf("bank-%d", reloadAt)]) {
		t.Errorf("the reload (record %d) is not between the batches it was posted between", r)
	}

	ids := map[string]bool{}
	lastN := map[string]uint64{}
	runs := map[string]int{}
	prevOwner := ""
	var prevTime event.Time
	ticks := 0
	for _, r := range recs {
		if r.kind != machine.KindTick {
			continue
		}
		ticks++
		owner, n := tickOwner(r.id), tickNumber(r.id)
		if owner == "" {
			t.Errorf("tick %d has no holder's name: %q", r.seq, r.id)
			continue
		}
		if ids[r.id] {
			t.Errorf("tick %s appended twice", r.id)
		}
		ids[r.id] = true
		if n <= lastN[owner] {
			t.Errorf("tick %d: %s's tick %d after its tick %d", r.seq, owner, n, lastN[owner])
		}
		lastN[owner] = n
		if owner != prevOwner {
			runs[owner]++
			prevOwner = owner
		}
		if r.tick < prevTime {
			t.Errorf("tick %d goes back: %v after %v", r.seq, r.tick, prevTime)
		}
		prevTime = r.tick
	}
	for _, p := range procs {
		if p == nil {
			continue
		}
		if runs[p.name] > int(p.leads.Load()) {
			t.Errorf("%s ticked in %d runs but held the clock %d times: ticks of holders interleaved", p.name, runs[p.name], p.leads.Load())
		}
	}
	if runs["r1"] == 0 || runs["r2"]+runs["r1b"]+runs["r3"] == 0 {
		t.Errorf("ticks %s: want r1's, then another replica's after the takeover", describeTicks(recs))
	}
	t.Logf("%d records, %d ticks: %s", len(recs), ticks, describeTicks(recs))
}
