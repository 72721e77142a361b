"""Severity calibration: the band the measured degradation fell in, and whether
the responders told the audience the playbook's notification rules name.

Pure helpers of the severity rule (`decisions.py`). The band comes from the
engine's `degradation.measured` events (per-route latency against the
steady-state baseline) while the first fault was open; the notification from
the scored responders' `incident.notified` events.
"""

from __future__ import annotations

import statistics

from scoring.criteria.base import RuleInput
from scoring.names import NOTIFY_CHANNELS

# A route is "the" degraded one when it was the worst in this share of the measurements.
CONSISTENT_SHARE = 0.6
ROUTE_MARGIN = 1.5


def measured_degradation(inp: RuleInput) -> tuple[str, float] | None:
    """What was degraded and by how much (%) while the fault was open, from the
    engine's measurements: one route when the same route was the worst in most of
    them (a slow feature), else the whole site (a noisy route does not count)."""
    view = inp.view
    if view.t0 is None:
        return None
    ends = [e.t for e in view.of("fault.reverted")]
    until = min(ends) if ends else view.end_t
    sites: list[float] = []
    worst: dict[str, list[float]] = {}
    for event in view.of("degradation.measured"):
        if not view.t0 < event.t <= until:
            continue
        site, route, pct = (event.data.get(k) for k in ("site_pct", "worst_route", "worst_pct"))
        if isinstance(site, int | float):
            sites.append(float(site))
        if isinstance(route, str) and isinstance(pct, int | float):
            worst.setdefault(route, []).append(float(pct))
    if not sites:
        return None
    site = round(statistics.median(sites), 1)
    if worst:
        route, pcts = max(worst.items(), key=lambda item: len(item[1]))
        steady = len(pcts) >= CONSISTENT_SHARE * len(sites)
        # Clearly slow, not a route that is merely the noisiest: well into the P2 band.
        clear = statistics.median(pcts) >= ROUTE_MARGIN * inp.playbook.triage.p2_from * 100
        if steady and clear and statistics.median(pcts) > site:
            return route, round(statistics.median(pcts), 1)
    return "the site", site


def measured_band(inp: RuleInput) -> str | None:
    """'GET /products/search degraded by 35 %, in the 20-50 % band (P2)', or None."""
    found = measured_degradation(inp)
    if found is None:
        return None
    what, pct = found
    return f"{what} {inp.playbook.triage.band_text(pct)}"


def notification_deduction(inp: RuleInput) -> tuple[float, str]:
    """(share of the criterion lost, the sentence) for the last notification sent;
    (0, "") when the scored responders sent none or sent the right one."""
    sent = inp.view.last("incident.notified", scope=inp.scope)
    if sent is None:
        return 0.0, ""
    true = inp.expectations.severity
    triage = inp.playbook.triage
    want = triage.notification[true]
    got = str(sent.data.get("channel", ""))
    if got == want or got not in NOTIFY_CHANNELS:
        return 0.0, f"Notifying via {got} matched the playbook for {true}." if got == want else ""
    louder = NOTIFY_CHANNELS.index(got) < NOTIFY_CHANNELS.index(want)
    if louder:
        cut = triage.notification_deduction.over
        return cut, (
            f"Notifying via {got} was louder than the playbook's {want} for {true}"
            f" (-{cut:.0%} of this criterion: waking people costs less than silence,"
            " but it still costs)."
        )
    cut = triage.notification_deduction.under
    return cut, (
        f"Notifying via {got} was quieter than the playbook's {want} for {true}"
        f" (-{cut:.0%} of this criterion: under-notifying leaves customers hurting)."
    )
