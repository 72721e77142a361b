"""The playbook's severity from measured impact: bands, segments, few users, UI-only.

Pure: `measure(views)` reads the diagnostic views a trainee sees (routes with
their degradation against the steady-state baseline, the customers behind the
failing requests, the storefront check) into `Measured`; `classify` applies the
playbook's `triage` rules to it. The autopilot decides with it; tests call it
on hand-made numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scoring.names import SEVERITIES
from scoring.playbook import Triage
from simulator.drill.diagnosis import Diagnosis, severity

# A route "has errors" when this share of its requests failed (one stray 5xx is not).
ROUTE_ERROR_SHARE = 0.01
# One country is "a segment" when at least this many of its customers failed, at least
# this share of them did, and customers elsewhere stayed (nearly) clean.
SEGMENT_MIN_CUSTOMERS = 3
SEGMENT_SHARE = 0.15
ELSEWHERE_SHARE = 0.02


@dataclass(frozen=True)
class Measured:
    """What the views showed, in the playbook's terms."""

    errors: bool = False  # some route fails beyond noise
    users_with_errors: float = 0.0  # share of the customers seen who got a 5xx
    failing_by_country: dict[str, float] = field(default_factory=dict)  # share per country
    failing_customers: dict[str, int] = field(default_factory=dict)  # count per country
    worst_route: str | None = None
    worst_pct: float | None = None  # the most degraded route against the baseline
    site_pct: float | None = None  # the whole site, weighted by traffic
    storefront_problems: tuple[str, ...] = ()


def measure(views: dict[str, Any]) -> Measured:
    """`Measured` from the `routes`, `customers` and `storefront` views (any may be missing)."""
    routes = (views.get("routes") or {}).get("routes", {})
    people = views.get("customers") or {}
    # Errors beyond noise on a route, or any customer who got one (a rare failure may
    # miss the routes view's short window).
    errors = people.get("customers_with_errors", 0) > 0 or any(
        r.get("errors_5xx", 0) >= 2 and r.get("error_share", 0) >= ROUTE_ERROR_SHARE
        for r in routes.values()
    )
    degraded = {
        name: float(r["degraded_pct"])
        for name, r in routes.items()
        if r.get("degraded_pct") is not None
    }
    worst = max(degraded, key=lambda name: degraded[name]) if degraded else None
    store = views.get("storefront") or {}
    return Measured(
        errors=errors,
        users_with_errors=float(people.get("share_with_errors", 0.0)),
        failing_by_country=dict(people.get("share_with_errors_by_country", {})),
        failing_customers=dict(people.get("with_errors_by_country", {})),
        worst_route=worst,
        worst_pct=degraded[worst] if worst else None,
        site_pct=(views.get("routes") or {}).get("site_degraded_pct"),
        storefront_problems=tuple(store.get("problems", ())),
    )


def segment_of(m: Measured) -> str | None:
    """The one country whose customers fail while the others do not, if there is one."""
    hit = [
        c
        for c, share in m.failing_by_country.items()
        if share >= SEGMENT_SHARE and m.failing_customers.get(c, 0) >= SEGMENT_MIN_CUSTOMERS
    ]
    if len(hit) != 1:
        return None
    others = [share for c, share in m.failing_by_country.items() if c != hit[0]]
    return hit[0] if all(share <= ELSEWHERE_SHARE for share in others) else None


def louder(a: str, b: str) -> str:
    """The more severe of two severities."""
    return a if SEVERITIES.index(a) <= SEVERITIES.index(b) else b


def classify(m: Measured, triage: Triage, alert_level: str | None) -> tuple[str, str] | None:
    """The playbook's severity for what was measured, with the sentence that says why;
    None when the measurements say nothing (then the alerts decide).

    `alert_level` is the severity the worst firing alert suggests (None: no alert).
    Under-classification costs more than over-classification, so where a measured
    rule and a firing alert disagree upwards, the louder one wins.
    """
    if m.errors:
        share = m.users_with_errors
        if share >= triage.users_with_errors_p1:
            return "P1", f"{share:.0%} of the customers seen get errors (playbook: 50%+ -> P1)"
        segment = segment_of(m)
        if segment is not None:
            sev = triage.segment
            return sev, (
                f"errors are confined to one segment: customers from {segment}"
                f" ({m.failing_by_country[segment]:.0%} of them fail, others do not)"
                f" (playbook: a specific user segment -> {sev})"
            )
        if share <= triage.few_users.at_most and alert_level is None:
            sev = triage.few_users.severity
            return sev, (
                f"errors reach {share:.1%} of the customers seen and no alert fires"
                f" (playbook: edge-case bugs affecting few users -> {sev})"
            )
        return None
    if m.storefront_problems and alert_level is None:
        return "P3", (
            f"the storefront renders wrong ({m.storefront_problems[0]}) while the API works"
            " (playbook: a UI glitch not affecting functionality -> P3)"
        )
    if m.worst_pct is None:
        return None
    site = m.site_pct or 0.0
    if site > triage.p1_above * 100:
        sev, what = "P1", f"the whole site is {triage.band_text(site)}"
    elif m.worst_pct > triage.p1_above * 100:
        # One slow route while the site is not: partial functionality, at most P2.
        sev, what = (
            "P2",
            (
                f"{m.worst_route} is {m.worst_pct:.0f} % slower but the site only {site:.0f} %:"
                " one feature degraded, partial functionality (P2)"
            ),
        )
    else:
        sev = triage.band(m.worst_pct)
        what = f"{m.worst_route} is {triage.band_text(m.worst_pct)}; the site {site:.0f} %"
    if alert_level is not None and louder(alert_level, sev) != sev:
        return alert_level, f"{what}, but a firing alert asks for {alert_level}"
    return sev, what


def decide(
    diagnosis: Diagnosis | None,
    alerts: list[dict[str, Any]],
    views: dict[str, Any],
    triage: Triage,
    alert_severity: dict[str, str],
) -> tuple[str, str]:
    """The autopilot's severity: an outage or feature diagnosis first, then the
    measured impact, then the alerts alone (the rule before baselines existed)."""
    if diagnosis is not None and diagnosis.severity is not None:
        return severity(diagnosis, alerts, alert_severity)
    level = severity(None, alerts, alert_severity)[0] if alerts else None
    measured = measure(views)
    found = classify(measured, triage, level)
    if found is not None:
        return found
    sev, why = severity(None, alerts, alert_severity)
    return sev, f"{why} (measured: {describe(measured)})"


def describe(m: Measured) -> str:
    """The measured facts in one clause, for the evidence of a decision."""
    parts = [f"{m.users_with_errors:.0%} of customers with errors" if m.errors else "no errors"]
    if m.failing_customers:
        parts.append(
            "failing by country " + ", ".join(f"{c} {n}" for c, n in m.failing_customers.items())
        )
    if m.worst_pct is not None:
        parts.append(
            f"worst route {m.worst_route} +{m.worst_pct:.0f} %, site +{m.site_pct or 0:.0f} %"
        )
    return "; ".join(parts)
