"""Incident status updates: written from the playbook's update template with what
the responder saw, and checked before they are posted.

    fields = compose_update(UpdateFacts(...), playbook.update_template)
    check_update(fields, playbook.update_template)   # Responses.post_update calls it too

Pure: no log, no clock. The facts are what a trainee sees too: the alerts that
fired, the last SLI sample, the diagnosis and its evidence, the fixes applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scoring.names import ALERT_SEVERITIES
from simulator.detection.samples import SliSample
from simulator.drill.diagnosis import Diagnosis
from simulator.drill.incident import IncidentError

ALERT_WORDS = {  # alert name -> (what it measures, which side of the threshold is bad)
    "error_rate": ("error rate", "above"),
    "latency_p99": ("p99 latency", "above"),
    "availability": ("availability", "below"),
}
SECURITY_WORDS = {  # the security alerts, by name: what their value says
    "canary_token_used": "a planted canary used {:g} time(s)",
    "export_volume": "a key exporting customers at {:.3g}x its usual limit",
    "login_failure_surge": "{:.3g} failed logins a second",
}
NEXT_STEPS = {  # when the caller has nothing more specific to say
    "INVESTIGATING": "Checking dashboards, logs and recent changes.",
    "IDENTIFIED": "Applying the fix for the cause found.",
    "MONITORING": "Watching the SLIs recover.",
    "RESOLVED": "Post-incident review.",
}


@dataclass(frozen=True)
class UpdateFacts:
    """What the responder knows when writing an update."""

    incident_id: str
    severity: str  # the playbook's label (CRITICAL...); "" while not set
    status: str
    alerts_now: Sequence[Mapping[str, Any]] = ()  # `alert.firing` data still firing
    alerts_seen: Sequence[Mapping[str, Any]] = ()  # every `alert.firing` data so far
    sample: SliSample | None = None
    cause: Diagnosis | None = None
    fixes: Sequence[str] = field(default_factory=tuple)  # actions applied, as labels
    next_steps: str = ""


def check_update(fields: Mapping[str, str], template: Sequence[str]) -> None:
    """Refuse, with one sentence, an update the template would not make: a field
    the template does not have, or a summary that is blank or stops at a colon.

    A template field left out is allowed (the communication criterion scores it).
    """
    unknown = set(fields) - set(template)
    if unknown:
        raise IncidentError(
            f"unknown update field(s) {', '.join(sorted(unknown))}; the "
            f"template has {', '.join(template)}"
        )
    summary = fields.get("summary")
    if "summary" not in template or summary is None:
        return
    if not summary.strip():
        raise IncidentError(
            "the update's summary is empty; say in one line what is wrong and what is being done"
        )
    if summary.rstrip().endswith(":"):
        raise IncidentError(
            f"the update's summary {summary.strip()!r} stops at a colon; say what follows it"
        )


def compose_update(facts: UpdateFacts, template: Sequence[str]) -> dict[str, str]:
    """Every field of `template` this module knows, each a non-empty sentence."""
    known = {
        "incident_id": facts.incident_id,
        "severity": facts.severity or "not set yet",
        "status": facts.status,
        "summary": summary(facts),
        "impact": impact(facts),
        "root_cause": root_cause(facts),
        "next_steps": facts.next_steps.strip() or NEXT_STEPS.get(facts.status, "Working on it."),
    }
    return {name: known[name] for name in template if name in known}


def summary(facts: UpdateFacts) -> str:
    """One line: what is wrong (or was), and where the response stands."""
    fixed_by = " and ".join(facts.fixes)
    if facts.status == "RESOLVED":
        what = facts.cause.evidence if facts.cause else "the cause was not confirmed"
        how = f"fixed by {fixed_by}" if fixed_by else "recovered without a fix from us"
        return f"Resolved: {what}; {how}; the SLIs are back inside their thresholds."
    down = any(
        a.get("name") == "availability" and a.get("severity") == "critical"
        for a in facts.alerts_now
    )
    breach = any(a.get("team") == "security" for a in facts.alerts_now)
    head = "Shop down" if down else "Possible data breach" if breach else "Shop degraded"
    if facts.alerts_now:
        what = describe_alerts(facts.alerts_now)
    elif facts.alerts_seen:
        what = f"alerts cleared (at worst {describe_alerts([worst(facts.alerts_seen)])})"
    else:
        what = "no alert is firing; customers report trouble"
    line = f"{head}: {what}"
    if facts.status == "IDENTIFIED" and facts.cause is not None:
        line += f"; cause found ({facts.cause.area})"
    elif facts.status == "MONITORING" and fixed_by:
        line += f"; {fixed_by} applied, watching recovery"
    elif facts.status == "INVESTIGATING":
        line += "; investigating"
    return line + "."


def impact(facts: UpdateFacts) -> str:
    """Who is affected, from the last SLI sample (requests stand in for users)."""
    now = measured(facts.sample)
    if facts.status == "RESOLVED":
        at_worst = (
            f"; at worst {describe_alerts([worst(facts.alerts_seen)])}" if facts.alerts_seen else ""
        )
        return f"None now: {now}{at_worst}."
    return now[0].upper() + now[1:] + "."


def measured(sample: SliSample | None) -> str:
    """The last sample in words: failing requests, latency, availability."""
    if sample is None:
        return "not measured yet"
    if sample.availability is not None and sample.availability <= 0.0:
        return "the shop answers no health check: every customer request fails"
    if sample.error_rate is None:
        health = (
            f"the shop answers {pct(sample.availability)} of health checks"
            if sample.availability is not None
            else "the shop's health is unknown"
        )
        return f"{health}; its request metrics are unavailable"
    rps = sample.rps or 0.0
    line = (
        f"{pct(sample.error_rate)} of requests failing (about {sample.error_rate * rps:.0f}"
        f" of {rps:.0f} req/s)"
    )
    if sample.p99_ms is not None:
        line += f", p99 {sample.p99_ms:.0f} ms"
    if sample.availability is not None and sample.availability < 1.0:
        line += f", {pct(sample.availability)} of health checks answered"
    return line


def root_cause(facts: UpdateFacts) -> str:
    """The diagnosis and its evidence, or what is known so far."""
    if facts.cause is not None:
        return f"{facts.cause.area}: {facts.cause.evidence}"
    if facts.status == "RESOLVED":
        return "not confirmed: the service recovered before a cause was identified"
    return "not identified yet: the diagnostic views show no known cause"


def describe_alerts(alerts: Sequence[Mapping[str, Any]]) -> str:
    """'availability 0% (critical, below 99%), error rate 100% (critical, above 10%)'."""
    return ", ".join(sorted({describe_alert(a) for a in alerts}))


def describe_alert(alert: Mapping[str, Any]) -> str:
    name, severity = str(alert.get("name", "?")), str(alert.get("severity", "?"))
    what, side = ALERT_WORDS.get(name, (name, "past"))
    value, threshold = alert.get("value"), alert.get("threshold")
    show = ms if name == "latency_p99" else pct
    if not isinstance(value, int | float) or not isinstance(threshold, int | float):
        return f"{what} {severity}"
    if name in SECURITY_WORDS:  # counts and limits, not percentages of traffic
        return f"{SECURITY_WORDS[name].format(value)} ({severity})"
    return f"{what} {show(value)} ({severity}, {side} {show(threshold)})"


def worst(alerts: Sequence[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The most severe alert (the first of equals)."""
    rank = {s: i for i, s in enumerate(ALERT_SEVERITIES)}
    return min(alerts, key=lambda a: rank.get(str(a.get("severity")), len(rank)))


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.3g}%"


def ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"
