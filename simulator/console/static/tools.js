/* Trainee tools: logs, diagnostics, the runbook toolbox, and the timeline page. */
"use strict";
(function () {
  const CD = window.CD;
  const el = CD.el;

  /* ---- logs ---- */
  let follow = null;
  async function loadLogs(record) {
    const form = CD.$("#log-filter");
    const params = new URLSearchParams({ level: form.level.value, status: form.status.value,
      route: form.route.value, q: form.q.value, limit: "200", record: record ? "true" : "false" });
    let data;
    try { data = await CD.api("GET", "/api/logs?" + params); } catch (err) {
      CD.$("#log-count").textContent = err.message;
      return;
    }
    const rows = data.lines.slice().reverse().map((l) => el("tr", {},
      el("td", { text: (l.time || "").slice(11, 23) }),
      el("td", { class: "lvl-" + l.level, text: l.level }),
      el("td", { text: l.status === undefined ? "" : l.status }),
      el("td", { text: l.method ? l.method + " " + l.path : "" }),
      el("td", { class: "num", text: l.duration_ms === undefined ? "" : l.duration_ms }),
      el("td", { text: (l.msg || "") + (l.exception ? " — " + l.exception : "") })));
    CD.clear(CD.$("#log-lines"), ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 6, class: "empty", text: "No matching lines." }))]));
    CD.$("#log-count").textContent = data.lines.length + " line(s), newest first" + (form.follow.checked ? " · following" : "");
  }
  function logsPage() {
    const form = CD.$("#log-filter");
    form.addEventListener("submit", (e) => { e.preventDefault(); loadLogs(true); });
    clearInterval(follow);
    follow = setInterval(() => { if (form.follow.checked) loadLogs(false); }, 2000);
  }

  /* ---- diagnostics: any JSON, drawn as tables and lists ---- */
  function render(value) {
    if (value === null || value === undefined) return el("span", { class: "muted", text: "—" });
    if (Array.isArray(value)) {
      if (!value.length) return el("span", { class: "empty", text: "none" });
      if (value.every((v) => v && typeof v === "object" && !Array.isArray(v))) {
        const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
        return el("table", {}, el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", { text: k })))),
          el("tbody", {}, ...value.map((v) => el("tr", {}, ...keys.map((k) => el("td", {}, render(v[k])))))));
      }
      return el("ul", {}, ...value.map((v) => el("li", {}, render(v))));
    }
    if (typeof value === "object") {
      const keys = Object.keys(value);
      if (!keys.length) return el("span", { class: "empty", text: "none" });
      return el("table", {}, el("tbody", {}, ...keys.map((k) =>
        el("tr", {}, el("th", { text: k.replace(/_/g, " ") }), el("td", {}, render(value[k]))))));
    }
    if (typeof value === "number" && value > 1e9 && value < 2e10) return new Date(value * 1000).toISOString().slice(0, 19).replace("T", " ");
    return String(value);
  }
  function diagnosticsPage() {
    for (const button of document.querySelectorAll("[data-view]")) {
      button.addEventListener("click", async () => {
        const out = CD.$("#diag-out");
        CD.$("#diag-name").textContent = button.textContent;
        CD.clear(out, el("p", { class: "muted", text: "Looking…" }));
        try {
          CD.clear(out, render(await CD.api("GET", "/api/diagnostics/" + button.dataset.view)));
        } catch (err) {
          CD.clear(out, el("p", { class: "fail", text: err.message }));
        }
      });
    }
  }

  /* ---- runbook ---- */
  function runbookPage() {
    const dialog = CD.$("#confirm-action");
    let chosen = null;
    for (const button of document.querySelectorAll("[data-action]")) {
      button.addEventListener("click", () => {
        chosen = button.dataset.action;
        CD.$("#confirm-name").textContent = chosen;
        CD.$("#confirm-summary").textContent = button.dataset.summary;
        CD.$("#confirm-evidence").value = "";
        dialog.showModal();
        CD.$("#confirm-run").focus();
      });
    }
    dialog.addEventListener("close", async () => {
      if (dialog.returnValue !== "run" || !chosen) return;
      const argInput = document.querySelector('[data-arg-for="' + chosen + '"]');
      const body = { action: chosen, confirm: true, evidence: CD.$("#confirm-evidence").value,
        arg: argInput && argInput.value ? argInput.value : null };
      const list = CD.$("#action-results");
      const item = el("li", {}, el("code", { text: chosen }), " running…");
      if (list.querySelector(".empty")) CD.clear(list);
      list.prepend(item);
      try {
        const result = await CD.api("POST", "/api/incident/action", body);
        CD.clear(item, el("code", { text: chosen }), " ",
          el("span", { class: result.result === "ok" ? "pass" : "fail", text: result.result }), " — " + result.detail);
      } catch (err) {
        CD.clear(item, el("code", { text: chosen }), " ", el("span", { class: "fail", text: err.message }));
      }
    });
  }

  /* ---- timeline ---- */
  function timelinePage() {
    const list = CD.$("#timeline");
    const views = CD.$("#tl-views");
    let first = true;
    CD.on("*", (e) => {
      if (e.type === "sli.sample") return;
      if (first) { CD.clear(list); first = false; }
      const item = el("li", { "data-type": e.type, hidden: e.type === "diagnostic.viewed" && !views.checked },
        el("span", { class: "t", text: CD.clock(e.t) }),
        el("span", { class: "who", text: e.actor.replace(/^trainee:/, ""), title: e.actor }),
        el("span", { class: "cat-" + e.category, text: e.text }));
      list.prepend(item);
    });
    views.addEventListener("change", () => {
      list.querySelectorAll('[data-type="diagnostic.viewed"]').forEach((li) => { li.hidden = !views.checked; });
    });
  }

  const PAGES = { logs: logsPage, diagnostics: diagnosticsPage, runbook: runbookPage, timeline: timelinePage };
  if (PAGES[CD.page]) {
    if (CD.page === "timeline") timelinePage(); // before the stream opens: catch the backlog
    else document.addEventListener("DOMContentLoaded", PAGES[CD.page]);
  }
})();
