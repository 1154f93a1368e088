// statkit wallboard: how values read — units, numbers, durations, names — and how
// thresholds colour them. No state, no DOM.

// UNITS maps the server's unit names (GET /v1/config statTypes[].unit, GET /v1/wallboards
// tiles[].unit) to how a value reads here: "time" (seconds), "percent", "ratio"
// (fractional), "count" or "state".
export const UNITS = {
  seconds: "time", percent: "percent", ratio: "ratio", rate: "ratio", custom: "ratio",
  count: "count", structured: "state",
};

// unitOfCategory tells how a category's values read, from its name, when the server
// gives no unit.
export function unitOfCategory(category) {
  const c = String(category || "");
  if (/^CurrentState|CurrentTargetState/.test(c)) return "state";
  if (/Percentage$/.test(c) || c === "ServiceFactor1") return "percent";
  if (/Time$/.test(c) || /TimeInTimeRange$/.test(c)) return "time";
  if (c === "TotalNumberPerSecond" || c === "RelativeNumber" || c === "AverageOfCurrentNumber" ||
      /CustomValue$/.test(c) || c === "Formula") return "ratio";
  return "count";
}

export function pad2(n) { return n < 10 ? "0" + n : String(n); }

// formatDuration formats seconds as m:ss or h:mm:ss.
export function formatDuration(sec) {
  if (typeof sec !== "number" || !isFinite(sec)) return "–";
  const neg = sec < 0;
  let s = Math.floor(Math.abs(sec));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = h > 0 ? h + ":" + pad2(m) + ":" + pad2(s) : m + ":" + pad2(s);
  return neg ? "-" + out : out;
}

const intFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const pctFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

// formatValue returns [text, unit suffix] for a value: "–" when it is undefined (null,
// a ratio of nothing) or not a number.
export function formatValue(v, unit) {
  if (typeof v !== "number" || !isFinite(v)) return ["–", ""];
  switch (unit) {
    case "time": return [formatDuration(v), ""];
    case "percent": return [Math.abs(v) >= 10 || Number.isInteger(v) ? intFmt.format(v) : pctFmt.format(v), "%"];
    case "ratio": return [decFmt.format(v), ""];
    default: return [intFmt.format(v), ""];
  }
}

// formatLevel formats a threshold level of a unit, for notes ("80 %", "1:30", "4").
export function formatLevel(v, unit) {
  const [text, suffix] = formatValue(v, unit);
  return suffix ? text + " " + suffix : text;
}

// humanize turns "AgentsInACW" into "Agents in ACW".
export function humanize(name) {
  const words = String(name)
    .replace(/_/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/\s+/).filter(Boolean);
  return words.map((w, i) => {
    if (/^[A-Z0-9]+$/.test(w) && w.length > 1) return w; // acronym
    return i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w.toLowerCase();
  }).join(" ");
}

