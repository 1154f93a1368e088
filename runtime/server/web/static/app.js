// statkit wallboard. Shows a board the config defines (GET /v1/wallboards: a headline
// strip, tables of queues and groups, the agents' states, each value with its
// thresholds), or every open statistic when there is none (the all-statistics view);
// follows the values over Server-Sent Events (GET /v1/stream), starts each sparkline
// from what the server kept (GET /v1/trends), shows the engine's time (GET /v1/clock),
// alerts when a value crosses a threshold, and opens the day's intervals of a value
// (GET /v1/history). With tokens, it asks for one once per browser session. Plain
// browser JavaScript modules, no build step, no dependencies.

import { $, st, api, list, applyConfig, model, setValue, mergeTrend, learnTime, parseTime, setTokenPrompt, setToken, unitOf, onClock } from "./core.js";
import { clockText, humanize, natCompare, fromServer, levelOf, formatLevel, LEVEL_RANK } from "./format.js";
import { Agents, limitsFromBoard } from "./agents.js";
import { Board } from "./board.js";
import { Auto, statLabel, TYPE_LABEL } from "./auto.js";
import { barChart } from "./spark.js";

const SYNC_MS = 30000; // how often the list of statistics is re-read
const RETRY_MAX_MS = 30000; // longest wait between reconnection attempts
const CLOCK_MS = 1000; // how often the engine time is read
const SOUND_KEY = "statkit.wallboard.sound";
const ALL = "all"; // the all-statistics view's name in ?board=
const ALERTS_KEPT = 50;
const TOASTS_SHOWN = 3;
const TOAST_MS = 15000;
const REALERT_MS = 120000; // a value that flaps across a level alerts again after this long

const ui = {
  boards: [], // GET /v1/wallboards
  view: null, // the Board or the Auto shown
  viewName: "",
  agents: null, // the Agents panel
  es: null,
  opened: false, // the stream has been open once
  retryMs: 1000,
  retryTimer: 0,
  syncSoon: 0,
  clockTimer: 0,
  clockRoute: true, // GET /v1/clock exists
  early: new Map(), // statistic id → a value that came before its definition
  closed: new Set(), // ids this page closed: a late list or value must not bring them back
  alerts: [], // [{level, text, at}], newest first
  alerted: new WeakMap(), // element → {level, wall time} of its last alert
  audio: null,
  densityFrame: 0,
};

// ---------------------------------------------------------------- views

function boardName() {
  const p = new URLSearchParams(window.location.search).get("board");
  if (p) return p;
  return ui.boards.length ? ui.boards[0].name : ALL;
}

// showView builds the view named name: a board, or the all-statistics view.
function showView(name) {
  if (ui.view) ui.view.destroy();
  ui.agents.clear();
  const board = ui.boards.find((b) => b.name === name) || null;
  ui.viewName = board ? board.name : ALL;
  document.body.dataset.view = board ? "board" : "all";
  $("#board-title").textContent = board ? board.title : "wallboard";
  document.title = board ? board.title + " · statkit" : "statkit wallboard";
  $("#all").hidden = !!board;
  $("#tables").hidden = !board;
  $("#headline").hidden = !board;
  $("#add-open").hidden = !!board;
  const sel = $("#board-select");
  sel.value = ui.viewName;
  if (board) {
    ui.view = new Board(board, { alert, openChart });
    ui.view.render();
    const a = board.agents;
    if (a) {
      ui.agents.configure(limitsFromBoard(a.states, fromServer), list(a.groups));
      for (const id of list(a.statistics)) ui.agents.add(model(id));
    }
    $("#sec-states").hidden = !a || ui.agents.size() === 0;
  } else {
    ui.view = new Auto({ agents: ui.agents, alert, openThresholds, openChart, closeStat });
    ui.agents.configure(null, null);
    for (const s of st.stats.values()) if (s.open) ui.view.add(s);
    $("#sec-states").hidden = ui.agents.size() === 0;
  }
  updateEmpty();
  scheduleDensity();
}

function fillBoardSelect() {
  const sel = $("#board-select");
  const opts = ui.boards.map((b) => [b.name, b.title || b.name]).concat([[ALL, "All statistics"]]);
  sel.replaceChildren(...opts.map(([v, label]) => {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = label;
    return o;
  }));
  sel.parentElement.hidden = ui.boards.length === 0;
}

