// statkit wallboard: the all-statistics view — every open statistic, laid out by object
// (queues, groups, agents, others), each a tile with its thresholds kept in this
// browser, or guessed from its stat type. This is the page of a config without boards.

import { $, st, model, onValue, onClock, objKey, objName, unitOf, categoryOf, list, TREND_WINDOW_MS } from "./core.js";
import { formatValue, humanize, natCompare, guessThreshold, levelOf, targetNote, LEVEL_RANK } from "./format.js";
import { drawSpark } from "./spark.js";

const THRESHOLDS_KEY = "statkit.wallboard.thresholds";

// Sections: which object types go where (anything else goes to "Other").
const SECTION_OF = {
  Queue: "queues", RoutePoint: "queues", GroupQueues: "queues", StagingArea: "queues",
  GroupAgents: "groups", GroupPlaces: "groups", Tenant: "groups",
  Agent: "agents", Place: "agents", RegDN: "agents",
};
const TYPE_ORDER = ["Tenant", "GroupQueues", "Queue", "RoutePoint", "StagingArea",
  "GroupAgents", "GroupPlaces", "Agent", "Place", "RegDN"];
export const TYPE_LABEL = {
  Queue: "Queue", RoutePoint: "Route point", GroupQueues: "Queue group", StagingArea: "Staging area",
  GroupAgents: "Agent group", GroupPlaces: "Place group", Tenant: "Tenant",
  Agent: "Agent", Place: "Place", RegDN: "DN", Workbin: "Workbin",
};

export function statLabel(s) {
  return humanize(s.statType) + ", " + (TYPE_LABEL[s.object.type] || s.object.type) + " " + objName(s.object);
}

export class Auto {
  // ctx: {agents (the Agents panel), alert(level, text, el), openThresholds(s), openChart(def, s, t, label), closeStat(s)}
  constructor(ctx) {
    this.ctx = ctx;
    this.tiles = new Map(); // statistic id → tile {s, el, valueEl, lineEl, areaEl, level, seen, kind}
    this.panels = new Map(); // "Type/id" → panel element
    this.stops = [];
    this.sparkFrame = 0;
    this.thresholds = loadThresholds();
    this.onStorage = (ev) => {
      if (ev.key !== THRESHOLDS_KEY) return;
      this.thresholds = loadThresholds();
      for (const t of this.tiles.values()) this.update(t);
    };
    window.addEventListener("storage", this.onStorage);
    this.stops.push(onClock(() => this.scheduleSparks()));
  }

  destroy() {
    window.removeEventListener("storage", this.onStorage);
    for (const stop of this.stops.splice(0)) stop();
    for (const t of this.tiles.values()) if (t.stop) t.stop();
    this.tiles.clear();
    this.panels.clear();
    for (const sec of document.querySelectorAll("#all .section")) {
      $(".panels", sec).replaceChildren();
      sec.hidden = true;
    }
  }

  has(id) { return this.tiles.has(id) || this.ctx.agents.has(id); }

  // ids returns the statistics shown, for the trends to backfill.
  ids() { return Array.from(this.tiles.keys()); }

  thresholdOf(s) {
    const own = this.thresholds[s.id];
    if (own) return own.dir === "off" ? null : own;
    return guessThreshold(categoryOf(s), s.statType, s.unit);
  }

  setThreshold(s, t) {
    if (t) this.thresholds[s.id] = t;
    else delete this.thresholds[s.id];
    saveThresholds(this.thresholds);
    const tile = this.tiles.get(s.id);
    if (tile) this.update(tile);
  }

  // add shows statistic s: a state as an agent card, a number as a tile (a time in state
  // of an agent with a card folds into the card).
  add(s) {
    if (this.has(s.id)) return;
    if (s.unit === "state" || (s.value && typeof s.value === "object")) {
      const card = this.ctx.agents.add(s);
      for (const t of Array.from(this.tiles.values())) {
        if (isTimeInState(t.s) && objKey(t.s.object) === objKey(s.object)) this.fold(t.s, card);
      }
      return;
    }
    const card = isTimeInState(s) ? this.ctx.agents.cardOf(objKey(s.object)) : null;
    if (card) {
      this.fold(s, card);
      return;
    }
    this.makeTile(s);
  }

