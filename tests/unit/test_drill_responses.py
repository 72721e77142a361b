"""What a responder can do, and how it is recorded (simulator/drill/responses.py).

A real EventLog in tmp_path and the real playbook. `diagnose` and `run_action`
need a live environment; the integration tests cover them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scoring.names import TEAMS
from scoring.playbook import Playbook, load_playbook
from simulator.drill.eventlog import EventLog, load_log
from simulator.drill.incident import IncidentError
from simulator.drill.responses import Responses

PLAYBOOK: Playbook = load_playbook()
INCIDENT = "INC-20260302-100000"
ANN = "trainee:ann"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[EventLog]:
    event_log = EventLog(tmp_path / "events.db", "drill-responses")
    try:
        yield event_log
    finally:
        event_log.close()


@pytest.fixture
def responses(log: EventLog, tmp_path: Path) -> Responses:
    return Responses(log, PLAYBOOK, tmp_path / "state")


@pytest.fixture
def paged(responses: Responses) -> Responses:
    responses.declare_by_page(INCIDENT)
    return responses


def types(log: EventLog) -> list[str]:
    return [e.type for e in log.events()]


def test_nothing_can_be_done_before_an_incident_exists(responses: Responses, log: EventLog) -> None:
    calls: list[Callable[[], object]] = [
        lambda: responses.acknowledge(ANN),
        lambda: responses.set_severity(ANN, "P1"),
        lambda: responses.assign(ANN, "dba"),
        lambda: responses.set_status(ANN, "INVESTIGATING"),
        lambda: responses.post_update(ANN, {"summary": "x"}),
    ]
    for call in calls:
        with pytest.raises(IncidentError, match="there is no incident yet: nothing has paged"):
            call()
    assert log.events() == []


def test_the_first_page_opens_the_incident_once(responses: Responses, log: EventLog) -> None:
    first = responses.declare_by_page(INCIDENT)
    again = responses.declare_by_page("INC-OTHER")
    assert first is again
    assert (first.id, first.status) == (INCIDENT, "NEW")
    assert log.events() == []  # the engine records the page itself


def test_a_responder_may_declare_before_any_page(responses: Responses, log: EventLog) -> None:
    event = responses.declare(ANN, INCIDENT)
    assert event is not None
    assert (event.type, event.actor, event.data) == (
        "incident.declared",
        ANN,
        {"incident_id": INCIDENT},
    )
    assert responses.declare("trainee:ben", "INC-2") is None
    assert responses.declare_by_page("INC-3").id == INCIDENT
    assert types(log) == ["incident.declared"]


def test_acknowledge_once(paged: Responses, log: EventLog) -> None:
    event = paged.acknowledge(ANN, "PG-1")
    assert (event.type, event.actor, event.data) == (
        "incident.acknowledged",
        ANN,
        {"incident_id": INCIDENT, "page_id": "PG-1"},
    )
    with pytest.raises(IncidentError) as info:
        paged.acknowledge("trainee:ben", "PG-1")
    assert str(info.value) == f"{INCIDENT} was acknowledged already by {ANN}"
    assert paged.incident is not None and paged.incident.acknowledged_by == ANN
    assert types(log) == ["incident.acknowledged"]


def test_set_severity_records_it_with_evidence(paged: Responses, log: EventLog) -> None:
    event = paged.set_severity("autopilot", "P1", evidence="error rate 7% > 5%")
    assert (event.type, event.actor) == ("incident.severity_set", "autopilot")
    assert event.data == {
        "incident_id": INCIDENT,
        "severity": "P1",
        "evidence": "error rate 7% > 5%",
    }
    assert paged.incident is not None and paged.incident.severity == "P1"
    assert "evidence" not in paged.set_severity(ANN, "P2").data


def test_an_unknown_severity_is_refused_and_nothing_is_recorded(
    paged: Responses, log: EventLog
) -> None:
    paged.set_severity(ANN, "P2")
    with pytest.raises(IncidentError, match="unknown severity 'SEV1'; use one of P0, P1, P2, P3"):
        paged.set_severity(ANN, "SEV1")
    assert paged.incident is not None and paged.incident.severity == "P2"
    assert types(log) == ["incident.severity_set"]


@pytest.mark.parametrize("team", TEAMS)
def test_assign_any_known_team(paged: Responses, team: str) -> None:
    event = paged.assign(ANN, team)
    assert (event.type, event.actor, event.data) == (
        "incident.assigned",
        ANN,
        {"incident_id": INCIDENT, "team": team},
    )
    assert paged.incident is not None and paged.incident.team == team


def test_an_unknown_team_is_refused_naming_the_teams(paged: Responses, log: EventLog) -> None:
    with pytest.raises(IncidentError) as info:
        paged.assign(ANN, "dbas")
    assert str(info.value) == f"unknown team 'dbas'; teams are {', '.join(TEAMS)}"
    assert paged.incident is not None and paged.incident.team is None
    assert log.events() == []


def test_statuses_move_through_the_lifecycle_and_resolve(paged: Responses, log: EventLog) -> None:
    for status in ("investigating", "IDENTIFIED", "Monitoring"):
        paged.set_status(ANN, status)
    event = paged.set_status(ANN, "RESOLVED")
    assert (event.type, event.actor, event.data) == (
        "incident.status_changed",
        ANN,
        {"incident_id": INCIDENT, "from": "MONITORING", "to": "RESOLVED"},
    )
    assert types(log) == ["incident.status_changed"] * 4 + ["incident.resolved"]
    resolved = log.events()[-1]
    assert (resolved.actor, resolved.data) == (ANN, {"incident_id": INCIDENT})
    assert [e.data["to"] for e in log.of_type("incident.status_changed")] == [
        "INVESTIGATING",
        "IDENTIFIED",
        "MONITORING",
        "RESOLVED",
    ]


def test_only_resolving_appends_incident_resolved(paged: Responses, log: EventLog) -> None:
    paged.set_status(ANN, "INVESTIGATING")
    paged.set_status(ANN, "IDENTIFIED")
    paged.set_status(ANN, "MONITORING")
    paged.set_status(ANN, "INVESTIGATING")  # a step back is not a resolution
    assert "incident.resolved" not in types(log)


def test_an_illegal_status_is_refused_and_nothing_is_recorded(
    paged: Responses, log: EventLog
) -> None:
    with pytest.raises(
        IncidentError,
        match="cannot go from NEW to RESOLVED; next can be: IDENTIFIED, INVESTIGATING",
    ):
        paged.set_status(ANN, "resolved")
    assert paged.incident is not None and paged.incident.status == "NEW"
    assert log.events() == []


def test_post_update_with_template_fields(paged: Responses, log: EventLog) -> None:
    fields = {"incident_id": INCIDENT, "severity": "HIGH", "status": "INVESTIGATING"}
    event = paged.post_update(ANN, fields)
    fields["summary"] = "changed after posting"
    assert (event.type, event.actor) == ("incident.update_posted", ANN)
    # The event keeps what was posted, not a reference to the caller's dict.
    assert event.data == {
        "incident_id": INCIDENT,
        "fields": {"incident_id": INCIDENT, "severity": "HIGH", "status": "INVESTIGATING"},
    }


def test_post_update_refuses_unknown_fields(paged: Responses, log: EventLog) -> None:
    with pytest.raises(IncidentError) as info:
        paged.post_update(ANN, {"summary": "db slow", "eta": "5m", "blame": "bob"})
    assert str(info.value) == (
        "unknown update field(s) blame, eta; the template has "
        + ", ".join(PLAYBOOK.update_template)
    )
    assert log.events() == []


def test_every_call_is_attributed_to_its_actor(paged: Responses, log: EventLog) -> None:
    paged.acknowledge("trainee:ann", "PG-1")
    paged.set_severity("autopilot", "P1")
    paged.assign("facilitator", "dba")
    paged.set_status("trainee:ben", "INVESTIGATING")
    paged.post_update("trainee:cy", {"summary": "looking"})
    expected = [
        ("incident.acknowledged", "trainee:ann"),
        ("incident.severity_set", "autopilot"),
        ("incident.assigned", "facilitator"),
        ("incident.status_changed", "trainee:ben"),
        ("incident.update_posted", "trainee:cy"),
    ]
    assert [(e.type, e.actor) for e in log.events()] == expected
    # ... and so it is stored.
    assert [(e.type, e.actor) for e in load_log(log.path)] == expected


def test_notify_records_the_channel_and_refuses_an_unknown_one(paged: Responses) -> None:
    event = paged.notify("trainee:ann", "ticket", evidence="few users")
    assert event.type == "incident.notified"
    assert event.data["channel"] == "ticket" and event.data["evidence"] == "few users"
    with pytest.raises(IncidentError, match="page_all, page_primary, slack, ticket"):
        paged.notify("trainee:ann", "carrier-pigeon")