function chooseView(name) {
  const url = new URL(window.location.href);
  if (name === (ui.boards.length ? ui.boards[0].name : ALL)) url.searchParams.delete("board");
  else url.searchParams.set("board", name);
  window.history.replaceState(null, "", url);
  showView(name);
  backfill().catch(() => {});
}

function updateEmpty() {
  const empty = ui.viewName === ALL && st.config && ui.view && ui.view.ids().length === 0 && ui.agents.size() === 0;
  $("#empty").hidden = !empty;
}

// ---------------------------------------------------------------- density

// The board fills one screen: when its parts do not fit, it gets denser (smaller
// cards and rows, no sparklines in the tables) before anything scrolls.
const DENSITIES = ["normal", "compact", "dense"];

function scheduleDensity() {
  if (ui.densityFrame) return;
  ui.densityFrame = requestAnimationFrame(() => {
    ui.densityFrame = 0;
    fitDensity();
  });
}

function overflowing() {
  const doc = document.documentElement;
  if (doc.scrollHeight > window.innerHeight + 1) return true;
  for (const el of document.querySelectorAll(".fit")) {
    if (!el.hidden && el.scrollHeight > el.clientHeight + 1) return true;
  }
  return false;
}

function fitDensity() {
  const body = document.body;
  for (const d of DENSITIES) {
    body.dataset.density = d;
    if (!overflowing()) return;
  }
}

// ---------------------------------------------------------------- statistics list

async function sync() {
  const data = await api("GET", "/v1/statistics");
  const seen = new Set();
  for (const info of list(data, "statistics")) {
    if (!info || !info.id) continue;
    const id = String(info.id);
    if (ui.closed.has(id)) continue; // a list fetched before one of our DELETEs finished
    seen.add(id);
    const s = model(id, info);
    s.open = true;
    if (ui.viewName === ALL && ui.view) ui.view.add(s);
    const early = ui.early.get(id);
    if (early) {
      ui.early.delete(id);
      setValue(s, early.value, parseTime(early.at));
    }
  }
  for (const s of st.stats.values()) {
    if (s.open && !seen.has(s.id)) {
      s.open = false;
      if (ui.viewName === ALL && ui.view) ui.view.remove(s.id);
    }
  }
  ui.early.clear();
  updateEmpty();
  scheduleDensity();
}

// refresh re-reads the boards (a config reload may have changed them, and the page then
// shows the new layout) and the list of statistics.
async function refresh() {
  let boards;
  try {
    boards = list(await api("GET", "/v1/wallboards"), "wallboards");
  } catch (err) {
    boards = ui.boards; // an older server: no boards
  }
  if (JSON.stringify(boards) !== JSON.stringify(ui.boards)) {
    applyConfig(await api("GET", "/v1/config"));
    ui.boards = boards;
    fillBoardSelect();
    await sync();
    showView(boardName());
    backfill().catch(() => {});
    return;
  }
  await sync();
}

function scheduleSync(ms) {
  if (ui.syncSoon) return;
  ui.syncSoon = setTimeout(() => {
    ui.syncSoon = 0;
    sync().catch(showError);
  }, ms);
}

// backfill puts the values the server kept before the page's own, so that sparklines
// show the last minutes at once.
async function backfill() {
  let data;
  try {
    const ids = ui.view ? ui.view.ids() : [];
    if (ids.length === 0) return;
    const q = ids.length > 400 ? "" : "?" + ids.map((id) => "statistic=" + encodeURIComponent(id)).join("&");
    data = await api("GET", "/v1/trends" + q);
  } catch (err) {
    return; // an older server: sparklines start from now
  }
  if (data && data.at) learnTime(parseTime(data.at));
  for (const series of list(data && data.series)) {
    const s = st.stats.get(String(series.statistic));
    if (s) mergeTrend(s, list(series.points));
  }
  if (ui.view) ui.view.scheduleSparks();
}

