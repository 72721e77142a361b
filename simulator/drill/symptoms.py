"""Diagnosis rules for impact without outright failure: a slow route, a slow site,
a storefront that renders wrong. Each reads only the diagnostic views."""

from __future__ import annotations

import time

from simulator.drill.finding import RECENT_DEPLOY_S, Diagnosis, Views
from simulator.remediation.table import FEATURE_ROUTES

SLOW_PCT = 20.0  # a route this much slower than its baseline is "slow"
QUIET_PCT = 10.0  # the typical other route degraded by less than this: "usual speed"
EVERYWHERE_SHARE = 0.75  # "the whole site": this share of the measured routes is slow


def _degraded(v: Views) -> dict[str, float]:
    routes = v.get("routes", {}).get("routes", {})
    return {
        name: float(r["degraded_pct"])
        for name, r in routes.items()
        if r.get("degraded_pct") is not None
    }


def storefront_after_release(v: Views) -> Diagnosis | None:
    problems = v.get("storefront", {}).get("problems") or []
    history = v.get("deploys", {}).get("history") or []
    if not problems or len(history) < 2:
        return None
    last = history[-1]
    if time.time() - float(last["at"]) >= RECENT_DEPLOY_S:
        return None
    return Diagnosis(
        "frontend",
        "deploy.rollback",
        None,
        None,
        f"release {last['version']} went live {time.time() - last['at']:.0f}s ago and the"
        f" storefront renders wrong since: {problems[0]}",
    )


def slow_feature(v: Views) -> Diagnosis | None:
    degraded = _degraded(v)
    for feature, prefixes in FEATURE_ROUTES.items():
        mine = {r: pct for r, pct in degraded.items() if any(p in r for p in prefixes)}
        others = sorted(pct for r, pct in degraded.items() if r not in mine)
        if not mine or not others or min(mine.values()) < SLOW_PCT:
            continue
        # The rest of the shop at its usual speed: one noisy route does not count.
        if others[len(others) // 2] < QUIET_PCT:
            worst = max(mine, key=lambda r: mine[r])
            return Diagnosis(
                "application",
                "feature.disable",
                feature,
                None,
                f"only the {feature} feature is slow ({worst} {mine[worst]:.0f} % over its"
                " baseline); the rest of the shop runs at its usual speed",
            )
    return None


def slow_everywhere(v: Views) -> Diagnosis | None:
    degraded = _degraded(v)
    slow = [r for r, pct in degraded.items() if pct >= SLOW_PCT]
    if len(degraded) < 3 or len(slow) < EVERYWHERE_SHARE * len(degraded):
        return None
    site = v.get("routes", {}).get("site_degraded_pct")
    return Diagnosis(
        "infrastructure",
        "service.scale_up",
        None,
        None,
        f"{len(slow)} of {len(degraded)} routes are slower than their baseline (the site by"
        f" {site if site is not None else '?'} %) with no errors and no slow dependency:"
        " the shop is short of capacity",
    )
