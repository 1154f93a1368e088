// statkit wallboard: a board the config defines (GET /v1/wallboards) — the headline strip
// and the tables of its sections — each value coloured by its thresholds, with a
// sparkline of its recent values and an alert when it crosses a level.

import { $, st, model, onValue, onClock, TREND_WINDOW_MS, unitOf, categoryOf, objName } from "./core.js";
import { formatValue, humanize, fromServer, guessThreshold, levelOf, targetNote, LEVEL_RANK, UNITS } from "./format.js";
import { drawSpark, newSpark } from "./spark.js";

// Tile is one value on the board: a headline tile or a table cell.
class Tile {
  constructor(def, el, valueEl, ofEl, sparkEl, label) {
    this.def = def;
    this.s = model(def.statistic, def);
    if (def.unit && UNITS[def.unit]) this.s.boardUnit = def.unit;
    this.s.unit = unitOf(this.s);
    this.of = def.of ? model(def.of) : null;
    this.el = el;
    this.valueEl = valueEl;
    this.ofEl = ofEl;
    this.sparkEl = sparkEl;
    this.label = label;
    // Thresholds: the config's; none configured: guessed from the stat type.
    this.t = def.thresholds ? fromServer(def.thresholds) : guessThreshold(categoryOf(this.s) || def.category, def.statType, this.s.unit);
    this.level = "none";
    this.seen = false;
  }
}

export class Board {
  // ctx: {alert(level, text, el), openChart(tile def, model, thresholds, label)}
  constructor(def, ctx) {
    this.def = def;
    this.ctx = ctx;
    this.tiles = [];
    this.stops = [];
    this.sparkFrame = 0;
  }

  // ids returns the statistics the board shows (for the trends it backfills).
  ids() {
    const out = new Set();
    for (const t of this.tiles) {
      out.add(t.s.id);
      if (t.of) out.add(t.of.id);
    }
    return Array.from(out);
  }

  render() {
    const head = $("#headline");
    head.replaceChildren();
    for (const def of this.def.headline || []) {
      if (def) head.append(this.kpi(def));
    }
    head.hidden = head.childElementCount === 0;
    head.style.setProperty("--kpis", String(Math.max(1, head.childElementCount)));
    const view = $("#tables");
    view.replaceChildren();
    for (const sec of this.def.sections || []) view.append(this.section(sec));
    view.hidden = view.childElementCount === 0;
    for (const t of this.tiles) {
      const update = () => this.update(t);
      this.stops.push(onValue(t.s.id, update));
      if (t.of) this.stops.push(onValue(t.of.id, update));
      if (t.s.value !== undefined) this.update(t);
    }
    this.stops.push(onClock(() => this.scheduleSparks()));
    this.scheduleSparks();
  }

  destroy() {
    for (const stop of this.stops.splice(0)) stop();
    cancelAnimationFrame(this.sparkFrame);
    $("#headline").replaceChildren();
    $("#tables").replaceChildren();
    this.tiles = [];
  }

  // kpi builds a headline tile.
  kpi(def) {
    const el = $("#kpi-tpl").content.firstElementChild.cloneNode(true);
    const label = def.label || humanize(def.statType);
    el.dataset.stat = def.statistic;
    $(".kpi-label", el).textContent = label;
    const spark = newSpark();
    el.append(spark);
    const t = new Tile(def, el, $(".value", el), $(".of", el), spark, label);
    const note = [targetNote(t.t, t.s.unit)];
    if (def.timeRange && isFinite(def.timeRange.hi) && def.timeRange.hi > 0) note.push("in " + def.timeRange.hi + " s");
    $(".kpi-note", el).textContent = note.filter(Boolean).join(" ");
    this.describe(t, el, label);
    this.tiles.push(t);
    return el;
  }