// peek reads one statistic's value (when the stream has not sent it).
async function peek(id) {
  const v = await api("GET", "/v1/statistics/" + encodeURIComponent(id));
  const s = st.stats.get(id);
  if (s && v && "value" in v) {
    if (v.at) learnTime(parseTime(v.at));
    setValue(s, v.value, parseTime(v.at));
  }
}

// ---------------------------------------------------------------- stream

function setConn(state, label) {
  const el = $("#conn");
  if (el.dataset.state === state) return;
  el.dataset.state = state;
  $("#conn-label").textContent = label;
}

// streamURL is the stream's address: with a token, through a single-use ticket
// (EventSource cannot send a bearer token).
async function streamURL() {
  if (!st.token) return "/v1/stream";
  const t = await api("POST", "/v1/stream/ticket");
  if (t && typeof t.stream === "string") return t.stream;
  return "/v1/stream?ticket=" + encodeURIComponent((t && t.ticket) || "");
}

async function connect() {
  clearTimeout(ui.retryTimer);
  if (ui.es) ui.es.close();
  let url;
  try {
    url = await streamURL();
  } catch (err) {
    retryLater(err);
    return;
  }
  const es = new EventSource(url);
  ui.es = es;
  es.addEventListener("open", () => {
    if (ui.es !== es) return;
    ui.retryMs = 1000;
    setConn("live", "Live");
    hideError();
    // After a reconnection the server may have restarted: statistics opened through
    // the API are gone, new ones may exist.
    if (ui.opened) {
      ui.closed.clear();
      sync().catch(() => {});
    }
    ui.opened = true;
    setTimeout(() => { // a statistic the stream has not sent (notification "none") is peeked
      if (ui.es !== es) return;
      for (const s of st.stats.values()) if (s.open && s.value === undefined) peek(s.id).catch(() => {});
    }, 3000);
  });
  es.addEventListener("value", (ev) => {
    if (ui.es !== es) return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (!msg || msg.statistic === undefined) return;
    const at = parseTime(msg.at);
    learnTime(at);
    const id = String(msg.statistic);
    if (ui.closed.has(id)) return; // sent before our DELETE was applied
    const s = st.stats.get(id);
    if (s && s.open) {
      setValue(s, msg.value === undefined ? null : msg.value, at);
    } else {
      ui.early.set(id, msg); // opened elsewhere, or just now: learn about it
      scheduleSync(300);
    }
  });
  es.addEventListener("closed", (ev) => {
    if (ui.es !== es) return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    const s = msg && st.stats.get(String(msg.statistic));
    if (s) {
      s.open = false;
      if (ui.viewName === ALL && ui.view) ui.view.remove(s.id);
      updateEmpty();
    }
  });
  es.addEventListener("error", () => {
    if (ui.es !== es) return;
    setConn("reconnecting", "Reconnecting…");
    // A ticket opens one stream: with a token, every reconnection needs a new one. The
    // browser gave up (HTTP error, wrong content type): retry ourselves.
    if (st.token || es.readyState === EventSource.CLOSED) {
      es.close();
      retryLater();
    }
  });
}

function retryLater(err) {
  if (err) showError(err);
  setConn(err ? "offline" : "reconnecting", err ? "Offline" : "Reconnecting…");
  clearTimeout(ui.retryTimer);
  ui.retryTimer = setTimeout(() => { init().catch(() => {}); }, ui.retryMs);
  ui.retryMs = Math.min(RETRY_MAX_MS, ui.retryMs * 2);
}

// ---------------------------------------------------------------- engine clock

function showClock(now) {
  const el = $("#clock");
  el.textContent = clockText(now);
  el.dateTime = new Date(now).toISOString();
}

// pollClock reads the engine time every second: the clock shows it, and times in state
// count with it, so that a frozen engine shows a frozen clock.
async function pollClock() {
  clearTimeout(ui.clockTimer);
  if (ui.clockRoute && !document.hidden && st.config) {
    try {
      const c = await api("GET", "/v1/clock", undefined, { noPrompt: true });
      if (c && c.at) learnTime(parseTime(c.at));
    } catch (err) {
      if (err.status === 404) ui.clockRoute = false; // an older server: frames' times only
    }
  }
  ui.clockTimer = setTimeout(pollClock, CLOCK_MS);
}

// ---------------------------------------------------------------- alerts

