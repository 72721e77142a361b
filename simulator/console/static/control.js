/* The facilitator's control room: pick, start, people and links, hints, faults, abort, results. */
"use strict";
(function () {
  const CD = window.CD;
  const el = CD.el;
  const post = (path, body, ok) => CD.run(CD.api("POST", path, body || {}), ok);

  async function scenarios() {
    const box = CD.$("#scenarios");
    if (!box) return;
    const list = await CD.run(CD.api("GET", "/api/facilitator/scenarios"));
    if (!list) return;
    const state = CD.state || (await CD.api("GET", "/api/state").catch(() => null));
    const chosen = state && state.scenario ? state.scenario.id : null;
    CD.clear(box, ...list.map((s) => el("label", { class: "scenario" },
      el("input", { type: "radio", name: "scenario", value: s.id, checked: s.id === chosen,
        onchange: async () => { if (await post("/api/facilitator/scenario", { id: s.id }, "Picked " + s.title)) { CD.$("#start-btn").disabled = false; answerKey(); } } }),
      " ", el("strong", { text: s.title }), " ", el("span", { class: "muted small", text: "(" + s.id + " · " + s.difficulty + " · " + s.database + " · " + Math.round(s.time_limit_s / 60) + " min)" }),
      el("div", { class: "small briefing", text: s.briefing }))));
  }

  async function links() {
    const data = await CD.run(CD.api("GET", "/api/facilitator/links"));
    if (!data) return;
    const row = (label, link) => el("div", {}, el("strong", { text: label + ": " }),
      el("a", { class: "link-box", href: link, target: "_blank", rel: "noreferrer", text: link }), " ",
      el("button", { type: "button", onclick: () => navigator.clipboard && navigator.clipboard.writeText(link).then(() => CD.toast("Copied.")) }, "copy"));
    CD.clear(CD.$("#links"), row("Trainees join here (they type their name)", data.join), row("Observers", data.observer),
      ...data.trainees.map((t) => row(t.name + " (" + t.duty + ")", t.link)));
  }

  async function answerKey() {
    const box = CD.$("#answer-key");
    const key = await CD.api("GET", "/api/facilitator/answer-key").catch(() => null);
    if (!key) return;
    box.textContent = JSON.stringify(key, null, 2);
    const hints = CD.$("#scenario-hints");
    if (hints) CD.clear(hints, ...key.hints.map((h, i) => el("li", {}, el("span", { text: "after " + h.after_s + "s: " + h.text + " " }),
      el("button", { type: "button", onclick: () => post("/api/facilitator/hint", { index: i }, "Hint given.") }, "Give"))));
  }

  function people(state) {
    const list = CD.$("#people");
    if (!state.participants.length) { CD.clear(list, el("li", { class: "empty", text: "Nobody has joined yet." })); return; }
    CD.clear(list, ...state.participants.map((p) => el("li", {}, el("strong", { text: p.name }), " — " + p.duty + (p.reviewed ? " · review in" : ""))));
  }

  function running(state) {
    const live = state.live;
    if (!live) return;
    const stage = CD.$("#stage");
    if (stage) stage.textContent = live.stage;
    const phase = CD.$("#drill-phase");
    if (phase) phase.textContent = live.drill_phase;
    const inc = live.incident;
    const line = CD.$("#incident-line");
    if (line) line.textContent = inc ? inc.id + " · " + inc.status + " · severity " + (inc.severity || "—") + " · team " + (inc.team || "—") + " · acknowledged by " + (inc.acknowledged_by || "nobody") : "No incident yet.";
    const over = live.stage !== "running";
    const abort = CD.$("#abort-btn");
    if (abort) abort.disabled = over;
    document.querySelectorAll("[data-extend]").forEach((b) => { b.disabled = over; });
    const score = CD.$("#score-btn");
    if (score) score.hidden = live.stage !== "review";
    const next = CD.$("#next-btn");
    if (next) next.hidden = live.stage !== "scored";
    const review = CD.$("#review-line");
    if (review) review.textContent = live.stage === "review" ? "Waiting for reviews: " + state.participants.filter((p) => p.reviewed).length + " of " + state.participants.length + " in." : "";
    const files = CD.$("#files");
    if (files && live.report_dir) files.textContent = "Results in " + live.report_dir + (live.error ? " · error: " + live.error : "");
    if (live.scored) cards();
  }

  let cardsShown = false;
  async function cards() {
    if (cardsShown) return;
    const data = await CD.api("GET", "/api/scorecard").catch(() => null);
    if (!data) return;
    cardsShown = true;
    const rows = [data.team, ...(data.participants || [])].map((c) => el("tr", {},
      el("td", { text: c.name }), el("td", { text: c.role || "" }), el("td", { class: "num", text: c.total }), el("td", { text: c.grade }),
      el("td", { text: (c.criteria.filter((x) => !x.shared).sort((a, b) => a.points / (a.max_points || 1) - b.points / (b.max_points || 1))[0] || {}).label || "" })));
    if (data.baseline) rows.push(el("tr", {}, el("td", { text: "autopilot (baseline)" }), el("td"), el("td", { class: "num", text: data.baseline.card.total }), el("td", { text: data.baseline.card.grade }), el("td")));
    CD.clear(CD.$("#cards"),
      el("table", {}, el("thead", {}, el("tr", {}, ...["who", "role", "points", "grade", "weakest"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows)),
      el("p", {}, el("a", { href: "/c/" + encodeURIComponent(CD.token) + "/scorecard", text: "Every card in full" }), " · ",
        el("a", { href: "/c/" + encodeURIComponent(CD.token) + "/report", text: "the report" })));
    CD.$("#cards-card").hidden = false;
  }

  function timeline() {
    const list = CD.$("#timeline");
    let first = true;
    CD.on("*", (e) => {
      if (e.type === "sli.sample") return;
      if (first) { CD.clear(list); first = false; }
      list.prepend(el("li", {}, el("span", { class: "t", text: CD.clock(e.t) }),
        el("span", { class: "who", text: e.actor.replace(/^trainee:/, ""), title: e.actor }),
        el("span", { class: "cat-" + e.category, text: e.text })));
      while (list.children.length > 400) list.lastChild.remove();
    });
  }

  function wire() {
    const on = (sel, ev, fn) => { const n = CD.$(sel); if (n) n.addEventListener(ev, fn); };
    on("#start-btn", "click", () => post("/api/facilitator/start", {}, "Starting: the service is coming up."));
    on("#abort-btn", "click", async () => {
      if (!confirm("Abort the drill? Every fault is reverted at once.")) return;
      const r = await post("/api/facilitator/abort", { reason: "aborted by the facilitator" });
      if (r) CD.toast("Aborted; faults reverted in " + r.faults_reverted_in_s + " s.");
    });
    document.querySelectorAll("[data-extend]").forEach((b) => b.addEventListener("click", () =>
      post("/api/facilitator/extend", { seconds: Number(b.dataset.extend) }, "Added " + b.textContent + ".").then(CD.refresh)));
    on("#score-btn", "click", () => post("/api/facilitator/score", {}, "Scoring…"));
    on("#next-btn", "click", () => post("/api/facilitator/next", {}, "Back to the scenario picker."));
    on("#end-btn", "click", async () => { if (confirm("End the session for everyone?")) post("/api/facilitator/end", { confirm: true }, "Session ending."); });
    on("#hint-form", "submit", async (e) => {
      e.preventDefault();
      if (await post("/api/facilitator/hint", { text: CD.$("#hint-text").value }, "Hint given.")) CD.$("#hint-text").value = "";
    });
    on("#person-form", "submit", async (e) => {
      e.preventDefault();
      if (await post("/api/facilitator/participants", { name: CD.$("#person-name").value, duty: CD.$("#person-duty").value }, "Added.")) { CD.$("#person-name").value = ""; links(); CD.refresh(); }
    });
    on("#inject-form", "submit", async (e) => {
      e.preventDefault();
      let params;
      try { params = JSON.parse(CD.$("#inject-params").value || "{}"); } catch (err) { CD.toast("Parameters are not valid JSON.", true); return; }
      const r = await post("/api/facilitator/inject", { kind: CD.$("#inject-kind").value, params, ttl_s: Number(CD.$("#inject-ttl").value) });
      if (r) CD.toast("Injected " + r.fault_id + ".");
    });
    const kinds = CD.$("#inject-kind");
    if (kinds) CD.api("GET", "/api/facilitator/fault-kinds").then((list) =>
      list.forEach((k) => kinds.append(el("option", { value: k.kind, text: k.kind + " — " + k.summary })))).catch(() => null);
    scenarios();
    answerKey();
  }

  let known = -1;
  CD.onState((s) => {
    people(s);
    running(s);
    if (s.participants.length !== known) { known = s.participants.length; links(); }
  });
  timeline();
  document.addEventListener("DOMContentLoaded", wire);
})();