  // fold hides a time-in-state tile behind its agent's card, which then uses its value
  // when the state has no start.
  fold(s, card) {
    const t = this.tiles.get(s.id);
    if (t) this.detach(t);
    card.timeStat = s;
    this.tiles.set(s.id, { s, folded: true, stop: null });
  }

  remove(id) {
    const t = this.tiles.get(id);
    if (t) {
      this.detach(t);
      this.tiles.delete(id);
      return;
    }
    if (this.ctx.agents.has(id)) {
      const key = objKey(st.stats.get(id) ? st.stats.get(id).object : null);
      this.ctx.agents.remove(id);
      // A folded time in state gets its tile back when its card goes.
      for (const f of Array.from(this.tiles.values())) {
        if (f.folded && objKey(f.s.object) === key && !this.ctx.agents.cardOf(key)) {
          this.tiles.delete(f.s.id);
          this.makeTile(f.s);
        }
      }
    }
  }

  detach(t) {
    if (t.stop) t.stop();
    if (!t.el) return;
    const panel = t.el.closest(".panel");
    t.el.remove();
    if (panel && !panel.querySelector(".tile")) {
      panel.remove();
      this.panels.delete(panel.dataset.object);
    }
    for (const sec of document.querySelectorAll("#all .section")) {
      sec.hidden = !sec.querySelector(".tile");
    }
    this.layoutColumns();
  }

  sectionFor(s) {
    return $("#sec-" + (SECTION_OF[s.object && s.object.type] || "other"));
  }

  panelFor(s) {
    const key = objKey(s.object);
    let p = this.panels.get(key);
    if (p && p.isConnected) return p;
    const sec = this.sectionFor(s);
    p = document.createElement("article");
    p.className = "panel";
    p.dataset.object = key;
    p.dataset.type = s.object.type;
    const head = document.createElement("header");
    head.className = "panel-head";
    const h = document.createElement("h3");
    h.textContent = objName(s.object);
    const kind = document.createElement("span");
    kind.className = "panel-kind";
    kind.textContent = TYPE_LABEL[s.object.type] || s.object.type;
    head.append(h, kind);
    if (st.names.has(key)) {
      const id = document.createElement("span");
      id.className = "panel-id";
      id.textContent = s.object.id;
      head.append(id);
    }
    const tiles = document.createElement("div");
    tiles.className = "tiles";
    const body = document.createElement("div");
    body.className = "panel-body";
    body.append(head, tiles);
    p.append(body);
    // Keep panels ordered by object type, then id.
    const container = $(".panels", sec);
    const rank = (el) => {
      const i = TYPE_ORDER.indexOf(el.dataset.type);
      return i < 0 ? TYPE_ORDER.length : i;
    };
    let before = null;
    for (const other of container.children) {
      const c = rank(p) - rank(other) || natCompare(s.object.id, other.dataset.object.slice(other.dataset.type.length + 1));
      if (c < 0) { before = other; break; }
    }
    container.insertBefore(p, before);
    this.panels.set(key, p);
    sec.hidden = false;
    return p;
  }

  // layoutColumns sets each section's --cols to the tile count of its fullest panel.
  layoutColumns() {
    for (const panels of document.querySelectorAll("#all .panels")) {
      let n = 1;
      for (const t of panels.querySelectorAll(".tiles")) n = Math.max(n, t.childElementCount);
      panels.style.setProperty("--cols", String(n));
    }
  }

