/* chaosdrill console core: token, API calls, the live stream, the pager banner, the clock.
   Every text from the server goes into the page through textContent, never as HTML. */
"use strict";
(function () {
  const meta = document.querySelector('meta[name="chaosdrill-token"]');
  const CD = {
    token: meta ? meta.content : "",
    role: document.body.dataset.role,
    page: document.body.dataset.page,
    name: document.body.dataset.name,
    state: null,
    playbook: null,
    dirty: false,
    handlers: {},
    stateHandlers: [],
  };
  window.CD = CD;

  CD.api = async function (method, path, body) {
    const init = { method, headers: { "X-Chaosdrill-Token": CD.token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : response.status + " " + response.statusText;
      throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return data;
  };

  /* el("p", {class: "x"}, "text", child) — attributes and text, never innerHTML. */
  CD.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  };
  CD.clear = function (node, ...children) { node.replaceChildren(...children); return node; };
  CD.$ = (selector) => document.querySelector(selector);

  CD.clock = function (t) {
    if (t === null || t === undefined) return "--:--";
    const s = Math.max(0, Math.round(t));
    return String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
  };
  CD.pct = (v, digits) => (typeof v === "number" ? (v * 100).toFixed(digits === undefined ? 1 : digits) + "%" : "n/a");
  CD.ms = (v) => (typeof v === "number" ? Math.round(v) + " ms" : "n/a");
  CD.num = (v) => (typeof v === "number" ? v.toFixed(1) : "n/a");

  CD.toast = function (text, isError) {
    const box = CD.$("#toast");
    if (!box) return;
    const item = CD.el("div", { class: isError ? "error" : "", text });
    box.append(item);
    setTimeout(() => item.remove(), isError ? 8000 : 4000);
  };
  CD.run = async function (promise, okText) {
    try {
      const result = await promise;
      if (okText) CD.toast(okText);
      return result;
    } catch (err) {
      CD.toast(err.message, true);
      return null;
    }
  };

  /* Live events: CD.on("incident.severity_set", fn) or CD.on("*", fn). */
  CD.on = function (type, fn) { (CD.handlers[type] = CD.handlers[type] || []).push(fn); };
  CD.onState = function (fn) { CD.stateHandlers.push(fn); if (CD.state) fn(CD.state); };
  const STATE_TYPES = /^(incident\.|page\.|alert\.|hint\.|drill\.|review\.|service\.|steady_state|participant\.|teardown)/;
  let stateTimer = null;
  CD.refresh = function () {
    clearTimeout(stateTimer);
    stateTimer = setTimeout(loadState, 120);
  };
  async function loadState() {
    try { CD.state = await CD.api("GET", "/api/state"); } catch (e) { return; }
    CD.stateLoadedAt = Date.now();
    for (const fn of CD.stateHandlers) fn(CD.state);
  }
  function dispatch(event) {
    for (const fn of CD.handlers[event.type] || []) fn(event);
    for (const fn of CD.handlers["*"] || []) fn(event);
    if (STATE_TYPES.test(event.type)) CD.refresh();
  }
  function connect() {
    if (!CD.token || CD.role === "join") return;
    const source = new EventSource("/api/stream?since=0&token=" + encodeURIComponent(CD.token));
    const dot = CD.$("#live-dot");
    source.addEventListener("open", () => dot && dot.classList.remove("off"));
    source.addEventListener("error", () => dot && dot.classList.add("off"));
    source.addEventListener("drill", (msg) => dispatch(JSON.parse(msg.data)));
    source.addEventListener("phase", (msg) => {
      const data = JSON.parse(msg.data);
      CD.refresh();
      if (data.reload && data.phase !== document.body.dataset.phase) {
        if (CD.dirty) CD.toast("The drill moved on (" + data.phase + "); reload the page when you are ready.");
        else setTimeout(() => { if (!CD.leaving) location.reload(); }, 300);
      }
      if (data.phase === "closed") CD.toast("The facilitator ended the session.");
    });
    CD.source = source;
  }
  document.addEventListener("input", (e) => { if (e.target.closest("form")) CD.dirty = true; });
  // A click on a link while the drill moves on: follow the click, do not reload under it.
  window.addEventListener("beforeunload", () => { CD.leaving = true; });

  /* The pager banner: loud until someone acknowledges. */
  function pager(state) {
    const banner = CD.$("#pager-banner");
    if (!banner) return;
    const live = state.live;
    const inc = live && live.incident;
    const pages = live ? live.pages : [];
    const open = pages.length && inc && !inc.acknowledged_by && !inc.resolved && live.stage === "running";
    banner.hidden = !open;
    document.title = (open ? "(!) PAGE · " : "") + document.title.replace(/^\(!\) PAGE · /, "");
    if (!open) return;
    const last = pages[pages.length - 1];
    const alert = last.alert ? last.alert.name + " " + last.alert.severity : "alert";
    const what = last.kind === "escalation"
      ? "ESCALATED to level " + last.level + " (" + last.target + "): nobody acknowledged"
      : "PAGE: " + alert + " — level " + last.level + ", " + last.target;
    CD.$("#pager-text").textContent = what + " · " + inc.id;
  }
  CD.acknowledge = function () {
    return CD.run(CD.api("POST", "/api/incident/ack", {}), "Acknowledged.").then(CD.refresh);
  };

  /* The clock: time left, counted down between state loads. */
  function tick() {
    const chip = CD.$("#clock");
    const state = CD.state;
    if (!chip || !state) return;
    const live = state.live;
    let text = state.phase === "lobby" ? "not started" : state.phase;
    if (live && live.clock.time_left_s !== null && live.clock.time_left_s !== undefined) {
      const running = live.stage === "running" && live.clock.ended_t === null;
      const passed = running ? (Date.now() - CD.stateLoadedAt) / 1000 : 0;
      text = running ? CD.clock(live.clock.time_left_s - passed) + " left" : "drill over";
    } else if (live) {
      text = live.drill_phase === "warm-up" || live.drill_phase === "setup" ? "warming up" : live.drill_phase;
    }
    chip.textContent = text;
    const phase = CD.$("#phase-chip");
    if (phase) phase.textContent = live ? (live.stage === "running" ? live.drill_phase : live.stage) : state.phase;
  }

  async function join() {
    const form = CD.$("#join-form");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { name: form.name.value, duty: form.duty.value };
      try {
        const joined = await CD.api("POST", "/api/join", body);
        location.assign("/c/" + encodeURIComponent(joined.token) + "/");
      } catch (err) {
        CD.$("#join-error").textContent = err.message;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", async () => {
    if (CD.role === "join") { join(); return; }
    CD.onState(pager);
    const ack = CD.$("#pager-ack");
    if (ack) ack.addEventListener("click", CD.acknowledge);
    document.addEventListener("keydown", (e) => {
      const typing = e.target.closest("input, textarea, select, [contenteditable]");
      if (!typing && e.key === "a" && CD.role === "trainee" && !CD.$("#pager-banner").hidden) CD.acknowledge();
    });
    try { CD.playbook = await CD.api("GET", "/api/playbook"); } catch (e) { /* pages still work */ }
    await loadState();
    connect();
    setInterval(tick, 1000);
    setInterval(loadState, 10000); // a safety net if a stream message is missed
    tick();
  });
})();