export function natCompare(a, b) {
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

// clockText formats an engine time (ms since the epoch) as the local HH:MM:SS.
export function clockText(ms) {
  const d = new Date(ms);
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
}

// ---------------------------------------------------------------- thresholds

// Thresholds are {dir: "above"|"below", warn, crit}: NaN levels are unused. The server's
// {warn, alarm, direction} and the browser's own (kept per tile in the all-statistics
// view) both become this.

// fromServer converts GET /v1/wallboards thresholds: null stays null (none configured),
// {} without levels is off ({dir: "off"}).
export function fromServer(t) {
  if (!t) return null;
  const num = (v) => (typeof v === "number" && isFinite(v) ? v : NaN);
  const warn = num(t.warn), crit = num(t.alarm);
  if (isNaN(warn) && isNaN(crit)) return { dir: "off" };
  return { dir: t.direction === "below" ? "below" : "above", warn, crit };
}

// guessThreshold guesses levels from the category, the stat type's name and the unit,
// for a value that has none configured: {dir, warn, crit} or null for no colouring.
export function guessThreshold(category, statType, unit) {
  const cat = String(category || "");
  const name = String(statType || "").toLowerCase();
  const wait = /wait|queue|queued/.test(name);
  if (unit === "percent") {
    if (/abandon|drop|lost/.test(name)) return { dir: "above", warn: 5, crit: 10 };
    if (/service|level|sla|answer|sf/.test(name) || cat === "ServiceFactor1" ||
        /InTimeRangePercentage$/.test(cat)) return { dir: "below", warn: 80, crit: 60 };
    return null;
  }
  if (unit === "time") {
    if (wait && /^Current(Max)?Time$|^CurrentContinuousTime$/.test(cat)) return { dir: "above", warn: 60, crit: 120 };
    if (wait && /longest|oldest|max/.test(name)) return { dir: "above", warn: 60, crit: 120 };
    if (wait && /Average/.test(cat)) return { dir: "above", warn: 30, crit: 60 };
    return null;
  }
  if (unit === "count" && wait && /^Current(Number|DistinctNumber)$/.test(cat)) {
    return { dir: "above", warn: 5, crit: 10 };
  }
  return null;
}

// levelOf returns "none" (no colouring, or no number), "ok", "warn" or "crit". A value
// at a level has not crossed it.
export function levelOf(v, t) {
  if (typeof v !== "number" || !isFinite(v) || !t || t.dir === "off") return "none";
  const worse = t.dir === "below" ? (a, b) => a < b : (a, b) => a > b;
  if (isFinite(t.crit) && worse(v, t.crit)) return "crit";
  if (isFinite(t.warn) && worse(v, t.warn)) return "warn";
  return "ok";
}

export const LEVEL_RANK = { none: 0, ok: 0, warn: 1, crit: 2 };

// targetNote describes the good side of thresholds for a tile's note: "target ≥ 80 %".
export function targetNote(t, unit) {
  if (!t || t.dir === "off") return "";
  const level = isFinite(t.warn) ? t.warn : t.crit;
  if (!isFinite(level)) return "";
  return (t.dir === "below" ? "target ≥ " : "target ≤ ") + formatLevel(level, unit);
}

// ---------------------------------------------------------------- agent states

// STATUS maps agent statuses (action names) to a display class and label.
export const STATUS = {
  WaitForNextCall: ["ready", "Ready"],
  CallInbound: ["talking", "Talking"],
  CallOutbound: ["talking", "Outbound call"],
  CallInternal: ["talking", "Internal call"],
  CallConsult: ["talking", "Consult"],
  CallUnknown: ["talking", "On a call"],
  ASM_Engaged: ["talking", "Outbound (ASM)"],
  ASM_Outbound: ["talking", "Outbound (ASM)"],
  CallOnHold: ["hold", "On hold"],
  CallRinging: ["ringing", "Ringing"],
  CallDialing: ["ringing", "Dialing"],
  AfterCallWork: ["acw", "After-call work"],
  NotReadyForNextCall: ["notready", "Not ready"],
  LoggedOut: ["loggedout", "Logged out"],
  NotMonitored: ["loggedout", "Not monitored"],
  LoggedIn: ["idle", "Logged in"],
  Monitored: ["idle", "Monitored"],
  OnHook: ["idle", "On hook"],
  OffHook: ["idle", "Off hook"],
};

// SUMMARY lists the status classes in the order the summary and the state sort use.
export const SUMMARY = [
  ["ready", "Ready"], ["ringing", "Ringing"], ["talking", "Talking"], ["hold", "On hold"],
  ["acw", "ACW"], ["notready", "Not ready"], ["idle", "Other"], ["loggedout", "Logged out"],
  ["unknown", "No state"],
];

// DEFAULT_STATES are the time-in-state thresholds (seconds) of a board that gives none:
// the first entry whose statuses (and reason, when it has one) match applies.
export const DEFAULT_STATES = [
  { statuses: ["NotReadyForNextCall"], reason: "Lunch", t: { dir: "above", warn: 2700, crit: 3600 } },
  { statuses: ["NotReadyForNextCall"], t: { dir: "above", warn: 900, crit: 1200 } },
  { statuses: ["CallInbound", "CallOutbound", "CallInternal", "CallConsult", "CallUnknown"], t: { dir: "above", warn: 480, crit: 660 } },
  { statuses: ["CallOnHold"], t: { dir: "above", warn: 120, crit: 300 } },
  { statuses: ["AfterCallWork"], t: { dir: "above", warn: 120, crit: 300 } },
  { statuses: ["CallRinging", "CallDialing"], t: { dir: "above", warn: 20, crit: 40 } },
];

// stateLimit returns the thresholds of a status and reason in a list of state limits.
export function stateLimit(limits, status, reason) {
  for (const l of limits) {
    if (!l.statuses.includes(status)) continue;
    if (l.reason && l.reason !== reason) continue;
    return l.t;
  }
  return null;
}