  makeTile(s) {
    const el = $("#tile-tpl").content.firstElementChild.cloneNode(true);
    el.dataset.stat = s.id;
    el.dataset.statType = s.statType;
    el.dataset.object = objKey(s.object);
    const label = statLabel(s);
    el.setAttribute("aria-label", label);
    const type = st.statTypes.get(s.statType);
    const details = ["profile " + (s.profile || "Default")];
    if (s.timeRange) details.push("time range " + s.timeRange);
    if (s.filter) details.push("filter " + s.filter);
    el.title = label + (type && type.description ? "\n" + type.description : "") + "\n" + details.join(", ") + "\nStatistic " + s.id;
    const name = tileName(s);
    const nameEl = $(".tile-name", el);
    nameEl.textContent = name;
    if (name.length > 17) nameEl.classList.add("long");
    if (s.profile && s.profile !== "Default") {
      const b = $(".tile-badge", el);
      b.textContent = s.profile;
      b.title = details.join(", ");
      b.hidden = false;
    }
    const thr = $(".tool-thr", el);
    thr.setAttribute("aria-label", "Thresholds of " + label);
    thr.title = "Thresholds";
    thr.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.ctx.openThresholds(s);
    });
    const close = $(".tool-close", el);
    close.setAttribute("aria-label", "Close " + label);
    close.title = "Close statistic";
    close.addEventListener("click", (ev) => {
      ev.stopPropagation();
      this.ctx.closeStat(s);
    });
    $(".tiles", this.panelFor(s)).append(el);
    const t = { s, el, valueEl: $(".value", el), spark: $(".spark", el), level: "none", seen: false };
    el.addEventListener("click", () => {
      const def = { statistic: s.id, statType: s.statType, object: s.object, profile: s.profile, history: null };
      this.ctx.openChart(def, s, this.thresholdOf(s), label);
    });
    t.stop = onValue(s.id, () => this.update(t));
    this.tiles.set(s.id, t);
    this.layoutColumns();
    if (s.value !== undefined) this.update(t);
    return t;
  }

  update(t) {
    if (t.folded || !t.el) return;
    const s = t.s;
    const num = typeof s.value === "number" && isFinite(s.value) ? s.value : null;
    const [text, suffix] = formatValue(num, s.unit);
    const el = t.valueEl;
    el.textContent = text;
    if (suffix) {
      const u = document.createElement("span");
      u.className = "unit";
      u.textContent = suffix;
      el.append(u);
    }
    el.dataset.value = num === null ? "" : String(num);
    const th = this.thresholdOf(s);
    const level = levelOf(num, th);
    if (level !== t.level) {
      if (worse(level, t.level) && t.seen && (level === "warn" || level === "crit")) {
        this.ctx.alert(level, statLabel(s) + " is " + (level === "crit" ? "red" : "amber") + ": " + text + (suffix ? " " + suffix : "") + " (" + targetNote(th, s.unit) + ")", t.el);
      }
      if (!worse(level, t.level)) t.el.classList.remove("alerting"); // back within its levels: no flash
      t.level = level;
    }
    t.el.dataset.level = level;
    if (s.value !== undefined) t.seen = true;
    this.scheduleSparks();
  }

  scheduleSparks() {
    if (this.sparkFrame) return;
    this.sparkFrame = requestAnimationFrame(() => {
      this.sparkFrame = 0;
      const to = isFinite(st.now) ? st.now : Date.now();
      for (const t of this.tiles.values()) {
        if (!t.folded && t.el) drawSpark(t.spark, t.s.points, to - TREND_WINDOW_MS, to, t.s.unit);
      }
    });
  }
}

// tileName is the stat type's name as a tile shows it, inside the panel of its object: a
// leading word naming the object's kind goes ("QueueCallsAnswered" on a queue reads
// "Calls answered").
function tileName(s) {
  const name = humanize(s.statType);
  const m = /^(Queue|Agent|Group|Place|Tenant) (\S+ \S.*)$/.exec(name);
  if (m && String(s.object.type).includes(m[1])) return m[2].charAt(0).toUpperCase() + m[2].slice(1);
  return name;
}

// isTimeInState tells a statistic that measures how long an agent has been in its
// current state (CurrentTime of any agent status): an agent's card shows that already.
function isTimeInState(s) {
  const t = st.statTypes.get(s.statType);
  if (!t || s.object.type !== "Agent" || t.category !== "CurrentTime" || t.subject !== "AgentStatus") return false;
  const mask = list(t.mainMask);
  return mask.length === 1 && mask[0] === "*";
}

function loadThresholds() {
  try {
    const raw = window.localStorage.getItem(THRESHOLDS_KEY);
    const t = raw ? JSON.parse(raw) : {};
    return t && typeof t === "object" ? t : {};
  } catch (e) {
    return {};
  }
}

function saveThresholds(t) {
  try {
    window.localStorage.setItem(THRESHOLDS_KEY, JSON.stringify(t));
  } catch (e) {
    // storage full or disabled: the thresholds last for this page only
  }
}

export { model, unitOf };

// worse reports whether level a is worse than level b.
function worse(a, b) { return LEVEL_RANK[a] > LEVEL_RANK[b]; }
