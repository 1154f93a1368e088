package server_test

// The wallboard's boards in a real browser (see browser_test.go for the harness): the
// headline strip, the tables, the agents sorted and filtered with long states
// highlighted, a threshold alert, the engine clock, trends backfilled after a reload,
// and a board that fits one screen at the demo's size — denser, never scrolling, at 300
// agents and 12 queues.

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/statkit/statkit/runtime/config"
	"github.com/statkit/statkit/runtime/event"
	"github.com/statkit/statkit/runtime/server"
	"github.com/statkit/statkit/runtime/sim"
	"github.com/statkit/statkit/runtime/sim/democonfig"
)

// boardBrowserConfig is a queue served by two groups of agents, and its board.
const boardBrowserConfig = `
topology:
  dns:
    - {id: "7001", type: Extension, place: P1}
    - {id: "7002", type: Extension, place: P2}
    - {id: "7003", type: Extension, place: P3}
    - {id: "Support@SW1", type: ACDQueue}
  places: [{id: P1}, {id: P2}, {id: P3}]
  agents: [{id: "1001", name: "Ann Lee"}, {id: "1002", name: "Bo Chen"}, {id: "1003", name: "Cy Diaz"}]
  groups:
    agents: {Sales: ["1001", "1002"], Care: ["1003"]}
statTypes:
  CallsWaiting: {objects: [Queue], category: CurrentNumber, subject: DNAction, mainMask: [CallWait]}
  LongestWaiting: {objects: [Queue], category: CurrentMaxTime, subject: DNAction, mainMask: [CallWait]}
  ServiceLevel: {objects: [Queue], category: ServiceFactor1, subject: DNAction, mainMask: [CallDistributed], relMask: [CallAbandoned]}
  CallsEntered: {objects: [Queue], category: TotalNumber, subject: DNAction, mainMask: [CallEntered]}
  AgentsReady: {objects: [GroupAgents], category: CurrentNumber, subject: AgentStatus, mainMask: [WaitForNextCall]}
  AgentsStaffed: {objects: [GroupAgents], category: CurrentNumber, subject: DNAction, mainMask: [LoggedIn]}
  AgentState: {objects: [Agent], category: CurrentState, subject: AgentStatus, mainMask: ["*"]}
timeRanges: {SL20: "0-20"}
statistics:
  - {id: waiting, statType: CallsWaiting, object: {type: Queue, id: "Support@SW1"}}
  - {id: longest, statType: LongestWaiting, object: {type: Queue, id: "Support@SW1"}}
  - {id: sl, statType: ServiceLevel, object: {type: Queue, id: "Support@SW1"}, timeRange: SL20}
  - {id: entered, statType: CallsEntered, object: {type: Queue, id: "Support@SW1"}}
  - {id: ready, statType: AgentsReady, object: {type: GroupAgents, id: Sales}}
  - {id: staffed, statType: AgentsStaffed, object: {type: GroupAgents, id: Sales}}
  - {id: ann, statType: AgentState, object: {type: Agent, id: "1001"}}
  - {id: bo, statType: AgentState, object: {type: Agent, id: "1002"}}
  - {id: cy, statType: AgentState, object: {type: Agent, id: "1003"}}
wallboards:
  floor:
    title: Support floor
    headline:
      - {statistic: waiting, label: Calls waiting, thresholds: {warn: 2, alarm: 4}}
      - {statistic: longest, label: Oldest wait, thresholds: {warn: 60, alarm: 120}}
      - {statistic: sl, label: Service level, thresholds: {warn: 80, alarm: 60, direction: below}}
      - {statistic: ready, of: staffed, label: Agents available, thresholds: {}}
    sections:
      - title: Queues
        columns:
          - {statType: CallsWaiting, label: Waiting, thresholds: {warn: 2, alarm: 4}}
          - {statType: CallsEntered, label: Entered}
          - {statType: AgentsReady, of: AgentsStaffed, label: Agents}
        rows:
          - {type: Queue, id: "Support@SW1", with: {GroupAgents: Sales}}
    agents:
      groups: [Sales, Care]
      states:
        - {status: NotReadyForNextCall, reason: Lunch, thresholds: {warn: 2700, alarm: 3600}}
        - {status: NotReadyForNextCall, thresholds: {warn: 600, alarm: 900}}
        - {status: CallInbound, thresholds: {warn: 480, alarm: 660}}
`