// alert tells that a value crossed a level: a toast, an entry in the alerts list, the
// element flashing, and a sound when it is on. An element that flaps across the same
// level alerts once in REALERT_MS.
function alert(level, text, el) {
  if (el) {
    const last = ui.alerted.get(el);
    if (last && LEVEL_RANK[last.level] >= LEVEL_RANK[level] && Date.now() - last.wall < REALERT_MS) return;
    ui.alerted.set(el, { level, wall: Date.now() });
  }
  const at = isFinite(st.now) ? st.now : Date.now();
  ui.alerts.unshift({ level, text, at });
  ui.alerts.length = Math.min(ui.alerts.length, ALERTS_KEPT);
  const count = $("#alerts-count");
  count.textContent = String(ui.alerts.length);
  count.hidden = false;
  if (el) {
    el.classList.remove("alerting");
    void el.offsetWidth; // restart the animation
    el.classList.add("alerting");
    setTimeout(() => el.classList.remove("alerting"), 10000);
  }
  const toasts = $("#toasts");
  const t = document.createElement("div");
  t.className = "toast";
  t.dataset.level = level;
  const time = document.createElement("time");
  time.textContent = clockText(at);
  const msg = document.createElement("span");
  msg.textContent = text;
  t.append(time, msg);
  toasts.prepend(t);
  while (toasts.childElementCount > TOASTS_SHOWN) toasts.lastElementChild.remove();
  setTimeout(() => t.remove(), TOAST_MS);
  if (level === "crit") beep(2);
  else if (level === "warn") beep(1);
}

function soundOn() {
  try { return window.localStorage.getItem(SOUND_KEY) === "on"; } catch (e) { return false; }
}

function showSound() {
  const on = soundOn();
  const b = $("#sound");
  b.setAttribute("aria-pressed", on ? "true" : "false");
  b.title = on ? "Sound on alerts: on" : "Sound on alerts: off";
  b.dataset.on = on ? "true" : "false";
}

function toggleSound() {
  const on = !soundOn();
  try { window.localStorage.setItem(SOUND_KEY, on ? "on" : "off"); } catch (e) { /* for this page only */ }
  showSound();
  if (on) beep(1); // also unlocks audio: browsers allow it after a click
}

// audio returns the page's audio context. Browsers start one created without a user
// gesture suspended: a wallboard that reopens with sound on plays from the first click or
// key press on it (unlockAudio).
function audio() {
  if (!ui.audio) ui.audio = new (window.AudioContext || window.webkitAudioContext)();
  return ui.audio;
}

function unlockAudio() {
  if (soundOn() && (!ui.audio || ui.audio.state === "suspended")) {
    try { audio().resume().catch(() => {}); } catch (e) { /* no audio */ }
  }
}

// beep plays n short tones, when sound is on (off by default).
function beep(n) {
  if (!soundOn()) return;
  try {
    const ctx = audio();
    for (let i = 0; i < n; i++) {
      const o = ctx.createOscillator(), g = ctx.createGain();
      const t0 = ctx.currentTime + i * 0.25;
      o.frequency.value = n > 1 ? 880 : 660;
      g.gain.setValueAtTime(0.0001, t0);
      g.gain.exponentialRampToValueAtTime(0.2, t0 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.18);
      o.connect(g).connect(ctx.destination);
      o.start(t0);
      o.stop(t0 + 0.2);
    }
  } catch (e) {
    // no audio: the visual alert stays
  }
}

function openAlerts() {
  const ul = $("#alerts-list");
  ul.replaceChildren(...ui.alerts.map((a) => {
    const li = document.createElement("li");
    li.dataset.level = a.level;
    const time = document.createElement("time");
    time.textContent = clockText(a.at);
    li.append(time, " " + a.text);
    return li;
  }));
  $("#alerts-none").hidden = ui.alerts.length > 0;
  $("#alerts-dialog").showModal();
}

// ---------------------------------------------------------------- bar chart of a day

