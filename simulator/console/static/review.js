/* The post-incident review form and the scorecards after the drill. */
"use strict";
(function () {
  const CD = window.CD;
  const el = CD.el;

  function reviewPage() {
    const form = CD.$("#review-form");
    CD.onState((state) => {
      const live = state.live;
      const open = live && live.review_open && !live.reviewed;
      if (open && form.hidden) {
        form.hidden = false;
        const closed = CD.$("#review-closed");
        if (closed) closed.hidden = true;
      }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fields = {};
      for (const t of form.querySelectorAll("textarea")) fields[t.name] = t.value;
      const items = [...form.querySelectorAll("[data-item]")].map((row) => ({
        item: row.querySelector("[name=item]").value, owner: row.querySelector("[name=owner]").value,
        due: row.querySelector("[name=due]").value, status: row.querySelector("[name=status]").value,
      })).filter((i) => i.item.trim());
      const ok = await CD.run(CD.api("POST", "/api/review", { fields, action_items: items }), "Review submitted. Thank you.");
      if (ok) {
        CD.dirty = false;
        form.hidden = true;
        form.after(el("p", { class: "pass", text: "Your review is in. The scorecard appears when the drill is scored." }),
          el("p", {}, el("a", { href: "/c/" + encodeURIComponent(CD.token) + "/scorecard", text: "Go to the scorecard" })));
      }
    });
  }

  function criteria(card) {
    return el("table", {}, el("thead", {}, el("tr", {}, el("th", { text: "criterion" }), el("th", { class: "num", text: "points" }), el("th", { text: "feedback" }))),
      el("tbody", {}, ...card.criteria.map((c) => el("tr", {},
        el("td", {}, c.label, c.shared ? el("span", { class: "muted small", text: " (team)" }) : null),
        el("td", { class: "num " + (c.passed ? "pass" : c.points > 0 ? "" : "fail"), text: c.points + "/" + c.max_points }),
        el("td", { text: c.feedback })))));
  }
  function status(c) {
    if (c.start_t === null) return "n/a";
    if (c.stop_t === null) return "MISSED";
    if (c.passed === null) return "no target";
    return c.passed ? "PASS" : "FAIL";
  }
  function clocks(card) {
    return el("table", {}, el("thead", {}, el("tr", {}, ...["clock", "measured", "target", "result"].map((h) => el("th", { text: h })))),
      el("tbody", {}, ...Object.values(card.clocks).map((c) => {
        const result = status(c);
        return el("tr", {},
          el("td", { text: c.label }),
          el("td", { class: "num", text: c.scaled_s === null ? "—" : CD.clock(c.scaled_s) }),
          el("td", { class: "num", text: c.target_s === null ? "—" : CD.clock(c.target_s) }),
          el("td", { class: result === "PASS" ? "pass" : result === "FAIL" || result === "MISSED" ? "fail" : "muted", text: result }));
      })));
  }
  function cardSection(title, card) {
    return el("section", { class: "card" },
      el("div", { class: "row spread" }, el("h2", { text: title }),
        el("div", {}, el("span", { class: "grade", text: card.grade }), " ", el("strong", { text: card.total + " / 100" }))),
      criteria(card), el("h3", { text: "Clocks" }), clocks(card));
  }
  function answer(data) {
    const a = data.answer;
    return el("section", { class: "card" }, el("h2", { text: "What a good response looked like" }),
      el("p", {}, "Severity ", el("strong", { text: a.severity + " (" + a.severity_label + ")" }), " · team ", el("strong", { text: a.team })),
      el("p", { text: a.root_cause }),
      el("p", {}, "Accepted fixes: ", el("code", { text: a.remediations.join(", ") || "none" })),
      el("p", { class: "muted small", text: "Outcome: " + data.outcome + " — " + data.outcome_detail }),
      el("p", {}, el("a", { href: "/c/" + encodeURIComponent(CD.token) + "/report", text: "The full report (timeline and charts)" })));
  }
  async function scorecardPage() {
    const box = CD.$("#scorecard");
    async function load() {
      let data;
      try { data = await CD.api("GET", "/api/scorecard"); } catch (err) { return false; }
      const parts = [];
      if (data.mine) parts.push(cardSection("Your scorecard — " + data.mine.name + (data.mine.role ? " (" + data.mine.role + ")" : ""), data.mine));
      parts.push(cardSection("The team", data.team));
      if (data.participants) data.participants.forEach((p) => parts.push(cardSection(p.name + (p.role ? " (" + p.role + ")" : ""), p)));
      parts.push(answer(data));
      CD.clear(box, ...parts);
      return true;
    }
    if (!(await load())) CD.onState((s) => { if (s.live && s.live.scored) load(); });
  }

  if (CD.page === "review") document.addEventListener("DOMContentLoaded", reviewPage);
  if (CD.page === "scorecard") document.addEventListener("DOMContentLoaded", scorecardPage);
})();
