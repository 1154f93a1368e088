// statkit wallboard: the state shared by the views — the config, the open statistics and
// their values and recent points, the engine clock — and the API client (with the
// session's bearer token, when the server wants one).

import { UNITS, unitOfCategory } from "./format.js";

export const TOKEN_KEY = "statkit.wallboard.token"; // sessionStorage: the browser session
export const TREND_WINDOW_MS = 30 * 60 * 1000; // what a sparkline shows, in engine time
const POINTS_MAX = 1500; // points kept per statistic

export const st = {
  config: null,
  statTypes: new Map(), // name → stat type from /v1/config
  names: new Map(), // "Type/id" → display name
  groups: new Map(), // agent group id → Set of agent ids
  stats: new Map(), // statistic id → model (see model)
  listeners: new Map(), // statistic id → Set of functions called when its value changes
  clockListeners: new Set(), // functions called when the engine time moves
  now: NaN, // the engine time, ms since the epoch (NaN before it is known)
  token: readToken(),
  tokenPrompt: null, // a pending token prompt (a Promise), so that one is asked at a time
};

export const $ = (sel, root) => (root || document).querySelector(sel);

function readToken() {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (e) {
    return "";
  }
}

export function setToken(t) {
  st.token = t || "";
  try {
    if (t) window.sessionStorage.setItem(TOKEN_KEY, t);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // storage disabled: the token lasts for this page only
  }
}

export function objKey(o) { return (o && o.type) + "/" + (o && o.id); }

export function objName(o) {
  return st.names.get(objKey(o)) || (o && o.id) || "?";
}

// ---------------------------------------------------------------- HTTP

// askToken is set by the page: it asks the user for a token and resolves with it, or
// with "" when the user gives up.
let askToken = async () => "";
export function setTokenPrompt(fn) { askToken = fn; }

// api calls the JSON API. With a token, it is sent as a bearer token; a 401 asks the
// user for one (once, whoever asked) and tries again.
export async function api(method, path, body, opts) {
  for (let attempt = 0; ; attempt++) {
    const init = { method, headers: { Accept: "application/json" } };
    if (st.token) init.headers.Authorization = "Bearer " + st.token;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = text; }
    }
    if (res.status === 401 && attempt < 3 && !(opts && opts.noPrompt)) {
      if (await promptToken(st.token ? "The token was refused." : "")) continue;
    }
    if (!res.ok) {
      const msg = data && typeof data === "object"
        ? (data.error && (data.error.message || data.error)) || data.message || JSON.stringify(data)
        : (data || res.statusText);
      const err = new Error(typeof msg === "string" ? msg : JSON.stringify(msg));
      err.status = res.status;
      throw err;
    }
    return data;
  }
}

// promptToken asks for a token (one prompt at a time) and reports whether one was given.
export async function promptToken(why) {
  if (!st.tokenPrompt) {
    st.tokenPrompt = askToken(why).finally(() => { st.tokenPrompt = null; });
  }
  const t = await st.tokenPrompt;
  if (!t) return false;
  setToken(t);
  return true;
}

// list returns the array in a response that is an array or wraps one.
export function list(data, key) {
  if (Array.isArray(data)) return data;
  if (data && key && Array.isArray(data[key])) return data[key];
  return [];
}

// ---------------------------------------------------------------- config

export function applyConfig(cfg) {
  st.config = cfg || {};
  st.statTypes.clear();
  for (const t of list(cfg && cfg.statTypes, "statTypes")) {
    if (t && t.name) st.statTypes.set(t.name, t);
  }
  st.names.clear();
  st.groups.clear();
  const objects = (cfg && cfg.objects) || {};
  for (const type of Object.keys(objects)) {
    for (const o of list(objects[type])) {
      const id = typeof o === "string" ? o : o && o.id;
      const name = o && typeof o === "object" && o.name;
      if (id && name && name !== id) st.names.set(type + "/" + id, name);
      if (type === "GroupAgents" && id) st.groups.set(id, new Set(list(o.members)));
    }
  }
  for (const s of st.stats.values()) s.unit = unitOf(s);
}