async function openChart(def, s, thresholds, label) {
  const dlg = $("#chart-dialog");
  $("#chart-title").textContent = label;
  $("#chart-sub").textContent = humanize(def.statType) + (def.object ? " · " + (TYPE_LABEL[def.object.type] || def.object.type) + " " + def.object.id : "");
  const body = $("#chart-body");
  const note = $("#chart-note");
  body.replaceChildren();
  note.textContent = "Reading the intervals…";
  dlg.showModal();
  const to = isFinite(st.now) ? st.now : Date.now();
  const midnight = new Date(to);
  midnight.setHours(0, 0, 0, 0);
  const from = Math.min(midnight.getTime(), to - 3600e3);
  const q = new URLSearchParams({ from: new Date(from).toISOString(), to: new Date(to).toISOString() });
  if (def.history) {
    q.append("statistic", def.history);
  } else {
    q.append("statType", def.statType);
    q.append("objectType", def.object.type);
    q.append("objectId", def.object.id);
  }
  let data;
  try {
    data = await api("GET", "/v1/history?" + q.toString());
  } catch (err) {
    note.textContent = err.status === 404 && !def.history
      ? "This server keeps no history."
      : "No history: " + err.message;
    return;
  }
  const series = list(data && data.series);
  const pick = series.find((x) => x.statistic === def.history) || series.find((x) => x.profile === def.profile) || series[0];
  if (!pick || !list(pick.intervals).length) {
    note.textContent = "No interval of " + label + " is recorded today. History records statistics whose notification mode is reset (a Growing profile's intervals).";
    return;
  }
  const unit = unitOf(s);
  const intervals = list(pick.intervals).map((iv) => ({ start: parseTime(iv.start), end: parseTime(iv.end), value: typeof iv.value === "number" ? iv.value : null }));
  const svg = barChart(intervals, unit, thresholds, (v) => levelOf(v, thresholds));
  svg.setAttribute("aria-label", label + ": " + intervals.length + " intervals");
  body.append(svg);
  const last = intervals[intervals.length - 1];
  note.textContent = intervals.length + " intervals of " + pick.statistic + " (profile " + pick.profile + ")" +
    (last && last.value !== null ? "; the last: " + formatLevel(last.value, unit) : "") + (data.truncated ? "; truncated" : "");
}

// ---------------------------------------------------------------- errors

function showError(err) {
  const b = $("#banner");
  b.textContent = "Cannot reach the statkit server: " + ((err && err.message) || err) + ". Retrying…";
  b.hidden = false;
}

function hideError() { $("#banner").hidden = true; }

// ---------------------------------------------------------------- token

// askToken shows the token dialog and resolves with the token entered ("" on cancel).
function askToken(why) {
  return new Promise((resolve) => {
    const dlg = $("#token-dialog");
    const input = $("#token-input");
    const err = $("#token-error");
    err.textContent = why || "";
    err.hidden = !why;
    input.value = "";
    const done = (t) => {
      dlg.removeEventListener("close", onClose);
      $("#token-form").removeEventListener("submit", onSubmit);
      resolve(t);
    };
    const onSubmit = (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!t) return;
      dlg.close("ok");
      done(t);
    };
    const onClose = () => {
      if (dlg.returnValue !== "ok") done("");
    };
    dlg.returnValue = "";
    $("#token-form").addEventListener("submit", onSubmit);
    dlg.addEventListener("close", onClose);
    if (!dlg.open) dlg.showModal();
    input.focus();
  });
}

// ---------------------------------------------------------------- close

async function closeStat(s) {
  ui.closed.add(s.id);
  try {
    await api("DELETE", "/v1/statistics/" + encodeURIComponent(s.id));
  } catch (err) {
    if (err.status !== 404) {
      ui.closed.delete(s.id);
      showError(err);
      return;
    }
  }
  s.open = false;
  if (ui.view && ui.viewName === ALL) {
    ui.view.remove(s.id);
    ui.view.setThreshold(s, null);
  }
  updateEmpty();
}

// ---------------------------------------------------------------- add dialog

function fillSelect(sel, options, keep) {
  const prev = keep ? sel.value : "";
  sel.replaceChildren();
  for (const o of options) {
    const opt = document.createElement("option");
    opt.value = o.value;
    opt.textContent = o.label;
    sel.append(opt);
  }
  if (prev && options.some((o) => o.value === prev)) sel.value = prev;
}

