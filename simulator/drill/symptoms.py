"""Diagnosis rules for impact without outright failure: a slow route, a slow site,
a storefront that renders wrong. Each reads only the diagnostic views."""

from __future__ import annotations

import time

from simulator.drill.finding import RECENT_DEPLOY_S, Diagnosis, Views
from simulator.remediation.table import FEATURES

SLOW_PCT = 20.0  # a route this much slower than its baseline is "slow"
QUIET_PCT = 10.0  # the typical other route degraded by less than this: "usual speed"
STANDOUT = 2.5  # ... or the feature's routes this many times as degraded as the typical one
EVERYWHERE_SHARE = 0.75  # "the whole site": this share of the measured routes is slow


def _degraded(v: Views) -> dict[str, float]:
    routes = v.get("routes", {}).get("routes", {})
    return {
        name: float(r["degraded_pct"])
        for name, r in routes.items()
        if r.get("degraded_pct") is not None
    }


def _flags_on(v: Views) -> list[str]:
    """Features whose flag was switched on away from its default (newest changes)."""
    changed = v.get("deploys", {}).get("flags_changed") or {}
    return [
        name.removesuffix("_enabled")
        for name, value in changed.items()
        if value is True and name.endswith("_enabled")
    ]


def storefront_after_release(v: Views) -> Diagnosis | None:
    """The storefront renders wrong since a change: switch its flag off, or roll back."""
    problems = v.get("storefront", {}).get("problems") or []
    if not problems:
        return None
    flags = [f for f in _flags_on(v) if "storefront" in f]
    if flags:
        return Diagnosis(
            "frontend",
            "feature.disable",
            flags[0],
            None,
            f"the {flags[0]} flag is on and the storefront renders wrong: {problems[0]}",
        )
    history = v.get("deploys", {}).get("history") or []
    if len(history) < 2 or time.time() - float(history[-1]["at"]) >= RECENT_DEPLOY_S:
        return None
    last = history[-1]
    return Diagnosis(
        "frontend",
        "deploy.rollback",
        None,
        None,
        f"release {last['version']} went live {time.time() - last['at']:.0f}s ago and the"
        f" storefront renders wrong since: {problems[0]}",
    )


def errors_after_flag(v: Views) -> Diagnosis | None:
    """5xx errors while a new feature's flag is on: switch the feature off."""
    routes = v.get("routes", {}).get("routes", {})
    failing = {r for r, row in routes.items() if row.get("errors_5xx", 0) > 0}
    # A rare failure may miss the routes view's short window: the error log keeps longer.
    failing |= {
        f"{line.get('method')} {line.get('path')}"
        for line in v.get("logs", {}).get("lines", [])
        if line.get("level") == "error" and line.get("path")
    }
    flags = _flags_on(v)
    if not failing or not flags:
        return None
    return Diagnosis(
        "application",
        "feature.disable",
        flags[0],
        None,
        f"the {flags[0]} flag is on and 5xx errors show on {', '.join(sorted(failing)[:3])}",
    )


def slow_feature(v: Views) -> Diagnosis | None:
    degraded = _degraded(v)
    for feature, prefixes in FEATURES.items():
        if not prefixes:
            continue
        mine = {r: pct for r, pct in degraded.items() if any(p in r for p in prefixes)}
        others = sorted(pct for r, pct in degraded.items() if r not in mine)
        if not mine or not others or min(mine.values()) < SLOW_PCT:
            continue
        # The rest of the shop at its usual speed (one noisy route does not count), or a
        # busy host slows everything a little and this feature stands far out.
        typical = others[len(others) // 2]
        if typical < QUIET_PCT or min(mine.values()) >= STANDOUT * typical:
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
