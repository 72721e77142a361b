/* The trainee's incident room: pager, incident panel, update form, hints, latest events. */
"use strict";
(function () {
  const CD = window.CD;
  const recent = [];

  function pages(state) {
    const box = CD.$("#pages");
    const live = state.live;
    const inc = live && live.incident;
    const ackBtn = CD.$("#ack-btn"), declareBtn = CD.$("#declare-btn");
    const running = live && live.stage === "running";
    ackBtn.disabled = !(running && inc && !inc.acknowledged_by);
    declareBtn.disabled = !(running && !inc);
    if (!live || !live.pages.length) return;
    const acked = inc && inc.acknowledged_by;
    CD.clear(box, ...live.pages.map((p) => {
      const a = p.alert;
      const head = p.kind === "escalation"
        ? "Escalated to level " + p.level + ": " + p.target
        : "Page level " + p.level + " → " + p.target;
      return CD.el("div", { class: "page-item " + p.kind + (acked ? "" : " unacked") },
        CD.el("strong", { text: head }), " ",
        CD.el("span", { class: "muted small", text: "at " + CD.clock(p.t) }),
        a ? CD.el("div", { class: "small" }, CD.el("span", { class: "badge " + a.severity, text: a.severity }),
          " " + a.name + " = " + a.value + " (threshold " + a.threshold + ")") : null);
    }));
    if (acked) box.append(CD.el("p", { class: "pass small", text: "Acknowledged by " + acked.replace(/^trainee:/, "") }));
  }

  function incident(state) {
    const inc = state.live && state.live.incident;
    if (!inc) return;
    CD.$("#inc-id").textContent = inc.id;
    const status = CD.$("#inc-status");
    status.textContent = inc.status;
    status.className = "badge " + inc.status;
    CD.$("#inc-ack").textContent = inc.acknowledged_by ? inc.acknowledged_by.replace(/^trainee:/, "") : "nobody";
    CD.$("#inc-sev").textContent = inc.severity || "not set";
    CD.$("#inc-team").textContent = inc.team || "unassigned";
    const running = state.live.stage === "running";
    CD.clear(CD.$("#status-buttons"), ...inc.next_statuses.map((s) =>
      CD.el("button", { type: "button", class: s === "RESOLVED" ? "primary" : "", disabled: !running,
        onclick: () => move(s) }, "→ " + s)));
    const sev = state.live && inc.severity ? state.live.incident.severity : null;
    const label = CD.playbook && sev ? (CD.playbook.severities.find((s) => s.id === sev) || {}).label : "";
    for (const field of document.querySelectorAll("[data-auto]")) {
      if (CD.dirtyAuto && CD.dirtyAuto[field.name]) continue;
      field.value = { incident_id: inc.id, severity: label || "", status: inc.status }[field.dataset.auto] || "";
    }
  }

  async function move(status) {
    if (status === "RESOLVED" && !confirm("Resolve the incident? Only resolve once the service has recovered.")) return;
    await CD.run(CD.api("POST", "/api/incident/status", { status }), "Status → " + status);
    CD.refresh();
  }

  function hints(state) {
    const list = CD.$("#hints");
    if (!state.live || !state.live.hints.length) return;
    CD.clear(list, ...state.live.hints.map((h) => CD.el("li", { text: h })));
  }

  function latest(event) {
    if (event.type === "sli.sample") return;
    recent.push(event);
    if (recent.length > 10) recent.shift();
    CD.clear(CD.$("#recent"), ...recent.slice().reverse().map((e) => CD.el("li", {},
      CD.el("span", { class: "t", text: CD.clock(e.t) }),
      CD.el("span", { class: "who", text: e.actor.replace(/^trainee:/, "") }),
      CD.el("span", { class: "cat-" + e.category, text: e.text }))));
  }

  function wire() {
    CD.$("#ack-btn").addEventListener("click", CD.acknowledge);
    CD.$("#declare-btn").addEventListener("click", () =>
      CD.run(CD.api("POST", "/api/incident/declare"), "Incident declared.").then(CD.refresh));
    CD.$("#severity-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const picked = e.target.querySelector("input[name=severity]:checked");
      if (!picked) { CD.toast("Pick a severity first.", true); return; }
      await CD.run(CD.api("POST", "/api/incident/severity", { severity: picked.value }), "Severity " + picked.value);
      CD.refresh();
    });
    CD.$("#assign-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const team = CD.$("#team").value;
      await CD.run(CD.api("POST", "/api/incident/assign", { team }), "Assigned to " + team);
      CD.refresh();
    });
    CD.dirtyAuto = {};
    for (const field of document.querySelectorAll("[data-auto]")) {
      field.addEventListener("input", () => { CD.dirtyAuto[field.name] = true; });
    }
    CD.$("#update-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const fields = {};
      for (const input of e.target.querySelectorAll("input, textarea")) fields[input.name] = input.value;
      const ok = await CD.run(CD.api("POST", "/api/incident/update", { fields }), "Update posted.");
      if (ok) {
        e.target.querySelectorAll("textarea").forEach((t) => { t.value = ""; });
        CD.dirty = false;
        CD.dirtyAuto = {};
        CD.refresh();
      }
    });
  }

  CD.on("*", latest);
  CD.onState((s) => { pages(s); incident(s); hints(s); });
  document.addEventListener("DOMContentLoaded", wire);
})();