function openAdd() {
  const cfg = st.config || {};
  const types = Array.from(st.statTypes.values()).sort((a, b) => natCompare(a.name, b.name));
  fillSelect($("#f-stattype"), types.map((t) => ({
    value: t.name, label: humanize(t.name) + "  —  " + humanize(t.category || ""),
  })), true);
  const option = (x, detail) => (typeof x === "string" ? { value: x, label: x }
    : { value: x.name, label: detail(x) ? x.name + " (" + detail(x) + ")" : x.name });
  const profiles = list(cfg.profiles, "profiles").filter((p) => p && (typeof p === "string" || p.name));
  fillSelect($("#f-profile"), (profiles.length ? profiles : ["Default"]).map((p) => option(p, (x) => x.type)), true);
  fillSelect($("#f-timerange"), [{ value: "", label: "Default" }].concat(
    list(cfg.timeRanges, "timeRanges").filter((r) => r && (typeof r === "string" || r.name)).map((r) =>
      option(r, (x) => (x.lo !== undefined && x.hi !== undefined ? x.lo + "–" + x.hi + " s" : "")))), true);
  fillSelect($("#f-filter"), [{ value: "", label: "None" }].concat(
    list(cfg.filters, "filters").filter((f) => f && (typeof f === "string" || f.name)).map((f) => option(f, () => ""))), true);
  onStatTypeChange();
  $("#add-error").hidden = true;
  $("#add-dialog").showModal();
}

function objectsOfType(type) {
  const objects = (st.config && st.config.objects) || {};
  return list(objects[type]).map((o) => (typeof o === "string" ? { id: o } : o)).filter((o) => o && o.id);
}

function onStatTypeChange() {
  const t = st.statTypes.get($("#f-stattype").value);
  $("#f-stattype-desc").textContent = t ? (t.description || "") : "";
  const types = t ? list(t.objects) : [];
  fillSelect($("#f-objtype"), types.map((ty) => ({ value: ty, label: TYPE_LABEL[ty] || ty })), true);
  onObjectTypeChange();
}

function onObjectTypeChange() {
  const objs = objectsOfType($("#f-objtype").value).slice().sort((a, b) => natCompare(a.id, b.id));
  fillSelect($("#f-objid"), objs.map((o) => ({
    value: o.id, label: o.name && o.name !== o.id ? o.name + " (" + o.id + ")" : o.id,
  })), true);
}

async function submitAdd(ev) {
  ev.preventDefault();
  const body = {
    statType: $("#f-stattype").value,
    object: { type: $("#f-objtype").value, id: $("#f-objid").value },
  };
  const profile = $("#f-profile").value;
  if (profile) body.profile = profile;
  const tr = $("#f-timerange").value;
  if (tr) body.timeRange = tr;
  const filter = $("#f-filter").value;
  if (filter) body.filter = filter;
  const errEl = $("#add-error");
  if (!body.statType || !body.object.type || !body.object.id) {
    errEl.textContent = "Choose a stat type and an object.";
    errEl.hidden = false;
    return;
  }
  const btn = $("#add-submit");
  btn.disabled = true;
  try {
    const res = await api("POST", "/v1/statistics", body);
    const id = res && res.id !== undefined ? String(res.id) : "";
    if (!id) throw new Error("the server answered without an id");
    const s = model(id, body);
    s.open = true;
    if (ui.view && ui.viewName === ALL) ui.view.add(s);
    updateEmpty();
    $("#add-dialog").close();
    const el = document.querySelector(`[data-stat="${CSS.escape(id)}"]`);
    if (el) el.scrollIntoView({ block: "nearest", behavior: "smooth" });
    // The stream sends the values of statistics opened after it started; peek in case
    // its first value came before this tile existed.
    if (s.value === undefined) await peek(id).catch(() => {});
  } catch (err) {
    errEl.textContent = err.message || String(err);
    errEl.hidden = false;
  } finally {
    btn.disabled = false;
  }
}

// ---------------------------------------------------------------- threshold dialog

let thrStat = null;