// unitOf tells how a statistic's values read: the board's unit for it, else its stat
// type's, else its category's.
export function unitOf(s) {
  if (s.boardUnit && UNITS[s.boardUnit]) return UNITS[s.boardUnit];
  const t = st.statTypes.get(s.statType);
  if (t && UNITS[t.unit] && t.unit !== "custom") return UNITS[t.unit];
  return unitOfCategory(t ? t.category : s.category);
}

export function categoryOf(s) {
  const t = st.statTypes.get(s.statType);
  return t ? String(t.category || "") : String(s.category || "");
}

// ---------------------------------------------------------------- statistics

// model returns the model of statistic id, creating it from info ({statType, object,
// profile, timeRange, filter}) when it does not exist yet.
export function model(id, info) {
  let s = st.stats.get(id);
  if (!s) {
    s = { id, statType: "", object: { type: "", id: "" }, profile: "", timeRange: "", filter: "", category: "",
      value: undefined, at: NaN, points: [], unit: "count", open: false, boardUnit: "" };
    st.stats.set(id, s);
  }
  if (info) {
    if (info.statType) s.statType = info.statType;
    if (info.object) s.object = info.object;
    if (info.profile !== undefined) s.profile = info.profile || "";
    if (info.timeRange !== undefined) s.timeRange = typeof info.timeRange === "string" ? info.timeRange : (info.timeRange && info.timeRange.name) || "";
    if (info.filter !== undefined) s.filter = info.filter || "";
    if (info.category) s.category = info.category;
    s.unit = unitOf(s);
  }
  return s;
}

// onValue calls fn(model) whenever statistic id's value changes; it returns the function
// that stops it.
export function onValue(id, fn) {
  let set = st.listeners.get(id);
  if (!set) st.listeners.set(id, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

// onClock calls fn(now) whenever the engine time moves.
export function onClock(fn) {
  st.clockListeners.add(fn);
  return () => st.clockListeners.delete(fn);
}

// numberOf returns a value as a number, or null for an undefined or structured one.
function numberOf(v) {
  return typeof v === "number" && isFinite(v) ? v : null;
}

// setValue records a statistic's new value at engine time at (ms; NaN when unknown).
export function setValue(s, value, at) {
  s.value = value;
  if (!isNaN(at)) s.at = at;
  if (value === null || typeof value !== "object") addPoint(s, isNaN(at) ? st.now : at, numberOf(value));
  const set = st.listeners.get(s.id);
  if (set) for (const fn of set) fn(s);
}

// addPoint appends [t, v] to a statistic's points (v null: undefined), keeping them in
// time order without repeats.
export function addPoint(s, t, v) {
  if (!isFinite(t)) t = 0;
  const pts = s.points;
  const last = pts[pts.length - 1];
  if (last && t < last[0]) t = last[0];
  if (last && last[1] === v) return;
  if (last && last[0] === t) {
    last[1] = v;
  } else {
    pts.push([t, v]);
  }
  if (pts.length > POINTS_MAX) pts.splice(0, pts.length - POINTS_MAX);
}

// mergeTrend puts the points the server kept (GET /v1/trends) before the ones this page
// has: those older than the page's first point.
export function mergeTrend(s, points) {
  const mine = s.points;
  const first = mine.length ? mine[0][0] : Infinity;
  const older = [];
  for (const p of points) {
    if (Array.isArray(p) && typeof p[0] === "number" && p[0] < first) older.push([p[0], typeof p[1] === "number" ? p[1] : null]);
  }
  s.points = older.concat(mine);
}

// learnTime moves the engine time forward to at (ms); a jump back of more than a minute
// (a restarted server or replay) is taken too.
export function learnTime(at) {
  if (!isFinite(at)) return;
  if (isNaN(st.now) || at > st.now || at < st.now - 60000) {
    st.now = at;
    for (const fn of st.clockListeners) fn(at);
  }
}

export function parseTime(s) {
  if (typeof s !== "string") return NaN;
  return Date.parse(s);
}
