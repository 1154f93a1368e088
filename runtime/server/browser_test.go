package server_test

// The wallboard in a real browser: chromedp drives Debian's chromium (headless) against
// the real server on a loopback port. The page must render the config's statistics, follow
// the events posted through the HTTP API over its SSE stream, colour thresholds, show the
// agents' states, open and close a statistic through its form, keep per-tile thresholds
// across a reload, and write nothing to the console.
//
// Chromium is looked up as "chromium" on PATH. Without it the test fails when CI=true
// (.ci/run installs it) and is skipped otherwise. With -update-screenshot (or
// STATKIT_UPDATE_SCREENSHOT=1), TestBrowserWallboardScreenshot writes docs/wallboard.png
// from the demo config fed with simulated events.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write docs/wallboard.png from the browser test (also STATKIT_UPDATE_SCREENSHOT=1)")

// browserBudget bounds a whole browser test; browserWait bounds each wait for the page.
const (
	browserBudget = 50 * time.Second
	browserWait   = 10 * time.Second
)

// browserConfig is a small contact center: one queue, a group of two agents.
const browserConfig = `
topology:
  dns:
    - {id: "7001", type: Extension, place: P1}
    - {id: "7002", type: Extension, place: P2}
    - {id: "Support@SW1", type: ACDQueue}
  places: [{id: P1}, {id: P2}]
  agents: [{id: "1001", name: "Ann Lee"}, {id: "1002", name: "Bo Chen"}]
  groups:
    agents: {Sales: ["1001", "1002"]}
statTypes:
  CallsWaiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait]}
  LongestWaiting: {objects: [Queue], category: CurrentMaxTime, subject: DNAction, mainMask: [CallWait]}
  CallsEntered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  AgentsReady: {objects: [GroupAgents], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall]}
  AgentState: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
statistics:
  - {id: waiting, statType: CallsWaiting, object: {type: Queue, id: "Support@SW1"}}
  - {id: longest, statType: LongestWaiting, object: {type: Queue, id: "Support@SW1"}}
  - {id: entered, statType: CallsEntered, object: {type: Queue, id: "Support@SW1"}}
  - {id: ready, statType: AgentsReady, object: {type: GroupAgents, id: Sales}}
  - {id: ann, statType: AgentState, object: {type: Agent, id: "1001"}}
  - {id: bo, statType: AgentState, object: {type: Agent, id: "1002"}}
`

