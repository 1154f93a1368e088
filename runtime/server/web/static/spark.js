// statkit wallboard: sparklines over engine time, and the bar chart of a statistic's
// intervals. No state; SVG built with the DOM (never from markup strings).

import { formatLevel, pad2 } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";

// MIN_SPAN is the smallest vertical range a sparkline spreads its values over, per unit:
// a count that flips between 0 and 1 draws a low step, not a full-height bar.
const MIN_SPAN = { count: 4, percent: 10, time: 30, ratio: 1 };

// sparkPaths draws points ([t, v] pairs, t in ms, v a number or null for undefined, in
// time order) over the window [from, to] into a W×H box: {line, area} path data. The
// value at from is the last point at or before it. Counts are drawn as steps (a value
// holds until the next one); other units as lines between the values. Undefined values
// leave a gap. Empty strings when nothing falls in the window.
export function sparkPaths(points, from, to, unit, W = 100, H = 32) {
  const span = Math.max(1, to - from);
  const top = 2, bottom = H - 2;
  // The values in the window, the one in force at its start first.
  const pts = [];
  let i = 0;
  while (i < points.length && points[i][0] <= from) i++;
  if (i > 0) pts.push([from, points[i - 1][1]]);
  for (; i < points.length && points[i][0] <= to; i++) pts.push(points[i]);
  const defined = pts.filter((p) => typeof p[1] === "number" && isFinite(p[1]));
  if (defined.length === 0) return { line: "", area: "" };
  let lo = Math.min(...defined.map((p) => p[1]));
  let hi = Math.max(...defined.map((p) => p[1]));
  // Counts and times grow from 0; percentages and ratios spread over their own range.
  if (unit === "count" || unit === "time") lo = Math.min(lo, 0);
  const minSpan = MIN_SPAN[unit] || 1;
  if (hi - lo < minSpan) {
    const mid = (hi + lo) / 2;
    if (lo === 0 || unit === "count" || unit === "time") hi = lo + minSpan;
    else {
      lo = mid - minSpan / 2;
      hi = mid + minSpan / 2;
    }
  }
  const x = (t) => ((Math.max(from, Math.min(to, t)) - from) / span * W);
  const y = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  const f = (n) => n.toFixed(2);
  const stepped = unit === "count";
  let line = "", area = "";
  let run = null; // the current sub-path: [x0, commands]
  const close = () => {
    if (!run) return;
    line += run.d;
    area += run.d + "V" + H + "H" + f(run.x0) + "Z";
    run = null;
  };
  let prev = null;
  for (const [t, v] of pts) {
    const px = x(t);
    if (typeof v !== "number" || !isFinite(v)) { // undefined: a gap from here
      if (run && prev !== null) run.d += "H" + f(px);
      close();
      prev = null;
      continue;
    }
    const py = y(v);
    if (!run) {
      run = { x0: px, d: "M" + f(px) + " " + f(py) };
    } else if (stepped) {
      run.d += "H" + f(px) + "V" + f(py);
    } else {
      run.d += "L" + f(px) + " " + f(py);
    }
    prev = v;
  }
  if (run) {
    run.d += "H" + f(W); // the last value holds until now
    close();
  }
  return { line, area };
}

// drawSpark sets the paths of a sparkline element (an <svg> holding .spark-area and
// .spark-line).
export function drawSpark(svg, points, from, to, unit) {
  if (!svg) return;
  const { line, area } = sparkPaths(points, from, to, unit);
  const l = svg.querySelector(".spark-line"), a = svg.querySelector(".spark-area");
  if (l) l.setAttribute("d", line);
  if (a) a.setAttribute("d", area);
}

// newSpark returns an empty sparkline element.
export function newSpark(cls) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "spark" + (cls ? " " + cls : ""));
  svg.setAttribute("viewBox", "0 0 100 32");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  for (const c of ["spark-area", "spark-line"]) {
    const p = document.createElementNS(SVG, "path");
    p.setAttribute("class", c);
    svg.append(p);
  }
  return svg;
}

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
  if (text !== undefined) e.textContent = text;
  return e;
}

function hhmm(ms) {
  const d = new Date(ms);
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes());
}

// barChart draws intervals ({start, end, value} with times in ms, value a number or
// null) as bars into a new <svg>, with the thresholds' levels as lines: bars beyond a
// level take its colour. unit formats the axis.
export function barChart(intervals, unit, thresholds, levelOf) {
  const W = 720, H = 300, left = 56, right = 24, top = 14, bottom = 28;
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "bars", role: "img" });
  if (!intervals.length) return svg;
  const from = intervals[0].start, to = intervals[intervals.length - 1].end;
  const values = intervals.map((iv) => iv.value).filter((v) => typeof v === "number" && isFinite(v));
  const levels = [];
  if (thresholds && thresholds.dir !== "off") {
    for (const k of ["warn", "crit"]) if (isFinite(thresholds[k])) levels.push([k, thresholds[k]]);
  }
  let hi = Math.max(0, ...values, ...levels.map((l) => l[1]));
  let lo = Math.min(0, ...values);
  if (hi === lo) hi = lo + 1;
  hi += (hi - lo) * 0.08;
  const x = (t) => left + (t - from) / Math.max(1, to - from) * (W - left - right);
  const y = (v) => top + (hi - v) / (hi - lo) * (H - top - bottom);
  // Horizontal grid: four steps.
  for (let k = 0; k <= 4; k++) {
    const v = lo + (hi - lo) * k / 4;
    svg.append(el("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" }, formatLevel(v, unit)));
  }
  for (const iv of intervals) {
    const x0 = x(iv.start), x1 = x(iv.end);
    const w = Math.max(1, x1 - x0 - Math.min(2, (x1 - x0) * 0.15));
    if (typeof iv.value !== "number" || !isFinite(iv.value)) {
      svg.append(el("rect", { x: x0, y: top, width: w, height: H - top - bottom, class: "bar-none" },));
      continue;
    }
    const y0 = y(Math.max(0, lo)), y1 = y(iv.value);
    const r = el("rect", { x: x0, y: Math.min(y0, y1), width: w, height: Math.max(1, Math.abs(y0 - y1)), class: "bar", "data-level": levelOf(iv.value) });
    r.append(el("title", {}, hhmm(iv.start) + "–" + hhmm(iv.end) + ": " + formatLevel(iv.value, unit)));
    svg.append(r);
  }
  for (const [k, v] of levels) {
    svg.append(el("line", { x1: left, x2: W - right, y1: y(v), y2: y(v), class: "level level-" + k }));
  }
  // Time axis: a label every hour (or every interval when there are few).
  const hour = 3600e3;
  const stepMs = to - from > 6 * hour ? 2 * hour : to - from > hour ? hour : Math.max(1, intervals[0].end - intervals[0].start);
  for (let t = Math.ceil(from / stepMs) * stepMs; t <= to; t += stepMs) {
    svg.append(el("text", { x: x(t), y: H - 8, class: "axis", "text-anchor": "middle" }, hhmm(t)));
  }
  return svg;
}