function openThresholds(s) {
  thrStat = s;
  const view = ui.view;
  const t = view.thresholdOf(s) || { dir: "off", warn: "", crit: "" };
  const own = view.thresholds[s.id];
  $("#t-dir").value = own && own.dir === "off" ? "off" : t.dir;
  const show = (v) => (v === "" || v === undefined || !isFinite(v) ? "" : String(v));
  $("#t-warn").value = show(t.warn);
  $("#t-crit").value = show(t.crit);
  const u = s.unit === "time" ? "(seconds)" : s.unit === "percent" ? "(%)" : "";
  $("#t-unit-w").textContent = u;
  $("#t-unit-c").textContent = u;
  $("#thr-subject").textContent = statLabel(s);
  syncThrInputs();
  $("#thr-dialog").showModal();
}

function syncThrInputs() {
  const off = $("#t-dir").value === "off";
  $("#t-warn").disabled = off;
  $("#t-crit").disabled = off;
}

function submitThresholds(ev) {
  ev.preventDefault();
  const s = thrStat;
  if (!s || !(ui.view instanceof Auto)) return;
  const dir = $("#t-dir").value;
  const num = (v) => (v === "" ? NaN : Number(v));
  ui.view.setThreshold(s, dir === "off" ? { dir: "off" } : { dir, warn: num($("#t-warn").value), crit: num($("#t-crit").value) });
  $("#thr-dialog").close();
}

function resetThresholds() {
  if (thrStat && ui.view instanceof Auto) ui.view.setThreshold(thrStat, null);
  $("#thr-dialog").close();
}

// ---------------------------------------------------------------- start

async function init() {
  setConn(ui.es ? "reconnecting" : "connecting", ui.es ? "Reconnecting…" : "Connecting…");
  try {
    applyConfig(await api("GET", "/v1/config"));
    let boards = [];
    try {
      boards = list(await api("GET", "/v1/wallboards"), "wallboards");
    } catch (err) {
      if (err.status !== 404) throw err; // an older server: no boards
    }
    const changed = JSON.stringify(boards) !== JSON.stringify(ui.boards) || !ui.view;
    ui.boards = boards;
    fillBoardSelect();
    await sync();
    if (changed) showView(boardName());
    hideError();
    backfill().catch(() => {});
  } catch (err) {
    retryLater(err);
    return;
  }
  connect();
}

function wire() {
  setTokenPrompt(askToken);
  ui.agents = new Agents({ alert, closeStat: (s) => closeStat(s) });
  onClock(showClock);
  $("#board-select").addEventListener("change", (ev) => chooseView(ev.target.value));
  $("#add-open").addEventListener("click", openAdd);
  $("#add-cancel").addEventListener("click", () => $("#add-dialog").close());
  $("#add-form").addEventListener("submit", submitAdd);
  $("#f-stattype").addEventListener("change", onStatTypeChange);
  $("#f-objtype").addEventListener("change", onObjectTypeChange);
  $("#thr-form").addEventListener("submit", submitThresholds);
  $("#thr-cancel").addEventListener("click", () => $("#thr-dialog").close());
  $("#thr-reset").addEventListener("click", resetThresholds);
  $("#t-dir").addEventListener("change", syncThrInputs);
  $("#token-cancel").addEventListener("click", () => $("#token-dialog").close("cancel"));
  $("#token-forget").addEventListener("click", () => {
    setToken("");
    window.location.reload();
  });
  $("#chart-close").addEventListener("click", () => $("#chart-dialog").close());
  $("#alerts-open").addEventListener("click", openAlerts);
  $("#alerts-close").addEventListener("click", () => $("#alerts-dialog").close());
  $("#alerts-clear").addEventListener("click", () => {
    ui.alerts = [];
    $("#alerts-count").hidden = true;
    $("#alerts-dialog").close();
  });
  $("#sound").addEventListener("click", toggleSound);
  document.addEventListener("pointerdown", unlockAudio, { passive: true });
  document.addEventListener("keydown", unlockAudio);
  showSound();
  const fs = $("#fullscreen");
  if (!document.fullscreenEnabled) fs.hidden = true;
  fs.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  window.addEventListener("resize", scheduleDensity);
  setInterval(scheduleDensity, 5000); // values and states change the heights too
  setInterval(() => { if (st.config) refresh().catch(() => {}); }, SYNC_MS);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) pollClock(); });
  pollClock();
}

wire();
init();