func TestBrowserWallboard(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	cfg, err := config.Load("browser.yaml", strings.NewReader(browserConfig))
	require.NoError(t, err)
	srv := serveForBrowser(t, ctx, cfg, "127.0.0.1:0")
	base := srv.base
	b := openBrowser(t, ctx, chromium, 1600, 1000)

	b.run(chromedp.Navigate(base + "/"))
	b.waitJS("the tiles and agent cards render, the stream is live",
		`document.querySelectorAll("#all .tile").length === 4 &&
		 document.querySelectorAll("#state-grid .agent").length === 2 &&
		 document.querySelector("#conn").dataset.state === "live"`)
	b.waitJS("the initial values", valuesAre(map[string]string{"waiting": "0", "entered": "0", "ready": "0", "longest": "0:00"}))
	require.Equal(t, "Calls waiting", b.text(`[data-stat="waiting"] .tile-name`))
	require.Equal(t, "Longest waiting", b.text(`[data-stat="longest"] .tile-name`))
	require.Equal(t, "Support@SW1", b.text(`[data-object="Queue/Support@SW1"] h3`))
	require.Equal(t, "Sales", b.text(`[data-object="GroupAgents/Sales"] h3`))
	require.Equal(t, "Ann Lee", b.text(`[data-stat="ann"] .agent-name`))
	require.Equal(t, "Live", b.text(`#conn-label`))

	// Both agents log in: Ann is ready, Bo takes a break; two calls queue.
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	postEvents(t, base,
		loggedIn(at(0), "7001", "1001"),
		loggedIn(at(0), "7002", "1002"),
		dnAction(at(0), "WaitForNextCall", "start", "7001", ""),
		notReady(at(0), "7002", "Break"),
		callArrives(at(1), "c-1"),
		callArrives(at(2), "c-2"),
	)
	b.waitJS("values after two calls queue", valuesAre(map[string]string{"waiting": "2", "entered": "2", "ready": "1"}))
	b.waitJS("agent states after login", agentIs("ann", "ready", "Ready")+" && "+agentIs("bo", "notready", "Not ready · Break"))
	b.waitJS("the waiting count is within its thresholds", levelIs("waiting", "ok"))
	b.waitJS("the state summary", `document.querySelector("#state-summary").textContent.replace(/\s+/g, " ").includes("1 Ready")`)

	// c-1 goes to Ann at t0+70s: one call waits, for 68 s (amber: over 60 s).
	postEvents(t, base,
		queueAction(at(70), "CallWait", "end", "c-1", ""),
		queueAction(at(70), "CallDistributed", "", "c-1", `,"duration":69`),
		dnAction(at(70), "CallRinging", "start", "7001", "c-1"),
	)
	b.waitJS("values after distribution", valuesAre(map[string]string{"waiting": "1", "longest": "1:08", "ready": "0"}))
	b.waitJS("the longest wait turns amber", levelIs("longest", "warn"))
	b.waitJS("Ann's phone rings", agentIs("ann", "ringing", "Ringing"))
	b.waitJS("the time in state is counted from the state's start", `document.querySelector('[data-stat="ann"] .agent-time').textContent !== ""`)

	// Ann answers at t0+130s; five more calls queue: c-2 has waited 128 s (red).
	lines := []string{
		dnAction(at(130), "CallRinging", "end", "7001", "c-1"),
		dnAction(at(130), "CallInbound", "start", "7001", "c-1"),
	}
	for i := 3; i <= 7; i++ {
		lines = append(lines, callArrives(at(130), fmt.Sprintf("c-%d", i)))
	}
	postEvents(t, base, lines...)
	b.waitJS("values after five more calls", valuesAre(map[string]string{"waiting": "6", "entered": "7", "longest": "2:08"}))
	b.waitJS("the longest wait turns red, the waiting count amber", levelIs("longest", "crit")+" && "+levelIs("waiting", "warn"))
	b.waitJS("Ann talks", agentIs("ann", "talking", "Talking"))

	// Open a statistic with the form: calls entered into the queue, counted from now.
	b.run(chromedp.Click(chromedp.ID("add-open")))
	b.waitJS("the form lists the stat types", `document.querySelector("#add-dialog").open && document.querySelectorAll("#f-stattype option").length === 5`)
	b.waitJS("the form takes a statistic", `(() => {
		const set = (id, v) => { const el = document.getElementById(id); el.value = v; el.dispatchEvent(new Event("change")); return el.value === v; };
		return set("f-stattype", "CallsEntered") && set("f-objtype", "Queue") && set("f-objid", "Support@SW1");
	})()`)
	b.run(chromedp.Click(chromedp.ID("add-submit")))
	b.waitJS("the new tile shows", `!document.querySelector("#add-dialog").open &&
		document.querySelectorAll('[data-object="Queue/Support@SW1"] .tile').length === 4`)
	newID := b.eval(`[...document.querySelectorAll('[data-object="Queue/Support@SW1"] .tile')].map(t => t.dataset.stat).find(id => !["waiting", "longest", "entered"].includes(id))`)
	require.NotEmpty(t, newID)
	require.Contains(t, listStatistics(t, base), newID, "GET /v1/statistics lists the opened statistic")
	b.waitJS("the new statistic counts from its opening", valuesAre(map[string]string{newID: "0"}))
	postEvents(t, base, callArrives(at(140), "c-8"))
	b.waitJS("both counters see the next call", valuesAre(map[string]string{newID: "1", "entered": "8", "waiting": "7"}))

	// Close it from its tile.
	b.run(chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-stat=%q] .tool-close`, newID))))
	b.waitJS("the closed tile goes", fmt.Sprintf(`!document.querySelector('[data-stat=%q]')`, newID))
	require.Equal(t, http.StatusNotFound, statusOf(t, base+"/v1/statistics/"+newID), "the statistic is closed on the server")

	// Thresholds are edited per tile and kept in localStorage across a reload.
	b.run(chromedp.Click(chromedp.CSS(`[data-stat="waiting"] .tool-thr`)))
	b.waitJS("the threshold dialog opens", `document.querySelector("#thr-dialog").open`)
	b.run(chromedp.SetValue(chromedp.ID("t-warn"), "2"))
	b.run(chromedp.SetValue(chromedp.ID("t-crit"), "4"))
	b.run(chromedp.Click(chromedp.CSS(`#thr-form button[type="submit"]`)))
	b.waitJS("the waiting count turns red", levelIs("waiting", "crit"))
	b.run(chromedp.Reload())
	b.waitJS("after a reload the board is back and live", `document.querySelectorAll("#all .tile").length === 4 &&
		document.querySelector("#conn").dataset.state === "live"`)
	b.waitJS("values after the reload", valuesAre(map[string]string{"waiting": "7", "entered": "8"})+" && "+agentIs("ann", "talking", "Talking"))
	b.waitJS("the edited threshold survives the reload", levelIs("waiting", "crit"))
	b.noConsoleErrors()

	// The server restarts: the page says so, reconnects by itself and shows the new
	// server's values. (The browser logs the refused connections meanwhile; only the
	// page's own errors count from here.)
	srv.stop()
	b.waitJS("the page notices the lost stream", `document.querySelector("#conn").dataset.state === "reconnecting" &&
		document.querySelector("#conn-label").textContent === "Reconnecting…"`)
	serveForBrowser(t, ctx, cfg, srv.addr)
	b.waitJS("the page reconnects to the new server", `document.querySelector("#conn").dataset.state === "live"`)
	b.waitJS("the new server's values", valuesAre(map[string]string{"waiting": "0", "entered": "0", "ready": "0"})+" && "+agentIs("ann", "loggedout", "Logged out"))
	b.noPageErrors()
}

