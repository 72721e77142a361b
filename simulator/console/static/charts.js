/* Live SLI dashboards: the detector's sli.sample events drawn as SVG lines (no libraries). */
"use strict";
(function () {
  const CD = window.CD;
  const samples = [];
  const SVG = "http://www.w3.org/2000/svg";
  const W = 600, H = 170, PAD = { l: 58, r: 8, t: 8, b: 20 };
  let pending = false;

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }
  function scale(unit, v) { return typeof v === "number" ? (unit === "%" ? v * 100 : v) : null; }
  function label(unit, v) { return unit === "%" ? v.toFixed(v < 10 ? 1 : 0) + "%" : Math.round(v) + (unit === "ms" ? " ms" : ""); }

  function draw(box) {
    const key = box.dataset.chart, second = box.dataset.second, unit = box.dataset.unit;
    const threshold = box.dataset.threshold ? scale(unit, parseFloat(box.dataset.threshold)) : null;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none" });
    const pts = samples.filter((s) => typeof s[key] === "number");
    if (pts.length < 2) {
      const t = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle" });
      t.textContent = "waiting for samples…";
      root.append(t);
      box.replaceChildren(root);
      return;
    }
    const t0 = pts[0].t, t1 = pts[pts.length - 1].t;
    let values = pts.map((s) => scale(unit, s[key]));
    if (second) values = values.concat(pts.map((s) => scale(unit, s[second])).filter((v) => v !== null));
    let lo = Math.min(...values), hi = Math.max(...values);
    if (threshold !== null) { lo = Math.min(lo, threshold); hi = Math.max(hi, threshold); }
    if (key === "availability") { hi = 100; lo = Math.min(lo, threshold === null ? 99 : threshold) - 0.2; }
    else lo = 0;
    if (hi - lo < 1e-9) hi = lo + 1;
    hi = key === "availability" ? hi : hi * 1.1;
    const x = (t) => PAD.l + ((t - t0) / Math.max(1e-9, t1 - t0)) * (W - PAD.l - PAD.r);
    const y = (v) => H - PAD.b - ((v - lo) / (hi - lo)) * (H - PAD.t - PAD.b);
    root.append(svg("line", { class: "axis", x1: PAD.l, y1: H - PAD.b, x2: W - PAD.r, y2: H - PAD.b }));
    root.append(svg("line", { class: "axis", x1: PAD.l, y1: PAD.t, x2: PAD.l, y2: H - PAD.b }));
    for (const [v, yy] of [[hi, PAD.t + 8], [lo, H - PAD.b]]) {
      const t = svg("text", { x: PAD.l - 4, y: yy, "text-anchor": "end" });
      t.textContent = label(unit, v);
      root.append(t);
    }
    for (const [t, anchor] of [[t0, "start"], [t1, "end"]]) {
      const node = svg("text", { x: x(t), y: H - 4, "text-anchor": anchor });
      node.textContent = CD.clock(t);
      root.append(node);
    }
    if (threshold !== null) {
      root.append(svg("line", { class: "threshold", x1: PAD.l, x2: W - PAD.r, y1: y(threshold), y2: y(threshold) }));
      const tl = svg("text", { x: W - PAD.r - 2, y: y(threshold) - 3, "text-anchor": "end" });
      tl.textContent = "high alert";
      root.append(tl);
    }
    const line = (k, extra) => {
      const d = pts.filter((s) => typeof s[k] === "number")
        .map((s, i) => (i ? "L" : "M") + x(s.t).toFixed(1) + "," + y(scale(unit, s[k])).toFixed(1)).join("");
      root.append(svg("path", { class: "line", d, ...extra }));
    };
    if (second) line(second, { "stroke-opacity": "0.45" });
    line(key, {});
    box.replaceChildren(root);
  }

  function kpis() {
    const box = CD.$("#kpis");
    if (!box) return;
    const s = samples[samples.length - 1] || {};
    const items = [
      ["requests/s", CD.num(s.rps), false],
      ["error rate", CD.pct(s.error_rate), s.error_rate > 0.02],
      ["p50 / p99", (typeof s.p50_ms === "number" ? Math.round(s.p50_ms) : "n/a") + " / " + CD.ms(s.p99_ms), s.p99_ms > 500],
      ["availability", CD.pct(s.availability, 2), s.availability < 0.999],
    ];
    CD.clear(box, ...items.map(([name, value, bad]) =>
      CD.el("div", { class: "kpi" + (bad ? " bad" : "") },
        CD.el("div", { class: "value", text: value }), CD.el("div", { class: "label", text: name }))));
  }

  function firing(state) {
    const list = CD.$("#firing");
    if (!list || !state.live) return;
    const alerts = state.live.alerts_firing;
    if (!alerts.length) { CD.clear(list, CD.el("li", { class: "empty", text: "none" })); return; }
    CD.clear(list, ...alerts.map((a) => CD.el("li", {},
      CD.el("span", { class: "badge " + a.severity, text: a.severity }), " ",
      CD.el("strong", { text: a.name }), " value " + a.value + " (threshold " + a.threshold + ") since " + CD.clock(a.t))));
  }

  function render() {
    pending = false;
    document.querySelectorAll("[data-chart]").forEach(draw);
    kpis();
  }
  function soon() { if (!pending) { pending = true; requestAnimationFrame(render); } }

  CD.on("sli.sample", (e) => { samples.push({ t: e.t, ...e.data }); soon(); });
  CD.onState(firing);
  document.addEventListener("DOMContentLoaded", soon);
  window.addEventListener("resize", soon);
})();
