// statkit wallboard: the agents' states — a card per agent with its state and time in
// state (counted in engine time), a summary by state, sorting by name, state or time in
// state, a filter by group, and states that last too long highlighted against their
// thresholds.

import { $, st, model, onValue, onClock, objKey, objName, parseTime } from "./core.js";
import { STATUS, SUMMARY, DEFAULT_STATES, stateLimit, levelOf, formatDuration, humanize, natCompare, LEVEL_RANK } from "./format.js";

const SORT_KEY = "statkit.wallboard.agentSort";
const GROUP_KEY = "statkit.wallboard.agentGroup";
const STATE_RANK = Object.fromEntries(SUMMARY.map(([k], i) => [k, i]));

// Agents is the panel: it shows the state statistics it is given.
export class Agents {
  // opts: {alert(level, text, el), closeStat(model) (the all view's close button)}
  constructor(opts) {
    this.opts = opts || {};
    this.cards = new Map(); // statistic id → card {s, el, statusEl, timeEl, since, cls, raw, reason, long}
    this.limits = DEFAULT_STATES;
    this.groups = []; // the groups the filter offers
    this.stops = [];
    this.sortFrame = 0;
    this.root = $("#sec-states");
    this.grid = $("#state-grid");
    this.summary = $("#state-summary");
    this.sortSel = $("#agent-sort");
    this.groupSel = $("#agent-group");
    this.sortSel.value = this.stored(SORT_KEY, "name");
    this.sortSel.addEventListener("change", () => {
      this.store(SORT_KEY, this.sortSel.value);
      this.sort();
    });
    this.groupSel.addEventListener("change", () => {
      this.store(GROUP_KEY, this.groupSel.value);
      this.filter();
    });
    this.stops.push(onClock(() => this.tick()));
  }

  stored(key, fallback) {
    try { return window.localStorage.getItem(key) || fallback; } catch (e) { return fallback; }
  }

  store(key, v) {
    try { window.localStorage.setItem(key, v); } catch (e) { /* storage disabled */ }
  }

  // configure sets the time-in-state thresholds ([{statuses, reason, t}], or the defaults
  // when null) and the groups the filter offers (ids; all agent groups when null).
  configure(limits, groups) {
    this.limits = limits || DEFAULT_STATES;
    this.groups = groups || Array.from(st.groups.keys()).sort(natCompare);
    const keep = this.stored(GROUP_KEY, "");
    const opts = [["", "All groups"]].concat(this.groups.map((g) => [g, g]));
    this.groupSel.replaceChildren(...opts.map(([v, label]) => {
      const o = document.createElement("option");
      o.value = v;
      o.textContent = label;
      return o;
    }));
    this.groupSel.value = this.groups.includes(keep) ? keep : "";
    this.groupSel.parentElement.hidden = this.groups.length === 0;
    for (const c of this.cards.values()) this.renderTime(c, false);
    this.filter();
  }

  has(id) { return this.cards.has(id); }

  // cardOf returns the card of an object ("Type/id"), or null.
  cardOf(key) {
    for (const c of this.cards.values()) if (objKey(c.s.object) === key) return c;
    return null;
  }

  size() { return this.cards.size; }

  // add shows statistic s (a model) as a card.
  add(s) {
    if (this.cards.has(s.id)) return this.cards.get(s.id);
    const el = $("#agent-tpl").content.firstElementChild.cloneNode(true);
    el.dataset.stat = s.id;
    el.dataset.object = objKey(s.object);
    const name = objName(s.object);
    const typeLabel = s.object.type === "Agent" ? "" : s.object.type + " ";
    $(".agent-name", el).textContent = typeLabel + name;
    el.title = typeLabel + name + (name !== s.object.id ? " (" + s.object.id + ")" : "") + "\nStatistic " + s.id;
    const close = $(".tool-close", el);
    if (this.opts.closeStat) {
      close.setAttribute("aria-label", "Close " + humanize(s.statType) + ", " + typeLabel + name);
      close.title = "Close statistic";
      close.addEventListener("click", () => this.opts.closeStat(s));
    } else {
      close.remove();
    }
    const c = { s, el, name, statusEl: $(".agent-status", el), timeEl: $(".agent-time", el), since: NaN, cls: "unknown", raw: "", reason: "", long: "none", seen: false };
    this.cards.set(s.id, c);
    this.grid.append(el);
    this.stops.push(onValue(s.id, () => this.render(c)));
    if (s.value !== undefined) this.render(c);
    this.root.hidden = false;
    this.filter();
    this.scheduleSort();
    return c;
  }

  remove(id) {
    const c = this.cards.get(id);
    if (!c) return;
    c.el.remove();
    this.cards.delete(id);
    this.root.hidden = this.cards.size === 0;
    this.scheduleSummary();
  }

  // clear removes every card and stops listening.
  clear() {
    for (const id of Array.from(this.cards.keys())) this.remove(id);
    for (const stop of this.stops.splice(0)) stop();
    this.stops.push(onClock(() => this.tick()));
  }

