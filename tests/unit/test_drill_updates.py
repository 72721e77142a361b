"""Incident updates written from the playbook's template, and the check before posting."""

from __future__ import annotations

import re

import pytest

from scoring.playbook import load_playbook
from simulator.detection.samples import SliSample
from simulator.drill.diagnosis import Diagnosis
from simulator.drill.incident import IncidentError
from simulator.drill.updates import UpdateFacts, check_update, compose_update

TEMPLATE = load_playbook().update_template
CRASH = Diagnosis(
    "infrastructure",
    "service.restart",
    None,
    "P0",
    "the shop's process (pid 4242) is not running and nothing answers on its port",
)
AVAILABILITY = {
    "alert_id": "availability-critical-1",
    "name": "availability",
    "severity": "critical",
    "value": 0.0,
    "threshold": 0.99,
}
ERRORS = {
    "alert_id": "error_rate-high-2",
    "name": "error_rate",
    "severity": "high",
    "value": 0.07,
    "threshold": 0.05,
}
DOWN = SliSample(t=5.0, rps=0.0, error_rate=None, p50_ms=None, p99_ms=None, availability=0.0)
HEALTHY = SliSample(
    t=60.0, rps=24.0, error_rate=0.0, p50_ms=4.0, p99_ms=41.0, availability=1.0, scrape_ok=True
)
DEGRADED = SliSample(
    t=9.0, rps=40.0, error_rate=0.25, p50_ms=8.0, p99_ms=620.0, availability=0.95, scrape_ok=True
)


def facts(status: str, **changes: object) -> UpdateFacts:
    base: dict[str, object] = {
        "incident_id": "INC-20250101-120000",
        "severity": "CRITICAL",
        "status": status,
        "alerts_now": [AVAILABILITY],
        "alerts_seen": [AVAILABILITY],
        "sample": DOWN,
        "cause": None,
    }
    base.update(changes)
    return UpdateFacts(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize("status", ["INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"])
def test_every_template_field_has_content_at_every_status(status: str) -> None:
    fields = compose_update(
        facts(status, cause=CRASH, fixes=["service.restart"], alerts_now=[]), TEMPLATE
    )
    assert list(fields) == TEMPLATE
    assert all(value.strip() and not value.rstrip().endswith(":") for value in fields.values())
    check_update(fields, TEMPLATE)


def test_investigating_says_what_is_firing_and_what_customers_see() -> None:
    fields = compose_update(facts("INVESTIGATING", next_steps="Checking logs."), TEMPLATE)
    assert fields["summary"] == ("Shop down: availability 0% (critical, below 99%); investigating.")
    assert fields["impact"] == ("The shop answers no health check: every customer request fails.")
    assert fields["root_cause"] == ("not identified yet: the diagnostic views show no known cause")
    assert fields["next_steps"] == "Checking logs."
    assert (fields["incident_id"], fields["severity"], fields["status"]) == (
        "INC-20250101-120000",
        "CRITICAL",
        "INVESTIGATING",
    )


def test_identified_and_monitoring_carry_the_diagnosis_evidence() -> None:
    identified = compose_update(facts("IDENTIFIED", cause=CRASH), TEMPLATE)
    assert identified["summary"].endswith("; cause found (infrastructure).")
    assert identified["root_cause"] == f"infrastructure: {CRASH.evidence}"
    monitoring = compose_update(
        facts("MONITORING", cause=CRASH, fixes=["service.restart"]), TEMPLATE
    )
    assert "service.restart applied, watching recovery" in monitoring["summary"]


def test_degraded_impact_counts_failing_requests_latency_and_health() -> None:
    fields = compose_update(
        facts("INVESTIGATING", alerts_now=[ERRORS], alerts_seen=[ERRORS], sample=DEGRADED),
        TEMPLATE,
    )
    assert fields["summary"].startswith("Shop degraded: error rate 7% (high, above 5%)")
    assert fields["impact"] == (
        "25% of requests failing (about 10 of 40 req/s), p99 620 ms, 95% of health checks answered."
    )


def test_resolved_after_every_alert_cleared_is_never_empty() -> None:
    # The defect: at resolve time no alert fires, and the summary was "Shop degraded:".
    fields = compose_update(
        facts(
            "RESOLVED",
            alerts_now=[],
            alerts_seen=[ERRORS, AVAILABILITY],
            sample=HEALTHY,
            cause=CRASH,
            fixes=["service.restart"],
        ),
        TEMPLATE,
    )
    assert fields["summary"] == (
        f"Resolved: {CRASH.evidence}; fixed by service.restart;"
        " the SLIs are back inside their thresholds."
    )
    assert fields["impact"] == (
        "None now: 0% of requests failing (about 0 of 24 req/s), p99 41 ms;"
        " at worst availability 0% (critical, below 99%)."
    )
    assert fields["root_cause"] == f"infrastructure: {CRASH.evidence}"


def test_resolved_without_a_fix_or_a_cause_says_so() -> None:
    fields = compose_update(
        facts("RESOLVED", alerts_now=[], alerts_seen=[], sample=HEALTHY), TEMPLATE
    )
    assert fields["summary"] == (
        "Resolved: the cause was not confirmed; recovered without a fix from us;"
        " the SLIs are back inside their thresholds."
    )
    assert fields["root_cause"].startswith("not confirmed")


def test_alerts_that_cleared_before_an_update_are_still_reported() -> None:
    fields = compose_update(facts("INVESTIGATING", alerts_now=[], sample=None), TEMPLATE)
    assert fields["summary"] == (
        "Shop degraded: alerts cleared (at worst availability 0% (critical, below 99%));"
        " investigating."
    )
    assert fields["impact"] == "Not measured yet."


def test_an_edited_template_gets_only_its_own_fields() -> None:
    template = ["incident_id", "severity", "status", "summary", "customer_comms"]
    fields = compose_update(facts("INVESTIGATING"), template)
    assert list(fields) == ["incident_id", "severity", "status", "summary"]


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ("", "the update's summary is empty; say in one line what is wrong and what is being done"),
        ("   ", "the update's summary is empty"),
        ("Shop degraded:", "the update's summary 'Shop degraded:' stops at a colon"),
    ],
)
def test_check_refuses_an_empty_summary_in_one_sentence(summary: str, message: str) -> None:
    fields = {"incident_id": "INC-1", "severity": "HIGH", "status": "MONITORING"}
    with pytest.raises(IncidentError, match=f"^{re.escape(message)}"):
        check_update({**fields, "summary": summary}, TEMPLATE)


def test_check_refuses_unknown_fields_and_allows_left_out_ones() -> None:
    with pytest.raises(IncidentError) as info:
        check_update({"summary": "db slow", "eta": "5m", "blame": "bob"}, TEMPLATE)
    assert str(info.value) == (
        f"unknown update field(s) blame, eta; the template has {', '.join(TEMPLATE)}"
    )
    check_update({"incident_id": "INC-1", "status": "INVESTIGATING"}, TEMPLATE)
