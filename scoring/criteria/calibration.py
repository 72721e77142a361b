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


def measured_degradation(inp: RuleInput) -> float | None:
    """The typical degradation while the fault was open (median of the engine's
    measurements of max(site, worst route)); None when nothing was measured."""
    view = inp.view
    if view.t0 is None:
        return None
    ends = [e.t for e in view.of("fault.reverted")]
    until = min(ends) if ends else view.end_t
    values = []
    for event in view.of("degradation.measured"):
        if view.t0 < event.t <= until:
            site = event.data.get("site_pct")
            worst = event.data.get("worst_pct")
            numbers = [float(v) for v in (site, worst) if isinstance(v, int | float)]
            if numbers:
                values.append(max(numbers))
    return round(statistics.median(values), 1) if values else None


def measured_band(inp: RuleInput) -> str | None:
    """'degraded by 35 %, in the 20-50 % band (P2)', or None without measurements."""
    pct = measured_degradation(inp)
    return inp.playbook.triage.band_text(pct) if pct is not None else None


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
