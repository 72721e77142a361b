"""The incident lifecycle state machine (simulator/drill/incident.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from scoring.names import INCIDENT_STATUSES, SEVERITIES
from simulator.drill.incident import TRANSITIONS, Incident, IncidentError, new_incident_id

LEGAL = [
    ("NEW", "INVESTIGATING"),
    ("NEW", "IDENTIFIED"),  # the cause is plain from the page (a release just went out)
    ("INVESTIGATING", "IDENTIFIED"),
    ("INVESTIGATING", "MONITORING"),  # a quick fix before the cause is named
    ("IDENTIFIED", "MONITORING"),
    ("IDENTIFIED", "INVESTIGATING"),
    ("MONITORING", "RESOLVED"),
    ("MONITORING", "INVESTIGATING"),
    ("MONITORING", "IDENTIFIED"),  # the mitigation bought time to name the cause
]
# How to reach each status from NEW along legal steps.
PATH_TO = {
    "NEW": [],
    "INVESTIGATING": ["INVESTIGATING"],
    "IDENTIFIED": ["INVESTIGATING", "IDENTIFIED"],
    "MONITORING": ["INVESTIGATING", "IDENTIFIED", "MONITORING"],
    "RESOLVED": ["INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"],
}
ILLEGAL = [
    (a, b)
    for a in INCIDENT_STATUSES
    for b in INCIDENT_STATUSES
    if (a, b) not in LEGAL  # includes staying put (a == b)
]


def at(status: str) -> Incident:
    incident = Incident(id="INC-20260302-101500")
    for step in PATH_TO[status]:
        incident.move(step)
    assert incident.status == status
    return incident


def test_the_table_is_the_playbook_lifecycle() -> None:
    assert set(TRANSITIONS) == set(INCIDENT_STATUSES)
    assert {(a, b) for a, nexts in TRANSITIONS.items() for b in nexts} == set(LEGAL)


@pytest.mark.parametrize(("start", "to"), LEGAL)
def test_every_legal_transition_moves_and_records_history(start: str, to: str) -> None:
    incident = at(start)
    before_history = list(incident.history)
    came_from = incident.move(to)
    assert came_from == start
    assert incident.status == to
    assert incident.history == [*before_history, to]


@pytest.mark.parametrize(("start", "to"), ILLEGAL)
def test_illegal_transitions_are_refused_naming_the_legal_next_statuses(
    start: str, to: str
) -> None:
    incident = at(start)
    history = list(incident.history)
    with pytest.raises(IncidentError) as info:
        incident.move(to)
    message = str(info.value)
    assert f"from {start} to {to}" in message
    allowed = sorted(TRANSITIONS[start])
    if allowed:
        assert message.endswith(f"next can be: {', '.join(allowed)}")
    else:
        assert "none (it is resolved)" in message
    # Refused means nothing changed.
    assert incident.status == start
    assert incident.history == history


def test_resolved_is_terminal() -> None:
    incident = at("RESOLVED")
    assert incident.resolved
    for status in INCIDENT_STATUSES:
        with pytest.raises(IncidentError, match="none \\(it is resolved\\)"):
            incident.check_transition(status)
    assert not at("MONITORING").resolved


def test_unknown_status_names_every_status() -> None:
    incident = at("INVESTIGATING")
    with pytest.raises(IncidentError) as info:
        incident.move("FIXED")
    assert "unknown status 'FIXED'" in str(info.value)
    assert ", ".join(INCIDENT_STATUSES) in str(info.value)
    assert incident.status == "INVESTIGATING"


def test_status_names_are_case_sensitive_here() -> None:
    # Responses upper-cases what a responder typed; the state machine itself does not.
    with pytest.raises(IncidentError, match="unknown status 'investigating'"):
        at("NEW").move("investigating")


@pytest.mark.parametrize("severity", SEVERITIES)
def test_known_severities_pass(severity: str) -> None:
    at("NEW").check_severity(severity)


@pytest.mark.parametrize("severity", ["P4", "p1", "critical", ""])
def test_unknown_severity_is_refused_naming_the_choices(severity: str) -> None:
    with pytest.raises(IncidentError) as info:
        at("NEW").check_severity(severity)
    assert f"unknown severity '{severity}'" in str(info.value)
    assert "P0, P1, P2, P3" in str(info.value)


def test_incident_id_format_from_a_given_time() -> None:
    when = datetime(2026, 3, 2, 9, 5, 7, tzinfo=UTC)
    assert new_incident_id(when) == "INC-20260302-090507"


def test_incident_id_defaults_to_now_in_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    found = new_incident_id()
    after = datetime.now(UTC)
    assert re.fullmatch(r"INC-\d{8}-\d{6}", found)
    stamp = datetime.strptime(found, "INC-%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert before <= stamp <= after


def test_a_new_incident_starts_new_with_no_owner() -> None:
    incident = Incident(id="INC-1")
    assert (incident.status, incident.history, incident.severity, incident.team) == (
        "NEW",
        ["NEW"],
        None,
        None,
    )
    assert incident.acknowledged_by is None
    # Each incident has its own history list.
    other = Incident(id="INC-2")
    incident.move("INVESTIGATING")
    assert other.history == ["NEW"]