// kpiValue is a JavaScript condition: the headline tile of a statistic shows text.
func kpiValue(id, text string) string {
	return fmt.Sprintf(`(document.querySelector('.kpi[data-stat=%q] .value') || {}).textContent === %q`, id, text)
}

// agentOrder is a JavaScript expression: the names of the visible agent cards, in order.
const agentOrder = `[...document.querySelectorAll("#state-grid .agent")].filter(a => !a.hidden).map(a => a.querySelector(".agent-name").textContent).join(",")`

// localClock is the HH:MM:SS the page shows for an instant, in the browser's zone.
func localClock(b *browser, at time.Time) string {
	return b.eval(fmt.Sprintf(`(() => { const d = new Date(%d); const p = (n) => String(n).padStart(2, "0");
		return p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()); })()`, at.UnixMilli()))
}

func TestBrowserBoard(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	cfg, err := config.Load("board.yaml", strings.NewReader(boardBrowserConfig))
	require.NoError(t, err)
	base := serveForBrowser(t, ctx, cfg, "127.0.0.1:0").base
	b := openBrowser(t, ctx, chromium, 1600, 1000)
	b.run(chromedp.EmulateViewport(1600, 1000))
	b.run(chromedp.Navigate(base + "/"))

	// The headline strip: the four values, labelled, above and larger than the tables.
	b.waitJS("the board renders and is live", `document.querySelectorAll("#headline .kpi").length === 4 &&
		document.querySelectorAll("#tables td.cell").length === 3 &&
		document.querySelector("#conn").dataset.state === "live"`)
	require.Equal(t, "Support floor", b.text("#board-title"))
	require.Equal(t, "Calls waiting,Oldest wait,Service level,Agents available",
		b.eval(`[...document.querySelectorAll(".kpi-label")].map(l => l.textContent).join(",")`))
	require.Equal(t, "target ≥ 80 % in 20 s", b.text(`.kpi[data-stat="sl"] .kpi-note`), "the service level shows its threshold")
	require.Equal(t, "true", b.eval(`String((() => {
		const kpi = document.querySelector('.kpi[data-stat="waiting"]').getBoundingClientRect();
		const cell = document.querySelector('td[data-stat="waiting"]').getBoundingClientRect();
		const kv = parseFloat(getComputedStyle(document.querySelector('.kpi[data-stat="waiting"] .value')).fontSize);
		const cv = parseFloat(getComputedStyle(document.querySelector('td[data-stat="waiting"] .value')).fontSize);
		const strip = document.querySelector("#headline").getBoundingClientRect();
		return kpi.bottom <= cell.top && kv >= 2 * cv && strip.width > 0.9 * innerWidth;
	})())`), "the headline strip spans the screen above the tables, its numbers at least twice as large")
	b.waitJS("the initial values", kpiValue("waiting", "0"))
	require.Equal(t, "Queues", b.text(".board-section h2"))
	require.Equal(t, "Support@SW1", b.text(`#tables tbody th`))

	// t0: three agents log in — Ann ready, Bo on a break, Cy at lunch — and a call queues;
	// at 10 s it goes to Ann, who answers at 15 s.
	t0 := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	postEvents(t, base,
		loggedIn(at(0), "7001", "1001"), loggedIn(at(0), "7002", "1002"), loggedIn(at(0), "7003", "1003"),
		dnAction(at(0), "WaitForNextCall", "start", "7001", ""),
		callArrives(at(1), "c-1"),
		notReady(at(2), "7003", "Lunch"),
		notReady(at(5), "7002", "Break"),
	)
	b.waitJS("no call answered or abandoned yet: the service level is undefined", kpiValue("sl", "–")+` &&
		document.querySelector('.kpi[data-stat="sl"]').dataset.level === "none"`)
	b.waitJS("one call waits, one of two Sales agents is ready", kpiValue("waiting", "1")+` &&
		document.querySelector('.kpi[data-stat="ready"] .of').textContent === "/ 2" && `+kpiValue("ready", "1"))
	postEvents(t, base,
		queueAction(at(10), "CallWait", "end", "c-1", ""),
		queueAction(at(10), "CallDistributed", "", "c-1", `,"duration":9`),
		dnAction(at(10), "CallRinging", "start", "7001", "c-1"),
		dnAction(at(15), "CallRinging", "end", "7001", "c-1"),
		dnAction(at(15), "CallInbound", "start", "7001", "c-1"),
	)
	b.waitJS("Ann talks, the queue is empty, 100 % answered in time", agentIs("ann", "talking", "Talking")+" && "+
		agentIs("cy", "notready", "Not ready · Lunch")+" && "+kpiValue("waiting", "0")+" && "+kpiValue("sl", "100%"))
	b.waitJS("the engine clock shows the last event's time", fmt.Sprintf(`document.querySelector("#clock").textContent === %q`, localClock(b, at(15))))

	// Sorting: by name, by state (talking before not ready, the longest not ready
	// first), by time in state (longest first).
	require.Equal(t, "Ann Lee,Bo Chen,Cy Diaz", b.eval(agentOrder))
	b.run(chromedp.SetValue(chromedp.ID("agent-sort"), "state"))
	b.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("agent-sort").dispatchEvent(new Event("change"))`))
	b.waitJS("sorted by state", agentOrder+` === "Ann Lee,Cy Diaz,Bo Chen"`)
	b.run(chromedp.SetValue(chromedp.ID("agent-sort"), "time"))
	b.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("agent-sort").dispatchEvent(new Event("change"))`))
	b.waitJS("sorted by time in state", agentOrder+` === "Cy Diaz,Bo Chen,Ann Lee"`)
	// Filtering by group.
	b.run(chromedp.SetValue(chromedp.ID("agent-group"), "Care"))
	b.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("agent-group").dispatchEvent(new Event("change"))`))
	b.waitJS("the Care group only", agentOrder+` === "Cy Diaz"`)
	b.run(chromedp.SetValue(chromedp.ID("agent-group"), "Sales"))
	b.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("agent-group").dispatchEvent(new Event("change"))`))
	b.waitJS("the Sales group only", agentOrder+` === "Bo Chen,Ann Lee"`)
	b.run(chromedp.SetValue(chromedp.ID("agent-group"), ""))
	b.run(chromedp.Evaluate[chromedp.Void](`document.getElementById("agent-group").dispatchEvent(new Event("change"))`))

	// 11 minutes later five calls queue: Bo's break (10:55) and Ann's call (10:45) are
	// long (amber); Cy's lunch is not.
	var lines []string
	for i := 2; i <= 6; i++ {
		lines = append(lines, callArrives(at(660), fmt.Sprintf("c-%d", i)))
	}
	postEvents(t, base, lines...)
	b.waitJS("a threshold alert: calls waiting turns red, a toast says so", kpiValue("waiting", "5")+" && "+levelIs("waiting", "crit")+` &&
		[...document.querySelectorAll("#toasts .toast")].some(t => t.dataset.level === "crit" && t.textContent.includes("Calls waiting is red: 5")) &&
		document.querySelector("#alerts-count").textContent !== "0" &&
		document.querySelector('.kpi[data-stat="waiting"]').classList.contains("alerting")`)
	// The alerts are listed; sound is off until asked for, and stays as chosen.
	b.run(chromedp.Click(chromedp.ID("alerts-open")))
	b.waitJS("the alerts list", `document.querySelector("#alerts-dialog").open &&
		[...document.querySelectorAll("#alerts-list li")].some(li => li.dataset.level === "crit" && li.textContent.includes("Calls waiting is red: 5"))`)
	b.run(chromedp.Click(chromedp.ID("alerts-close")))
	require.Equal(t, "false", b.eval(`document.getElementById("sound").getAttribute("aria-pressed")`), "sound is off by default")
	b.run(chromedp.Click(chromedp.ID("sound")))
	require.Equal(t, "true", b.eval(`document.getElementById("sound").getAttribute("aria-pressed")`))
	require.Equal(t, "on", b.eval(`localStorage.getItem("statkit.wallboard.sound")`))
	b.waitJS("long states turn amber", `(() => { const l = (id) => document.querySelector('[data-stat="' + id + '"]').dataset.long;
		return l("bo") === "warn" && l("ann") === "warn" && l("cy") === "none"; })()`)
	// At 16 minutes they are red, and the oldest call has waited 5 minutes.
	postEvents(t, base, callArrives(at(960), "c-7"))
	b.waitJS("long states turn red", `(() => { const l = (id) => document.querySelector('[data-stat="' + id + '"]').dataset.long;
		return l("bo") === "crit" && l("ann") === "crit" && l("cy") === "none"; })()`)
	b.waitJS("an alert names the long break", `[...document.querySelectorAll("#toasts .toast")].some(t => t.textContent.includes("Bo Chen: Not ready · Break for 15:55"))`)
	b.waitJS("the oldest wait", kpiValue("longest", "5:00")+" && "+levelIs("longest", "crit"))
	b.waitJS("Bo's time in state", `document.querySelector('[data-stat="bo"] .agent-time').textContent === "15:55"`)
	// The engine clock is frozen between events (no ticker): it does not run on.
	clock := localClock(b, at(960))
	b.waitJS("the clock at the last event", fmt.Sprintf(`document.querySelector("#clock").textContent === %q`, clock))
	time.Sleep(2200 * time.Millisecond)
	require.Equal(t, clock, b.text("#clock"), "no client clock runs on between notifications")
	require.Equal(t, "15:55", b.text(`[data-stat="bo"] .agent-time`), "times in state count in engine time")

	// Counts draw as steps; after a reload the sparklines start from the server's
	// trends (1, 0, 5, 6 calls waiting), not from the one current value.
	steps := `(document.querySelector('.kpi[data-stat="waiting"] .spark-line').getAttribute("d").match(/V/g) || []).length`
	n, err := strconv.Atoi(b.eval("String(" + steps + ")"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 3, "the steps of calls waiting")
	b.run(chromedp.Reload())
	b.waitJS("after the reload: the board, live, with its trends", `document.querySelectorAll("#headline .kpi").length === 4 &&
		document.querySelector("#conn").dataset.state === "live" && `+kpiValue("waiting", "6")+" && "+steps+" >= 3")
	b.waitJS("the sort is kept", `document.getElementById("agent-sort").value === "time" && `+agentOrder+` === "Cy Diaz,Bo Chen,Ann Lee"`)

	// The drawing itself, by hand: a count at 0, 1 from 10 s, 0 from 20 s, over a window
	// of 40 s in a 100×32 box (y from 30 at the floor to 2): a count spreads over at least
	// 4, so 1 is a quarter up (y 23), drawn as steps that hold until now; a percentage
	// (min span 10, centred on the values) as lines, with a gap where it is undefined.
	ctx2, cancel2 := context.WithTimeout(b.ctx, browserWait)
	defer cancel2()
	paths, err := chromedp.Run(ctx2, chromedp.Evaluate[string](`import("/spark.js").then(m => [
		m.sparkPaths([[0, 0], [10, 1], [20, 0]], 0, 40, "count").line,
		m.sparkPaths([[0, 80], [10, null], [20, 90]], 0, 40, "percent").line,
	].join(" | "))`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, "M0.00 30.00H25.00V23.00H50.00V30.00H100.00 | M0.00 30.00H25.00M50.00 2.00H100.00", paths)

	// One screen at 1600×1000: nothing scrolls.
	b.waitJS("the board fits", fitsJS)
	require.Equal(t, "normal", b.eval(`document.body.dataset.density`))
	b.noConsoleErrors()
}

// fitsJS is a JavaScript condition: the page does not scroll, and no part of it
// overflows its box.
const fitsJS = `document.documentElement.scrollHeight <= innerHeight && document.documentElement.scrollWidth <= innerWidth &&
	[...document.querySelectorAll(".fit")].every(el => el.hidden || el.scrollHeight <= el.clientHeight + 1)`

// feedSim posts the first minutes of a simulation to the server, in steps of a simulated
// minute.
func feedSim(t *testing.T, base string, sc sim.Config, minutes int) {
	t.Helper()
	s, err := sim.New(sc)
	require.NoError(t, err)
	start := sc.WithDefaults().Start
	var pending *event.Event
	for step := 1; step <= minutes; step++ {
		until := event.TimeOf(start.Add(time.Duration(step) * time.Minute))
		var body bytes.Buffer
		enc := event.NewEncoder(&body)
		if pending != nil {
			require.NoError(t, enc.Encode(*pending))
			pending = nil
		}
		for {
			ev, ok := s.Next()
			require.True(t, ok)
			if ev.Time >= until {
				pending = &ev
				break
			}
			require.NoError(t, enc.Encode(ev))
		}
		if body.Len() > 0 {
			post(t, base+"/v1/events", "application/x-ndjson", body.Bytes())
		}
	}
}

// The demo's board fits one screen at 1600×1000, 1920×1080 and 3840×2160; at 300 agents
// and 12 queues it gets denser and still does not scroll the page.
func TestBrowserBoardFits(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	sc := sim.Demo(sim.Config{Agents: 50, Queues: 4, Seed: 2, Duration: time.Hour, LoginSpread: 30 * time.Second})
	cfg, err := democonfig.Build(sc)
	require.NoError(t, err)
	base := serveForBrowser(t, ctx, cfg, "127.0.0.1:0").base
	feedSim(t, base, sc, 10) // all agents logged in at the peak, values everywhere
	b := openBrowser(t, ctx, chromium, 1600, 1000)
	for _, size := range [][2]int64{{1600, 1000}, {1920, 1080}, {3840, 2160}} {
		b.run(chromedp.EmulateViewport(size[0], size[1]))
		if size[0] == 1600 {
			b.run(chromedp.Navigate(base + "/"))
		}
		b.waitJS("the demo's board renders", `document.querySelectorAll("#headline .kpi").length === 6 &&
			document.querySelectorAll("#state-grid .agent").length === 50 &&
			document.querySelector("#conn").dataset.state === "live"`)
		b.waitJS(fmt.Sprintf("the board fits %d×%d", size[0], size[1]), fitsJS+` && document.body.dataset.density === "normal"`)
	}

	big := sim.Demo(sim.Config{Agents: 300, Queues: 12, Seed: 2, Duration: time.Hour, LoginSpread: 30 * time.Second})
	cfg, err = democonfig.Build(big)
	require.NoError(t, err)
	base = serveForBrowser(t, ctx, cfg, "127.0.0.1:0").base
	feedSim(t, base, big, 3)
	b.run(chromedp.EmulateViewport(1600, 1000))
	b.run(chromedp.Navigate(base + "/"))
	b.waitJS("the big board renders", `document.querySelectorAll("#state-grid .agent").length === 300 &&
		document.querySelectorAll("#tables tbody tr").length === 24 && document.querySelector("#conn").dataset.state === "live"`)
	b.waitJS("300 agents and 12 queues: a denser board, and the page does not scroll",
		`document.body.dataset.density !== "normal" && document.documentElement.scrollHeight <= innerHeight`)
	b.noConsoleErrors()
}

// A table cell opens the bar chart of its intervals: the recorded statistic of its stat
// type and object, read from the history database, each bar coloured by the column's
// thresholds (warn 4, alarm 6) and an undefined interval shown apart.
func TestBrowserBarChart(t *testing.T) {
	chromium := findChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserBudget)
	defer cancel()
	cfg, err := config.Load("board.yaml", strings.NewReader(server.HistoryBoardConfig))
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	st := server.FillHistory(t, cfg, "entered.15", t0, []float64{3, 5, math.NaN(), 7})
	base := serveOptionsForBrowser(t, ctx, server.Options{Config: cfg, History: st}, "127.0.0.1:0").base
	b := openBrowser(t, ctx, chromium, 1600, 1000)
	b.run(chromedp.Navigate(base + "/"))
	b.waitJS("the board renders", `document.querySelectorAll("#tables td.cell").length === 1 && document.querySelector("#conn").dataset.state === "live"`)
	postEvents(t, base, callArrives(t0.Add(2*time.Hour), "c-1")) // the engine's day: 10:00
	b.waitJS("the cell's value", `document.querySelector('td[data-stat="entered"] .value').textContent === "1"`)
	b.run(chromedp.Click(chromedp.CSS(`td[data-stat="entered"]`)))
	b.waitJS("the chart of the day's intervals", `document.querySelector("#chart-dialog").open &&
		document.querySelectorAll("#chart-body rect.bar").length === 3 && document.querySelectorAll("#chart-body rect.bar-none").length === 1`)
	require.Equal(t, "ok,warn,crit", b.eval(`[...document.querySelectorAll("#chart-body rect.bar")].map(r => r.dataset.level).join(",")`))
	require.Equal(t, "Entered · Support@SW1", b.text("#chart-title"))
	require.Equal(t, "4 intervals of entered.15 (profile Q15); the last: 7", b.text("#chart-note"))
	require.Equal(t, "2", b.eval(`String(document.querySelectorAll("#chart-body line.level").length)`), "the amber and red levels")
	b.run(chromedp.Click(chromedp.ID("chart-close")))
	b.waitJS("the chart closes", `!document.querySelector("#chart-dialog").open`)
	b.noConsoleErrors()
}
