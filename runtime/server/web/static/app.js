// statkit wallboard: lists the open statistics (GET /v1/statistics), learns their stat
// types and the objects from GET /v1/config, follows their values over Server-Sent Events
// (GET /v1/stream) and lets a user open (POST /v1/statistics) and close (DELETE) them.
// Plain browser JavaScript, no build step, no dependencies.
(function () {
  "use strict";

  // ---------------------------------------------------------------- constants

  const SPARK_POINTS = 72;          // values kept per sparkline
  const SPARK_MIN_SPAN = 24;        // a short history still spreads over this many steps
  const SPARK_HEARTBEAT_MS = 5000;  // a quiet statistic repeats its value this often
  const SYNC_MS = 30000;            // how often the list of statistics is re-read
  const RETRY_MAX_MS = 30000;       // longest wait between reconnection attempts
  const THRESHOLDS_KEY = "statkit.wallboard.thresholds";

  // Sections: which object types go where (anything else goes to "Other").
  const SECTION_OF = {
    Queue: "queues", RoutePoint: "queues", GroupQueues: "queues", StagingArea: "queues",
    GroupAgents: "groups", GroupPlaces: "groups", Tenant: "groups",
    Agent: "agents", Place: "agents", RegDN: "agents",
  };
  const TYPE_ORDER = ["Tenant", "GroupQueues", "Queue", "RoutePoint", "StagingArea",
    "GroupAgents", "GroupPlaces", "Agent", "Place", "RegDN"];
  const TYPE_LABEL = {
    Queue: "Queue", RoutePoint: "Route point", GroupQueues: "Queue group", StagingArea: "Staging area",
    GroupAgents: "Agent group", GroupPlaces: "Place group", Tenant: "Tenant",
    Agent: "Agent", Place: "Place", RegDN: "DN", Workbin: "Workbin",
  };

  // Agent statuses (action names) → display class and label.
  const STATUS = {
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
  const SUMMARY = [
    ["ready", "Ready"], ["talking", "Talking"], ["hold", "On hold"], ["ringing", "Ringing"],
    ["acw", "ACW"], ["notready", "Not ready"], ["idle", "Other"], ["loggedout", "Logged out"],
  ];

  // ---------------------------------------------------------------- state

  const st = {
    config: null,
    statTypes: new Map(),  // name → stat type from /v1/config
    names: new Map(),      // "Type/id" → display name
    stats: new Map(),      // statistic id → tile model
    panels: new Map(),     // "Type/id" → panel element
    cards: new Map(),      // "Type/id" → the statistic of its state card
    offset: 0,             // server event time − client time, ms
    offsetKnown: false,
    thresholds: loadThresholds(),
    es: null,
    opened: false,         // the stream has been open once
    retryMs: 1000,
    retryTimer: 0,
    syncTimer: 0,
    syncSoon: 0,
    early: new Map(),      // statistic id → a value that came before its definition
    closed: new Set(),     // ids this page closed: a late list or value must not bring them back
    sparkDirty: new Set(),
    sparkFrame: 0,
    summaryFrame: 0,
  };

  const $ = (sel, root) => (root || document).querySelector(sel);
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  // ---------------------------------------------------------------- formatting

  function categoryOf(s) {
    const t = st.statTypes.get(s.statType);
    return t ? String(t.category || "") : "";
  }

  // UNITS maps the server's unit names (GET /v1/config, statTypes[].unit) to how a value
  // reads here: "time" (seconds), "percent", "ratio" (fractional), "count" or "state".
  const UNITS = { seconds: "time", percent: "percent", ratio: "ratio", rate: "ratio", custom: "ratio", count: "count", structured: "state" };

  // unitOf tells how a statistic's values read, from its stat type's unit, else from the
  // name of its category.
  function unitOf(s) {
    const t = st.statTypes.get(s.statType);
    if (t && UNITS[t.unit]) return UNITS[t.unit];
    const category = categoryOf(s);
    if (category === "CurrentState") return "state";
    if (/Percentage$/.test(category) || category === "ServiceFactor1") return "percent";
    if (/Time$/.test(category) || /TimeInTimeRange$/.test(category)) return "time";
    if (category === "TotalNumberPerSecond" || category === "RelativeNumber" ||
        category === "AverageOfCurrentNumber" || /CustomValue$/.test(category)) return "ratio";
    return "count";
  }

  function pad2(n) { return n < 10 ? "0" + n : String(n); }

  function formatDuration(sec) {
    if (!isFinite(sec)) return "–";
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

  // formatValue returns [text, unit suffix] for a numeric value.
  function formatValue(v, unit) {
    if (typeof v !== "number" || !isFinite(v)) return ["–", ""];
    switch (unit) {
      case "time": return [formatDuration(v), ""];
      case "percent": return [Math.abs(v) >= 10 || Number.isInteger(v) ? intFmt.format(v) : pctFmt.format(v), "%"];
      case "ratio": return [decFmt.format(v), ""];
      default: return [intFmt.format(v), ""];
    }
  }

  // humanize turns "AgentsInACW" into "Agents in ACW".
  function humanize(name) {
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

  function objKey(o) { return (o && o.type) + "/" + (o && o.id); }

  function objName(o) {
    const n = st.names.get(objKey(o));
    return n || (o && o.id) || "?";
  }

  function natCompare(a, b) {
    return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
  }

  // ---------------------------------------------------------------- server clock

  function serverNow() { return Date.now() + st.offset; }

  // learnTime adopts the event time of a notification as the server's clock; it moves
  // only forward, except for a jump back of more than five seconds (a restarted replay).
  function learnTime(at) {
    const t = Date.parse(at);
    if (isNaN(t)) return;
    const off = t - Date.now();
    if (!st.offsetKnown || off > st.offset || off < st.offset - 5000) {
      st.offset = off;
      st.offsetKnown = true;
    }
  }

  function tickClock() {
    const el = $("#clock");
    if (!st.offsetKnown) return;
    const d = new Date(serverNow());
    el.textContent = pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
    el.dateTime = d.toISOString();
  }

  // ---------------------------------------------------------------- thresholds

  function loadThresholds() {
    try {
      const raw = window.localStorage.getItem(THRESHOLDS_KEY);
      const t = raw ? JSON.parse(raw) : {};
      return t && typeof t === "object" ? t : {};
    } catch (e) {
      return {};
    }
  }

  function saveThresholds() {
    try {
      window.localStorage.setItem(THRESHOLDS_KEY, JSON.stringify(st.thresholds));
    } catch (e) {
      // storage full or disabled: the thresholds last for this page only
    }
  }

  // defaultThreshold guesses sensible levels from the category and the stat type's name:
  // {dir: "above"|"below", warn, crit} or null for no colouring.
  function defaultThreshold(s) {
    const cat = categoryOf(s);
    const unit = unitOf(s);
    const name = String(s.statType || "").toLowerCase();
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

  function thresholdOf(s) {
    const own = st.thresholds[s.id];
    if (own) return own.dir === "off" ? null : own;
    return defaultThreshold(s);
  }

  function levelOf(s) {
    const v = s.value;
    if (typeof v !== "number") return "none";
    const t = thresholdOf(s);
    if (!t) return "none";
    const worse = t.dir === "below" ? (a, b) => a < b : (a, b) => a > b;
    if (isFinite(t.crit) && worse(v, t.crit)) return "crit";
    if (isFinite(t.warn) && worse(v, t.warn)) return "warn";
    return "ok";
  }

  // ---------------------------------------------------------------- HTTP

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
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

  // list returns the array in a response that is an array or wraps one.
  function list(data, key) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data[key])) return data[key];
    return [];
  }

  // ---------------------------------------------------------------- config

  function applyConfig(cfg) {
    st.config = cfg || {};
    st.statTypes.clear();
    for (const t of list(cfg && cfg.statTypes, "statTypes")) {
      if (t && t.name) st.statTypes.set(t.name, t);
    }
    st.names.clear();
    const objects = (cfg && cfg.objects) || {};
    for (const type of Object.keys(objects)) {
      for (const o of list(objects[type])) {
        const id = typeof o === "string" ? o : o && o.id;
        const name = o && typeof o === "object" && o.name;
        if (id && name && name !== id) st.names.set(type + "/" + id, name);
      }
    }
  }

  // ---------------------------------------------------------------- panels and tiles

  function sectionFor(s) {
    if (s.kind === "state") return $("#sec-states");
    return $("#sec-" + (SECTION_OF[s.object && s.object.type] || "other"));
  }

  function panelFor(s) {
    const key = objKey(s.object);
    let p = st.panels.get(key);
    if (p && p.isConnected) return p;
    const sec = sectionFor(s);
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
    st.panels.set(key, p);
    sec.hidden = false;
    return p;
  }

  // layoutColumns sets each section's --cols to the tile count of its fullest panel.
  function layoutColumns() {
    for (const panels of document.querySelectorAll(".col-main .panels")) {
      let n = 1;
      for (const t of panels.querySelectorAll(".tiles")) n = Math.max(n, t.childElementCount);
      panels.style.setProperty("--cols", String(n));
    }
  }

  // tileName is the stat type's name as a tile shows it, inside the panel of its object:
  // a leading word naming the object's kind goes ("QueueCallsAnswered" on a queue reads
  // "Calls answered").
  function tileName(s) {
    const name = humanize(s.statType);
    const m = /^(Queue|Agent|Group|Place|Tenant) (\S+ \S.*)$/.exec(name);
    if (m && String(s.object.type).includes(m[1])) return m[2].charAt(0).toUpperCase() + m[2].slice(1);
    return name;
  }

  function statLabel(s) {
    return humanize(s.statType) + ", " + (TYPE_LABEL[s.object.type] || s.object.type) + " " + objName(s.object);
  }

  // profileBadge is the short note a tile carries when its statistic is not over the
  // default profile; details names the profile, time range and filter for the tooltip.
  function profileBadge(s) {
    return s.profile && s.profile !== "Default" ? s.profile : "";
  }

  function details(s) {
    const parts = ["profile " + (s.profile || "Default")];
    if (s.timeRange) parts.push("time range " + s.timeRange);
    if (s.filter) parts.push("filter " + s.filter);
    return parts.join(", ");
  }

  function makeTile(s) {
    const el = $("#tile-tpl").content.firstElementChild.cloneNode(true);
    el.dataset.stat = s.id;
    el.dataset.statType = s.statType;
    el.dataset.object = objKey(s.object);
    const label = statLabel(s);
    el.setAttribute("aria-label", label);
    const t = st.statTypes.get(s.statType);
    el.title = label + (t && t.description ? "\n" + t.description : "") + "\n" + details(s) + "\nStatistic " + s.id;
    const name = tileName(s);
    const nameEl = $(".tile-name", el);
    nameEl.textContent = name;
    if (name.length > 17) nameEl.classList.add("long");
    const badge = profileBadge(s);
    if (badge) {
      const b = $(".tile-badge", el);
      b.textContent = badge;
      b.title = details(s);
      b.hidden = false;
    }
    const thr = $(".tool-thr", el);
    thr.setAttribute("aria-label", "Thresholds of " + label);
    thr.title = "Thresholds";
    thr.addEventListener("click", () => openThresholds(s));
    const close = $(".tool-close", el);
    close.setAttribute("aria-label", "Close " + label);
    close.title = "Close statistic";
    close.addEventListener("click", () => closeStat(s));
    $(".tiles", panelFor(s)).append(el);
    s.el = el;
    s.valueEl = $(".value", el);
    s.lineEl = $(".spark-line", el);
    s.areaEl = $(".spark-area", el);
  }

  function makeAgent(s) {
    const el = $("#agent-tpl").content.firstElementChild.cloneNode(true);
    el.dataset.stat = s.id;
    el.dataset.object = objKey(s.object);
    const name = objName(s.object);
    const typeLabel = s.object.type === "Agent" ? "" : (TYPE_LABEL[s.object.type] || s.object.type) + " ";
    $(".agent-name", el).textContent = typeLabel + name;
    el.title = typeLabel + name + (name !== s.object.id ? " (" + s.object.id + ")" : "") + "\nStatistic " + s.id;
    const close = $(".tool-close", el);
    close.setAttribute("aria-label", "Close " + humanize(s.statType) + ", " + typeLabel + name);
    close.title = "Close statistic";
    close.addEventListener("click", () => closeStat(s));
    const grid = $("#state-grid");
    let before = null;
    for (const other of grid.children) {
      const os = st.stats.get(other.dataset.stat);
      if (os && natCompare(name, objName(os.object)) < 0) { before = other; break; }
    }
    grid.insertBefore(el, before);
    $("#sec-states").hidden = false;
    if (!st.cards.has(objKey(s.object))) st.cards.set(objKey(s.object), s);
    s.el = el;
    s.statusEl = $(".agent-status", el);
    s.timeEl = $(".agent-time", el);
  }

  // isTimeInState tells a statistic that measures how long an agent has been in its
  // current state (CurrentTime of any agent status); an agent's state card shows that
  // already, so such a statistic has no tile of its own while the card exists.
  function isTimeInState(s) {
    const t = st.statTypes.get(s.statType);
    if (!t || s.object.type !== "Agent" || t.category !== "CurrentTime" || t.subject !== "AgentStatus") return false;
    const mask = list(t.mainMask);
    return mask.length === 1 && mask[0] === "*";
  }

  function stateCardOf(object) {
    return st.cards.get(objKey(object)) || null;
  }

  // fold hides the tile of a time-in-state statistic behind its agent's card.
  function fold(s) {
    if (s.el) detachTile(s);
    s.kind = "folded";
  }

  // unfold gives the time-in-state statistics of an agent whose card went away a tile.
  function unfoldFor(object) {
    const key = objKey(object);
    for (const s of st.stats.values()) {
      if (s.kind === "folded" && objKey(s.object) === key) {
        s.kind = "number";
        makeTile(s);
        if (typeof s.value === "number") renderValue(s, false);
        pushPoint(s, s.value, Date.now());
      }
    }
  }

  // detachTile removes a statistic's element, and its panel and section when empty.
  function detachTile(s) {
    const panel = s.el.closest(".panel");
    s.el.remove();
    s.el = null;
    if (panel && !panel.querySelector(".tile")) {
      panel.remove();
      st.panels.delete(panel.dataset.object);
    }
    for (const sec of document.querySelectorAll(".section")) {
      sec.hidden = !sec.querySelector(".tile, .agent");
    }
    layoutColumns();
  }

  // addStat creates the model and element of a statistic unless it exists.
  function addStat(info, kind) {
    if (!info || !info.id || st.stats.has(String(info.id))) return st.stats.get(String(info && info.id));
    const s = {
      id: String(info.id),
      statType: info.statType || "",
      object: info.object || { type: "", id: "" },
      profile: info.profile || "",
      timeRange: info.timeRange || "",
      filter: info.filter || "",
      value: undefined,
      points: [],
      lastPoint: 0,
    };
    s.kind = kind || (unitOf(s) === "state" ? "state" : "number");
    st.stats.set(s.id, s);
    if (s.kind === "state") {
      makeAgent(s);
      for (const o of st.stats.values()) {
        if (o.kind === "number" && isTimeInState(o) && objKey(o.object) === objKey(s.object)) fold(o);
      }
    } else if (isTimeInState(s) && stateCardOf(s.object)) {
      s.kind = "folded";
    } else {
      makeTile(s);
    }
    const early = st.early.get(s.id);
    if (early) {
      st.early.delete(s.id);
      setValue(s, early.value, early.at);
    }
    updateEmpty();
    layoutColumns();
    return s;
  }

  function removeStat(s) {
    st.stats.delete(s.id);
    st.sparkDirty.delete(s);
    if (s.el) detachTile(s);
    if (s.kind === "state" && st.cards.get(objKey(s.object)) === s) {
      st.cards.delete(objKey(s.object));
      for (const o of st.stats.values()) { // another card of the same object takes over
        if (o.kind === "state" && objKey(o.object) === objKey(s.object)) { st.cards.set(objKey(o.object), o); break; }
      }
      if (!stateCardOf(s.object)) unfoldFor(s.object);
    }
    updateSummary();
    updateEmpty();
    layoutColumns();
  }

  function updateEmpty() {
    $("#empty").hidden = st.stats.size > 0 || !st.config;
  }

  // ---------------------------------------------------------------- values

  function setValue(s, value, at) {
    if (s.kind === "number" && value !== null && typeof value === "object") {
      // A structured value for a statistic we took as numeric: move it to the grid.
      removeStat(s);
      s = addStat(s, "state");
    }
    if (s.kind === "folded") {
      s.value = typeof value === "number" ? value : Number(value);
      s.valueAt = Date.now();
      const card = stateCardOf(s.object);
      if (card) renderElapsed(card);
      return;
    }
    if (s.kind === "state") {
      s.value = value && typeof value === "object" ? value : null;
      renderState(s);
      scheduleSummary();
      return;
    }
    const changed = value !== s.value;
    s.value = typeof value === "number" ? value : Number(value);
    s.at = at;
    renderValue(s, changed);
    const now = Date.now();
    if (changed || now - s.lastPoint >= SPARK_HEARTBEAT_MS || s.points.length === 0) {
      pushPoint(s, s.value, now);
    }
  }

  function renderValue(s, flash) {
    const unit = unitOf(s);
    const [text, suffix] = formatValue(s.value, unit);
    const el = s.valueEl;
    el.textContent = text;
    if (suffix) {
      const u = document.createElement("span");
      u.className = "unit";
      u.textContent = suffix;
      el.append(u);
    }
    el.dataset.value = typeof s.value === "number" ? String(s.value) : "";
    s.el.dataset.level = levelOf(s);
    if (flash && !reducedMotion.matches && el.animate) {
      // A short glow marks a change (Web Animations: no forced layout per update).
      el.animate([{ textShadow: "0 0 10px rgba(56, 189, 248, 0.75)" }, { textShadow: "0 0 0 transparent" }],
        { duration: 800, easing: "ease-out" });
    }
  }

  function renderState(s) {
    const v = s.value;
    const status = v ? String(v.status || "") : "";
    const info = STATUS[status] || (status ? ["idle", humanize(status)] : ["unknown", v ? "No status" : "–"]);
    s.el.dataset.status = info[0];
    s.el.dataset.rawStatus = status;
    const reason = v && v.reason ? " · " + v.reason : "";
    s.statusEl.textContent = info[1] + reason;
    s.since = v && v.since ? Date.parse(v.since) : NaN;
    renderElapsed(s);
  }

  // renderElapsed shows the time an agent has been in its state: counted here from the
  // state's since (ticking every second), else the last time-in-state value.
  function renderElapsed(s) {
    if (!s.timeEl) return;
    if (s.since !== undefined && !isNaN(s.since) && st.offsetKnown) {
      s.timeEl.textContent = formatDuration(Math.max(0, (serverNow() - s.since) / 1000));
      return;
    }
    const key = objKey(s.object);
    for (const o of st.stats.values()) {
      if (o.kind === "folded" && objKey(o.object) === key && typeof o.value === "number" && isFinite(o.value)) {
        s.timeEl.textContent = formatDuration(o.value + (Date.now() - o.valueAt) / 1000);
        return;
      }
    }
    s.timeEl.textContent = "";
  }

  // scheduleSummary recounts the agents by state once per frame, however many changed.
  function scheduleSummary() {
    if (st.summaryFrame) return;
    st.summaryFrame = requestAnimationFrame(() => {
      st.summaryFrame = 0;
      updateSummary();
    });
  }

  function updateSummary() {
    const counts = {};
    for (const s of st.stats.values()) {
      if (s.kind !== "state" || !s.el || (s.object && s.object.type !== "Agent")) continue;
      const k = s.el.dataset.status;
      counts[k] = (counts[k] || 0) + 1;
    }
    const ul = $("#state-summary");
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
    ul.replaceChildren(...items);
  }

  // ---------------------------------------------------------------- sparklines

  function pushPoint(s, v, now) {
    if (typeof v !== "number" || !isFinite(v)) return;
    s.points.push(v);
    if (s.points.length > SPARK_POINTS) s.points.splice(0, s.points.length - SPARK_POINTS);
    s.lastPoint = now;
    st.sparkDirty.add(s);
    if (!st.sparkFrame) st.sparkFrame = requestAnimationFrame(drawSparks);
  }

  function drawSparks() {
    st.sparkFrame = 0;
    for (const s of st.sparkDirty) drawSpark(s);
    st.sparkDirty.clear();
  }

  // drawSpark plots the recent values right-aligned: the newest at the right edge, one
  // step per value. Counts are drawn as steps, times and ratios as lines.
  function drawSpark(s) {
    const pts = s.points;
    if (!s.lineEl || pts.length === 0) return;
    const W = 100, H = 32, top = 2, bottom = H - 2;
    let lo = Math.min(...pts), hi = Math.max(...pts);
    const flat = lo === hi;
    if (flat) { // no change to show: a level line, low for zero, else halfway
      lo = lo === 0 ? 0 : lo - 1;
      hi = lo === 0 && pts[0] === 0 ? 1 : pts[0] + 1;
    }
    const n = pts.length;
    const step = W / Math.max(n - 1, SPARK_MIN_SPAN);
    const x = (i) => (W - (n - 1 - i) * step).toFixed(2);
    const y = (v) => (bottom - ((v - lo) / (hi - lo)) * (bottom - top)).toFixed(2);
    const stepped = unitOf(s) === "count";
    let d = "M" + (n === 1 ? (W - step).toFixed(2) : x(0)) + " " + y(pts[0]);
    for (let i = 1; i < n; i++) {
      d += stepped ? "H" + x(i) + "V" + y(pts[i]) : "L" + x(i) + " " + y(pts[i]);
    }
    if (n === 1) d += "H" + W;
    s.lineEl.setAttribute("d", d);
    const first = n === 1 ? (W - step).toFixed(2) : x(0);
    s.areaEl.setAttribute("d", flat ? "" : d + "V" + H + "H" + first + "Z");
  }

  // ---------------------------------------------------------------- statistics list

  async function sync() {
    const data = await api("GET", "/v1/statistics");
    const open = list(data, "statistics");
    const seen = new Set();
    for (const info of open) {
      if (!info || !info.id) continue;
      // A list fetched before one of our DELETEs finished may still name the statistic.
      if (st.closed.has(String(info.id))) continue;
      seen.add(String(info.id));
      addStat(info);
    }
    for (const s of Array.from(st.stats.values())) {
      if (!seen.has(s.id)) removeStat(s);
    }
    st.early.clear();
    updateEmpty();
  }

  function scheduleSync(ms) {
    if (st.syncSoon) return;
    st.syncSoon = setTimeout(() => {
      st.syncSoon = 0;
      sync().catch(showError);
    }, ms);
  }

  // peek reads one statistic's value (used when a value is needed before the stream has it).
  async function peek(id) {
    const v = await api("GET", "/v1/statistics/" + encodeURIComponent(id));
    const s = st.stats.get(id);
    if (s && v && "value" in v) {
      if (v.at) learnTime(v.at);
      setValue(s, v.value, v.at);
    }
  }

  // ---------------------------------------------------------------- stream

  function setConn(state, label) {
    const el = $("#conn");
    if (el.dataset.state === state) return;
    el.dataset.state = state;
    $("#conn-label").textContent = label;
  }

  function connect() {
    clearTimeout(st.retryTimer);
    if (st.es) st.es.close();
    const es = new EventSource("/v1/stream");
    st.es = es;
    es.addEventListener("open", () => {
      if (st.es !== es) return;
      st.retryMs = 1000;
      setConn("live", "Live");
      hideError();
      // After a reconnection the server may have restarted: statistics opened through
      // the API are gone, new ones may exist.
      if (st.opened) {
        st.closed.clear(); // ids closed before are gone from any server we reach now
        sync().catch(() => {});
      }
      st.opened = true;
      // A statistic the stream has not sent after a while (notification "none") is peeked.
      setTimeout(() => {
        if (st.es !== es) return;
        for (const s of st.stats.values()) if (s.value === undefined) peek(s.id).catch(() => {});
      }, 3000);
    });
    es.addEventListener("value", (ev) => {
      if (st.es !== es) return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if (!msg || msg.statistic === undefined) return;
      if (msg.at) learnTime(msg.at);
      const id = String(msg.statistic);
      if (st.closed.has(id)) return; // a value sent before our DELETE was applied
      const s = st.stats.get(id);
      if (s) {
        setValue(s, msg.value, msg.at);
      } else {
        st.early.set(id, msg); // opened elsewhere, or just now: learn about it
        scheduleSync(300);
      }
    });
    es.addEventListener("closed", (ev) => {
      if (st.es !== es) return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      const s = msg && st.stats.get(String(msg.statistic));
      if (s) removeStat(s);
    });
    es.addEventListener("error", () => {
      if (st.es !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (HTTP error or wrong content type): retry ourselves.
        setConn("reconnecting", "Reconnecting…");
        st.retryTimer = setTimeout(() => { init().catch(() => {}); }, st.retryMs);
        st.retryMs = Math.min(RETRY_MAX_MS, st.retryMs * 2);
      } else {
        setConn("reconnecting", "Reconnecting…"); // the browser retries by itself
      }
    });
  }

  // ---------------------------------------------------------------- errors

  function showError(err) {
    const b = $("#banner");
    b.textContent = "Cannot reach the statkit server: " + ((err && err.message) || err) + ". Retrying…";
    b.hidden = false;
  }

  function hideError() { $("#banner").hidden = true; }

  // ---------------------------------------------------------------- close

  async function closeStat(s) {
    st.closed.add(s.id);
    try {
      await api("DELETE", "/v1/statistics/" + encodeURIComponent(s.id));
    } catch (err) {
      if (err.status !== 404) {
        st.closed.delete(s.id);
        showError(err);
        return;
      }
    }
    removeStat(s);
    delete st.thresholds[s.id];
    saveThresholds();
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
    // Profiles, time ranges and filters are names, or objects with a name and details.
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
      const s = addStat(Object.assign({ id }, body));
      $("#add-dialog").close();
      if (s && s.el) s.el.scrollIntoView({ block: "nearest", behavior: "smooth" });
      // The stream sends the values of statistics opened after it started; peek in case
      // its first value came before this tile existed.
      if (s && s.value === undefined) await peek(id).catch(() => {});
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
    const unit = unitOf(s);
    const t = thresholdOf(s) || { dir: "off", warn: "", crit: "" };
    const own = st.thresholds[s.id];
    $("#t-dir").value = own && own.dir === "off" ? "off" : t.dir;
    $("#t-warn").value = t.warn === "" || t.warn === undefined ? "" : String(t.warn);
    $("#t-crit").value = t.crit === "" || t.crit === undefined ? "" : String(t.crit);
    const u = unit === "time" ? "(seconds)" : unit === "percent" ? "(%)" : "";
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
    if (!s) return;
    const dir = $("#t-dir").value;
    if (dir === "off") {
      st.thresholds[s.id] = { dir: "off" };
    } else {
      const num = (v) => (v === "" ? NaN : Number(v));
      st.thresholds[s.id] = { dir, warn: num($("#t-warn").value), crit: num($("#t-crit").value) };
    }
    saveThresholds();
    if (s.el) s.el.dataset.level = levelOf(s);
    $("#thr-dialog").close();
  }

  function resetThresholds() {
    const s = thrStat;
    if (!s) return;
    delete st.thresholds[s.id];
    saveThresholds();
    if (s.el) s.el.dataset.level = levelOf(s);
    $("#thr-dialog").close();
  }

  // ---------------------------------------------------------------- start

  async function init() {
    setConn(st.es ? "reconnecting" : "connecting", st.es ? "Reconnecting…" : "Connecting…");
    try {
      const cfg = await api("GET", "/v1/config");
      applyConfig(cfg);
      await sync();
      hideError();
    } catch (err) {
      showError(err);
      setConn("offline", "Offline");
      st.retryTimer = setTimeout(() => { init().catch(() => {}); }, st.retryMs);
      st.retryMs = Math.min(RETRY_MAX_MS, st.retryMs * 2);
      return;
    }
    connect();
  }

  function wire() {
    $("#add-open").addEventListener("click", openAdd);
    $("#add-cancel").addEventListener("click", () => $("#add-dialog").close());
    $("#add-form").addEventListener("submit", submitAdd);
    $("#f-stattype").addEventListener("change", onStatTypeChange);
    $("#f-objtype").addEventListener("change", onObjectTypeChange);
    $("#thr-form").addEventListener("submit", submitThresholds);
    $("#thr-cancel").addEventListener("click", () => $("#thr-dialog").close());
    $("#thr-reset").addEventListener("click", resetThresholds);
    $("#t-dir").addEventListener("change", syncThrInputs);
    const fs = $("#fullscreen");
    if (!document.fullscreenEnabled) fs.hidden = true;
    fs.addEventListener("click", () => {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else document.documentElement.requestFullscreen().catch(() => {});
    });
    setInterval(() => {
      tickClock();
      const now = Date.now();
      for (const s of st.stats.values()) {
        if (s.kind === "state") renderElapsed(s);
        else if (s.kind === "number" && s.points.length && now - s.lastPoint >= SPARK_HEARTBEAT_MS) pushPoint(s, s.value, now);
      }
    }, 1000);
    st.syncTimer = setInterval(() => {
      if (st.config) sync().catch(() => {});
    }, SYNC_MS);
    window.addEventListener("storage", (ev) => {
      if (ev.key !== THRESHOLDS_KEY) return;
      st.thresholds = loadThresholds();
      for (const s of st.stats.values()) if (s.kind === "number" && s.el) s.el.dataset.level = levelOf(s);
    });
  }

  wire();
  init();
})();