  render(c) {
    const v = c.s.value;
    const state = v && typeof v === "object" ? v : null;
    const status = state ? String(state.status || "") : "";
    const info = STATUS[status] || (status ? ["idle", humanize(status)] : ["unknown", state ? "No status" : "–"]);
    const changed = c.cls !== info[0] || c.raw !== status;
    c.cls = info[0];
    c.raw = status;
    c.reason = state && state.reason ? String(state.reason) : "";
    c.el.dataset.status = info[0];
    c.el.dataset.rawStatus = status;
    c.statusEl.textContent = info[1] + (c.reason ? " · " + c.reason : "");
    const since = state && state.since ? parseTime(state.since) : NaN;
    if (since !== c.since && !(isNaN(since) && isNaN(c.since))) {
      c.since = since; // a new state: its time starts over
      if (this.sortSel.value !== "name") this.scheduleSort();
    }
    if (changed) this.scheduleSort(); // by state, and logged-out agents go last in any order
    this.renderTime(c, c.seen);
    c.seen = true;
    this.scheduleSummary();
  }

  // renderTime shows the time in state (the engine time minus the state's start) and
  // its level; a card that reaches its alarm raises an alert (alert false: quietly).
  renderTime(c, alert) {
    let secs = !isNaN(c.since) && isFinite(st.now) ? Math.max(0, (st.now - c.since) / 1000) : NaN;
    const ts = c.timeStat; // a time-in-state statistic of the agent, when the state has no start
    if (isNaN(secs) && ts && typeof ts.value === "number" && isFinite(ts.value)) {
      secs = ts.value + (isFinite(st.now) && isFinite(ts.at) ? Math.max(0, (st.now - ts.at) / 1000) : 0);
    }
    c.timeEl.textContent = isNaN(secs) ? "" : formatDuration(secs);
    const t = c.cls === "loggedout" ? null : stateLimit(this.limits, c.raw, c.reason);
    const level = levelOf(secs, t);
    const long = level === "ok" ? "none" : level;
    if (long !== c.long) {
      if (alert && long === "crit" && LEVEL_RANK[long] > LEVEL_RANK[c.long] && this.opts.alert) {
        this.opts.alert("crit", c.name + ": " + c.statusEl.textContent + " for " + formatDuration(secs), c.el);
      }
      c.long = long;
      c.el.dataset.long = long;
    }
  }

  tick() {
    for (const c of this.cards.values()) this.renderTime(c, true);
  }

  // filter shows the cards of the chosen group's members.
  filter() {
    const g = this.groupSel.value;
    const members = g ? st.groups.get(g) : null;
    for (const c of this.cards.values()) {
      c.el.hidden = !!members && !(c.s.object.type === "Agent" && members.has(c.s.object.id));
    }
    this.scheduleSummary();
  }

  scheduleSort() {
    if (this.sortFrame) return;
    this.sortFrame = requestAnimationFrame(() => {
      this.sortFrame = 0;
      this.sort();
    });
  }

  // sort orders the cards: by name; by state (the summary's order), then longest in it
  // first; or by time in state, longest first — logged-out agents last but by state. Times in state keep their order as they
  // grow, so cards move only when a state changes.
  sort() {
    const by = this.sortSel.value;
    const cards = Array.from(this.cards.values());
    const byName = (a, b) => natCompare(a.name, b.name) || natCompare(a.s.id, b.s.id);
    const bySince = (a, b) => {
      const x = isNaN(a.since) ? Infinity : a.since, y = isNaN(b.since) ? Infinity : b.since;
      return x - y;
    };
    const out = (c) => (c.cls === "loggedout" || c.cls === "unknown" ? 1 : 0);
    if (by === "state") {
      cards.sort((a, b) => (STATE_RANK[a.cls] ?? 99) - (STATE_RANK[b.cls] ?? 99) || bySince(a, b) || byName(a, b));
    } else if (by === "time") {
      cards.sort((a, b) => out(a) - out(b) || bySince(a, b) || byName(a, b));
    } else {
      cards.sort((a, b) => out(a) - out(b) || byName(a, b));
    }
    // Move only what is out of place, so that a sorted grid is left alone.
    let prev = null;
    for (const c of cards) {
      const want = prev ? prev.nextElementSibling : this.grid.firstElementChild;
      if (want !== c.el) this.grid.insertBefore(c.el, want);
      prev = c.el;
    }
  }

  scheduleSummary() {
    if (this.summaryFrame) return;
    this.summaryFrame = requestAnimationFrame(() => {
      this.summaryFrame = 0;
      this.updateSummary();
    });
  }

  updateSummary() {
    const counts = {};
    for (const c of this.cards.values()) {
      if (c.el.hidden || c.s.object.type !== "Agent") continue;
      counts[c.cls] = (counts[c.cls] || 0) + 1;
    }
    const items = [];
    for (const [k, label] of SUMMARY) {
      if (!counts[k]) continue;
      const li = document.createElement("li");
      li.dataset.status = k;
      const dot = document.createElement("span");
      dot.className = "dot";
      const b = document.createElement("b");
      b.textContent = String(counts[k]);
      li.append(dot, b, " " + label);
      items.push(li);
    }
    this.summary.replaceChildren(...items);
  }
}

// limitsFromBoard converts a board's agents.states ({statuses, reason, thresholds}).
export function limitsFromBoard(states, fromServer) {
  if (!Array.isArray(states) || states.length === 0) return null;
  return states.map((x) => ({ statuses: x.statuses || [], reason: x.reason || "", t: fromServer(x.thresholds) }));
}

export { model };