// TestBrowserWallboardScreenshot writes docs/wallboard.png: the demo's board at
// 1600×1000, its center of 50 agents under the demo's load (sim.Demo) fed with
// simulated events in steps up to the end of its first peak — a queue behind, abandons,
// the service level down — with the agents sorted by state and the alerts of the last
// seconds. It runs only when asked for (-update-screenshot or
// STATKIT_UPDATE_SCREENSHOT=1).
func TestBrowserWallboardScreenshot(t *testing.T) {
	if !*updateScreenshot && os.Getenv("STATKIT_UPDATE_SCREENSHOT") != "1" {
		t.Skip("run with -update-screenshot or STATKIT_UPDATE_SCREENSHOT=1 to write docs/wallboard.png")
	}
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	sc := sim.Demo(sim.Config{Agents: 50, Queues: 4, Seed: 2, Duration: time.Hour, LoginSpread: 30 * time.Second})
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	base := serveForBrowser(t, ctx, cfg, "127.0.0.1:0").base
	b := openBrowser(t, ctx, chromium, 1600, 1000)
	b.run(chromedp.EmulateViewport(1600, 1000))
	b.run(chromedp.Navigate(base + "/"))
	b.waitJS("the board renders", `document.querySelectorAll("#state-grid .agent").length === 50 &&
		document.querySelector("#conn").dataset.state === "live"`)
	b.run(chromedp.SetValue(chromedp.ID("agent-sort"), "state"))
	b.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("agent-sort").dispatchEvent(new Event("change"))`))

	// 13 simulated minutes in 52 steps of 15 s, one every 60 ms: the calm start, the
	// ramp, the peak and staffing catching up.
	s, err := sim.New(sc)
	require.NoError(t, err)
	start := sc.WithDefaults().Start
	var pending []event.Event
	for step := 1; step <= 52; step++ {
		until := event.TimeOf(start.Add(time.Duration(step) * 15 * time.Second))
		batch := pending
		pending = nil
		for {
			ev, ok := s.Next()
			require.True(t, ok)
			if ev.Time >= until {
				pending = append(pending, ev)
				break
			}
			batch = append(batch, ev)
		}
		if len(batch) == 0 {
			continue
		}
		var body bytes.Buffer
		enc := event.NewEncoder(&body)
		for _, ev := range batch {
			require.NoError(t, enc.Encode(ev))
		}
		post(t, base+"/v1/events", "application/x-ndjson", body.Bytes())
		time.Sleep(60 * time.Millisecond)
	}
	b.waitJS("the board fits and shows an alert", fitsJS+` && document.querySelectorAll("#toasts .toast").length > 0`)
	time.Sleep(1500 * time.Millisecond) // the last values, the clock's next reading
	b.noConsoleErrors()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	out := filepath.Join("..", "..", "docs", "wallboard.png")
	require.NoError(t, os.WriteFile(out, png, 0o644))
	t.Logf("wrote %s (%d bytes)", out, len(png))
}

// findChromium returns the path of chromium; without it the test fails in CI and is
// skipped elsewhere.
func findChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("chromium is not installed (%v): .ci/run must install it (apt-get install chromium)", err)
	}
	t.Skipf("chromium is not installed (%v); the wallboard browser test needs it", err)
	return ""
}

// browserServer is the real server on a loopback port.
type browserServer struct {
	base string // http://127.0.0.1:port
	addr string
	stop func() // shuts the server down and waits for it (idempotent)
}

// serveForBrowser starts the real server for cfg on addr ("127.0.0.1:0" for any port),
// with no wall-clock ticker (the engine's clock moves with event times only). The server
// shuts down when the test ends, if not before.
func serveForBrowser(t *testing.T, ctx context.Context, cfg *config.Config, addr string) *browserServer {
	t.Helper()
	return serveOptionsForBrowser(t, ctx, server.Options{Config: cfg}, addr)
}

// serveOptionsForBrowser is serveForBrowser with more options (a history database).
func serveOptionsForBrowser(t *testing.T, ctx context.Context, opts server.Options, addr string) *browserServer {
	t.Helper()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.TickInterval = -1
	srv, err := server.New(opts)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server shutdown: %v", err)
				}
			case <-time.After(browserWait):
				t.Errorf("server did not shut down within %v", browserWait)
			}
		})
	}
	t.Cleanup(stop)
	return &browserServer{base: "http://" + ln.Addr().String(), addr: ln.Addr().String(), stop: stop}
}

// browser is a headless chromium tab and the console errors it reported.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string
}

// openBrowser starts headless chromium (no sandbox: tests run as root) with a window of
// w×h pixels and listens to its console. The browser closes when the test ends.
func openBrowser(t *testing.T, ctx context.Context, chromium string, w, h int) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.WindowSize(w, h),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	require.NoError(t, chromedp.Do(bctx), "starting chromium")
	b := &browser{t: t, ctx: bctx}
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
				return
			}
			parts := []string{"console." + string(e.Type) + ":"}
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			msg = strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *log.EventEntryAdded:
			if e.Entry.Level != log.EntryLevelError {
				return
			}
			msg = "log: " + e.Entry.Text + " " + e.Entry.URL
		default:
			return
		}
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	}))
	return b
}

// run runs actions in the tab, failing the test on error.
func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserWait)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, actions...))
}

// eval returns the string an expression evaluates to.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserWait)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	require.NoError(b.t, err, "evaluating %s", expr)
	return s
}

// text returns the text content of the element a CSS selector names.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
}

// waitJS waits until a JavaScript expression is truthy; on time-out it fails with what
// the page shows.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserWait+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(browserWait), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v\npage: %s\nconsole errors: %q", what, err, b.snapshot(), b.consoleErrors())
	}
}

// snapshot describes what the board shows, for failure messages.
func (b *browser) snapshot() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({
		conn: (document.querySelector("#conn") || {dataset: {}}).dataset.state,
		banner: (document.querySelector("#banner") || {}).textContent,
		tiles: [...document.querySelectorAll(".tile, .kpi, td.cell[data-stat]")].map(t => [t.dataset.stat, t.querySelector(".value").textContent, t.dataset.level]),
		clock: (document.querySelector("#clock") || {}).textContent, density: document.body.dataset.density,
		agents: [...document.querySelectorAll(".agent")].map(a => [a.dataset.stat, a.dataset.status, a.querySelector(".agent-status").textContent, a.querySelector(".agent-time").textContent]),
	})`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// noConsoleErrors fails the test when the page wrote an error or threw.
func (b *browser) noConsoleErrors() {
	b.t.Helper()
	require.Empty(b.t, b.consoleErrors(), "the page reported console errors or exceptions")
}

// noPageErrors fails the test when the page wrote an error or threw; entries of the
// browser's own log (network errors) are not counted.
func (b *browser) noPageErrors() {
	b.t.Helper()
	var errs []string
	for _, e := range b.consoleErrors() {
		if !strings.HasPrefix(e, "log: ") {
			errs = append(errs, e)
		}
	}
	require.Empty(b.t, errs, "the page reported console errors or exceptions")
}

// valuesAre is a JavaScript condition: each statistic's tile shows the given text.
func valuesAre(want map[string]string) string {
	var conds []string
	for id, v := range want {
		conds = append(conds, fmt.Sprintf(`(document.querySelector('[data-stat=%q] .value') || {}).textContent === %q`, id, v))
	}
	return strings.Join(conds, " && ")
}

// levelIs is a JavaScript condition: the statistic's tile has the threshold level.
func levelIs(id, level string) string {
	return fmt.Sprintf(`(document.querySelector('[data-stat=%q]') || {dataset: {}}).dataset.level === %q`, id, level)
}

// agentIs is a JavaScript condition: the agent card of a statistic shows a status class
// and label.
func agentIs(id, status, label string) string {
	return fmt.Sprintf(`(() => { const a = document.querySelector('[data-stat=%q]');
		return !!a && a.dataset.status === %q && a.querySelector(".agent-status").textContent === %q; })()`, id, status, label)
}

// stamp formats an event time.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// loggedIn logs agent in on a regular DN.
func loggedIn(at time.Time, dn, agent string) string {
	return fmt.Sprintf(`{"time":%q,"action":"LoggedIn","phase":"start","source":{"class":"regular_dn","id":%q},"agent":%q}`, stamp(at), dn, agent)
}

// notReady starts a not-ready period with a reason on a regular DN.
func notReady(at time.Time, dn, reason string) string {
	return fmt.Sprintf(`{"time":%q,"action":"NotReadyForNextCall","phase":"start","source":{"class":"regular_dn","id":%q},"data":{"ReasonCode":%q}}`, stamp(at), dn, reason)
}

// dnAction is a durable action's start or end on a regular DN, for an interaction or none.
func dnAction(at time.Time, action, phase, dn, interaction string) string {
	ixn := ""
	if interaction != "" {
		ixn = fmt.Sprintf(`,"interaction":%q,"media":"voice"`, interaction)
	}
	return fmt.Sprintf(`{"time":%q,"action":%q,"phase":%q,"source":{"class":"regular_dn","id":%q}%s}`, stamp(at), action, phase, dn, ixn)
}

// queueAction is an action of a voice interaction on Support@SW1; phase "" for a
// momentary or retrospective action, extra adds fields (",\"duration\":…").
func queueAction(at time.Time, action, phase, interaction, extra string) string {
	ph := ""
	if phase != "" {
		ph = fmt.Sprintf(`,"phase":%q`, phase)
	}
	return fmt.Sprintf(`{"time":%q,"action":%q%s,"source":{"class":"mediation_dn","id":"Support@SW1"},"interaction":%q,"media":"voice"%s}`,
		stamp(at), action, ph, interaction, extra)
}

// callArrives is a call entering Support@SW1 and starting to wait there.
func callArrives(at time.Time, interaction string) string {
	return queueAction(at, "CallEntered", "", interaction, "") + "\n" + queueAction(at, "CallWait", "start", interaction, "")
}

// postEvents posts NDJSON lines to POST /v1/events and requires them all accepted.
func postEvents(t *testing.T, base string, lines ...string) {
	t.Helper()
	post(t, base+"/v1/events", "application/x-ndjson", []byte(strings.Join(lines, "\n")+"\n"))
}

// post sends events and requires that every line was accepted.
func post(t *testing.T, url, contentType string, body []byte) {
	t.Helper()
	res, err := http.Post(url, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "POST /v1/events: %s", b)
	var out struct {
		Accepted int               `json:"accepted"`
		Rejected []json.RawMessage `json:"rejected"`
	}
	require.NoError(t, json.Unmarshal(b, &out))
	require.Empty(t, out.Rejected, "rejected events: %s", b)
	require.Equal(t, bytes.Count(bytes.TrimSpace(body), []byte("\n"))+1, out.Accepted)
}

// listStatistics returns the ids GET /v1/statistics lists.
func listStatistics(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/v1/statistics")
	require.NoError(t, err)
	defer res.Body.Close()
	var out struct {
		Statistics []struct {
			ID string `json:"id"`
		} `json:"statistics"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	ids := make([]string, len(out.Statistics))
	for i, s := range out.Statistics {
		ids[i] = s.ID
	}
	return ids
}

// statusOf returns the status code of a GET.
func statusOf(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}