  // describe sets an element's tooltip and its click: the bar chart of the day.
  describe(t, el, label) {
    const d = t.def;
    const parts = [label + " — " + humanize(d.statType) + ", " + (d.object ? d.object.type + " " + objName(d.object) : "")];
    parts.push("profile " + (d.profile || "Default") + (d.timeRange ? ", time range " + d.timeRange.name : ""));
    const tn = targetNote(t.t, t.s.unit);
    if (tn) parts.push(tn);
    parts.push("Statistic " + d.statistic + (d.of ? " of " + d.of : "") + " · click for the day's intervals");
    el.title = parts.join("\n");
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", label + (d.object ? ", " + objName(d.object) : ""));
    const open = () => this.ctx.openChart(d, t.s, t.t, label);
    el.addEventListener("click", open);
    el.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        open();
      }
    });
  }

  // section builds a table: a heading per column, a row per object.
  section(sec) {
    const wrap = document.createElement("section");
    wrap.className = "board-section";
    if (sec.title) {
      const h = document.createElement("h2");
      h.textContent = sec.title;
      wrap.append(h);
    }
    const table = document.createElement("table");
    table.className = "board-table";
    table.style.setProperty("--cols", String(sec.columns.length));
    const thead = document.createElement("thead");
    const hr = document.createElement("tr");
    const corner = document.createElement("th");
    corner.scope = "col";
    hr.append(corner);
    for (const c of sec.columns) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = c.label || humanize(c.statType);
      hr.append(th);
    }
    thead.append(hr);
    const tbody = document.createElement("tbody");
    for (const r of sec.rows) {
      const tr = document.createElement("tr");
      tr.dataset.object = r.object.type + "/" + r.object.id;
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = r.label || objName(r.object);
      tr.append(th);
      r.cells.forEach((def, i) => {
        const td = document.createElement("td");
        td.className = "cell";
        if (!def) {
          td.className = "cell cell-blank";
          tr.append(td);
          return;
        }
        const col = sec.columns[i] || {};
        td.dataset.stat = def.statistic;
        td.dataset.level = "none";
        const v = document.createElement("span");
        v.className = "value";
        v.textContent = "–";
        const of = document.createElement("span");
        of.className = "of";
        const spark = newSpark("spark-cell");
        td.append(v, of, spark);
        const label = (col.label || humanize(def.statType)) + " · " + (r.label || objName(r.object));
        const t = new Tile(def, td, v, of, spark, label);
        this.describe(t, td, label);
        this.tiles.push(t);
        tr.append(td);
      });
      tbody.append(tr);
    }
    table.append(thead, tbody);
    wrap.append(table);
    return wrap;
  }

  // update shows a tile's value and level; a level that gets worse after the first value
  // raises an alert.
  update(t) {
    const v = t.s.value;
    const num = typeof v === "number" && isFinite(v) ? v : null;
    const [text, suffix] = formatValue(num, t.s.unit);
    t.valueEl.textContent = text;
    if (suffix) {
      const u = document.createElement("span");
      u.className = "unit";
      u.textContent = suffix;
      t.valueEl.append(u);
    }
    t.valueEl.dataset.value = num === null ? "" : String(num);
    t.el.dataset.undefined = v === null ? "true" : "false";
    if (t.ofEl) {
      const ov = t.of ? t.of.value : undefined;
      t.ofEl.textContent = t.of ? "/ " + formatValue(typeof ov === "number" ? ov : null, t.of.unit)[0] : "";
    }
    const level = levelOf(num, t.t);
    if (level !== t.level) {
      if (worse(level, t.level) && t.seen && (level === "warn" || level === "crit")) {
        const what = level === "crit" ? "red" : "amber";
        this.ctx.alert(level, t.label + " is " + what + ": " + text + (suffix ? " " + suffix : "") + " (" + targetNote(t.t, t.s.unit) + ")", t.el);
      }
      if (!worse(level, t.level)) t.el.classList.remove("alerting"); // back within its levels: no flash
      t.level = level;
      t.el.dataset.level = level;
    }
    if (t.s.value !== undefined) t.seen = true;
    this.scheduleSparks();
  }

  scheduleSparks() {
    if (this.sparkFrame) return;
    this.sparkFrame = requestAnimationFrame(() => {
      this.sparkFrame = 0;
      const to = isFinite(st.now) ? st.now : Date.now();
      const from = to - TREND_WINDOW_MS;
      for (const t of this.tiles) {
        if (t.sparkEl.isConnected && t.sparkEl.getClientRects().length) drawSpark(t.sparkEl, t.s.points, from, to, t.s.unit);
      }
    });
  }
}

// worse reports whether level a is worse than level b.
function worse(a, b) { return LEVEL_RANK[a] > LEVEL_RANK[b]; }
