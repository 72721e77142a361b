"""Triage calibration (issue 16) on hand-made numbers: the bands, segments, few users,
the UI-only rule, and the autopilot's severity for the five triage scenarios."""

from __future__ import annotations

import time
from typing import Any

import pytest

from scoring.playbook import load_playbook
from simulator.drill import baseline
from simulator.drill.diagnosis import diagnose
from simulator.drill.triage import Measured, classify, decide, measure, segment_of

PLAYBOOK = load_playbook(None)
TRIAGE = PLAYBOOK.triage
ROUTES = ("GET /products", "GET /products/search", "GET /products/{product_id}", "POST /orders")
COUNTRIES = ("BR", "DE", "FR", "GB", "IN", "JP", "NL", "SE", "US", "ZA")


def route(degraded: float | None = 0.0, errors: int = 0, requests: int = 100) -> dict[str, Any]:
    return {
        "requests": requests,
        "errors_5xx": errors,
        "error_share": errors / requests,
        "p50_ms": 5.0,
        "degraded_pct": degraded,
    }


def views(
    degraded: dict[str, float] | None = None,
    site: float | None = 0.0,
    errors: dict[str, int] | None = None,
    failing: dict[str, int] | None = None,
    seen_per_country: int = 10,
    storefront: list[str] | None = None,
    flags: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """The views a trainee would see, with only what these rules read filled in."""
    degraded, errors, failing = degraded or {}, errors or {}, failing or {}
    seen = seen_per_country * len(COUNTRIES)
    return {
        "routes": {
            "site_degraded_pct": site,
            "routes": {r: route(degraded.get(r, 0.0), errors.get(r, 0)) for r in ROUTES},
        },
        "customers": {
            "customers_seen": seen,
            "customers_with_errors": sum(failing.values()),
            "share_with_errors": sum(failing.values()) / seen,
            "with_errors_by_country": failing,
            "share_with_errors_by_country": {
                c: failing.get(c, 0) / seen_per_country for c in COUNTRIES
            },
        },
        "storefront": {"ok": not storefront, "problems": storefront or []},
        "deploys": {"running": "1.0.0", "history": [], "flags_changed": flags or {}},
        "health": {"healthz": {"ok": True}, "readyz": {"body": {"checks": {}}}},
        "host": {
            "process": {"pid": 1, "state": "running", "cpu_pct": 10, "rss_mb": 100},
            "disk": {"used_pct": 40, "free_mb": 1000},
        },
        "database": {"kind": "sqlite", "other_processes_with_file_open": [], "pool": {}},
        "dependencies": {},
    }


@pytest.mark.parametrize(
    ("pct", "band"), [(0, "P3"), (19.9, "P3"), (20, "P2"), (35, "P2"), (50, "P2"), (50.1, "P1")]
)
def test_the_playbook_bands(pct: float, band: str) -> None:
    assert TRIAGE.band(pct) == band
    assert f"({band})" in TRIAGE.band_text(pct)


def test_degradation_against_the_baseline_is_the_median_and_ignores_thin_traffic() -> None:
    def entries(route_name: str, ms: float, n: int) -> list[dict[str, Any]]:
        return [
            {
                "logger": "shop.access",
                "method": "GET",
                "route": route_name,
                "status": 200,
                "duration_ms": ms,
            }
            for _ in range(n)
        ]

    base = baseline.summarize(entries("/a", 10, 40) + entries("/b", 10, 5))
    now = baseline.summarize(entries("/a", 13.5, 40) + entries("/b", 100, 5))
    assert baseline.degradations(now, base) == {"GET /a": 35.0}  # /b: too few requests
    assert baseline.site_degradation(now, base) == 35.0
    assert baseline.from_data(baseline.to_data(base)) == base


# The five triage scenarios, as their measurements look to the autopilot.
SLOW_SEARCH = views({"GET /products/search": 38.0, "GET /products": 4.0}, site=6.0)
SLOW_SITE = views({r: 140.0 for r in ROUTES}, site=140.0)
SEGMENT = views(errors={"GET /products/{product_id}": 9}, failing={"JP": 6})
EDGE_CASE = views(
    errors={"GET /products/{product_id}": 2},
    failing={"US": 1, "DE": 1},
    flags={"product_summaries_enabled": True},
)
UI_GLITCH = views(
    storefront=["12 of 12 prices are shown without a currency (e.g. '92.11')"],
    flags={"storefront_v2_enabled": True},
)


@pytest.mark.parametrize(
    ("scenario", "seen", "alerts", "severity", "action"),
    [
        ("slow-search", SLOW_SEARCH, [], "P2", "feature.disable search_ranking"),
        ("slow-site", SLOW_SITE, [], "P1", "service.scale_up"),
        ("segment-errors", SEGMENT, [("error_rate", "high")], "P2", "deploy.rollback"),
        ("edge-case-bug", EDGE_CASE, [], "P3", "feature.disable product_summaries"),
        ("ui-glitch", UI_GLITCH, [], "P3", "feature.disable storefront_v2"),
    ],
)
def test_the_autopilot_picks_each_scenarios_severity_and_fix(
    scenario: str, seen: dict[str, Any], alerts: list[tuple[str, str]], severity: str, action: str
) -> None:
    if scenario == "segment-errors":  # a release went live a minute ago
        seen["deploys"]["history"] = [
            {"version": "1.0.0", "at": time.time() - 600},
            {"version": "1.3.0", "at": time.time() - 60},
        ]
    found = diagnose(seen)
    assert found is not None
    assert f"{found.action} {found.arg or ''}".strip() == action
    firing = [{"name": n, "severity": s} for n, s in alerts]
    sev, why = decide(found, firing, seen, TRIAGE, PLAYBOOK.alert_severity)
    assert sev == severity, why


def test_a_60_percent_slowdown_of_the_site_is_never_medium_even_with_a_medium_alert() -> None:
    m = Measured(worst_route="GET /products", worst_pct=62.0, site_pct=60.0)
    sev, why = classify(m, TRIAGE, "P2") or ("", "")
    assert sev == "P1" and "over 50 % band" in why


def test_a_louder_alert_wins_over_a_quieter_band() -> None:
    m = Measured(worst_route="GET /products", worst_pct=10.0, site_pct=10.0)
    assert classify(m, TRIAGE, "P1") == (
        "P1",
        "GET /products is degraded by 10 %, in the under 20 % band (P3); the site 10 %,"
        " but a firing alert asks for P1",
    )


def test_half_the_customers_failing_is_p1_and_many_countries_are_not_a_segment() -> None:
    # bad-deploy: BR, IN, JP and ZA fail, 40 % of the customers: not one segment, the alert decides.
    four = measure(
        views(errors={"POST /orders": 20}, failing={"BR": 10, "IN": 10, "JP": 10, "ZA": 10})
    )
    assert segment_of(four) is None and classify(four, TRIAGE, "P1") is None
    half = measure(views(errors={"POST /orders": 40}, failing={c: 6 for c in COUNTRIES}))
    assert classify(half, TRIAGE, None) is not None
    assert (classify(half, TRIAGE, None) or ("",))[0] == "P1"


def test_few_users_is_p3_only_while_no_alert_fires() -> None:
    few = measure(EDGE_CASE)
    assert (classify(few, TRIAGE, None) or ("",))[0] == "P3"
    assert classify(few, TRIAGE, "P2") is None  # an alert: the alert decides


def test_without_measurements_the_alerts_decide_as_before() -> None:
    sev, why = decide(
        None, [{"name": "error_rate", "severity": "high"}], {}, TRIAGE, PLAYBOOK.alert_severity
    )
    assert sev == "P1" and "measured: no errors" in why


def test_a_baseline_taken_in_a_busy_moment_does_not_hide_one_slow_route() -> None:
    def stats(p50: float) -> baseline.RouteStats:
        return baseline.RouteStats(requests=50, errors_5xx=0, p50_ms=p50, p90_ms=p50, p99_ms=p50)

    base = {"a": stats(10), "b": stats(10), "c": stats(10), "search": stats(20)}
    # The host is calmer now: every route 20 % faster, but search 1.35 x its calm speed.
    now = {"a": stats(8), "b": stats(8), "c": stats(8), "search": stats(20 * 0.8 * 1.35)}
    assert baseline.degradations(now, base)["search"] == 35.0
    # Slower everywhere is impact, never corrected away.
    slow = {r: stats(s.p50_ms * 2.5) for r, s in base.items()}
    assert set(baseline.degradations(slow, base).values()) == {150.0}


def test_on_a_busy_host_the_feature_that_stands_far_out_is_still_the_cause() -> None:
    busy = views(
        {"GET /products/search": 300.0, "GET /products": 78.0, "GET /products/{product_id}": 90.0},
        site=110.0,
    )
    found = diagnose(busy)
    assert found is not None and (found.action, found.arg) == ("feature.disable", "search_ranking")
