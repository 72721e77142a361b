"""What trainees may see of an event, tokens and names, join links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scoring.events import Event
from simulator.console.auth import Role, Tokens, check_name
from simulator.console.client import ConsoleClientError, parse_link
from simulator.console.visibility import facilitator_event, redact, trainee_event

DRILL = "db-lock-20260101-120000"


def _event(type_: str, data: dict[str, Any], actor: str = "engine") -> Event:
    return Event(
        seq=1, drill_id=DRILL, type=type_, t=1.0, wall=datetime.now(UTC), actor=actor, data=data
    )


@pytest.mark.parametrize(
    "type_",
    [
        "fault.injected",
        "fault.reverted",
        "answer_key.revealed",
        "teardown.error",
        "autopilot.error",
        "notification.failed",
        "something.new",
    ],
)
def test_facilitator_only_events_are_withheld(type_: str) -> None:
    event = _event(type_, {"kind": "db.lock", "fault_id": "f-1"})
    assert trainee_event(event) is None
    assert facilitator_event(event)["data"]["kind"] == "db.lock"


def test_drill_started_loses_the_scenario_id_and_no_event_carries_the_drill_id() -> None:
    shown = trainee_event(
        _event(
            "drill.started",
            {"scenario_id": "db-lock", "title": "Checkout", "participants": [{"name": "a"}]},
        )
    )
    assert shown is not None
    assert "scenario_id" not in shown["data"] and "drill_id" not in shown
    assert shown["data"]["title"] == "Checkout"
    action = trainee_event(
        _event(
            "action.executed",
            {
                "action": "disk.cleanup",
                "args": [],
                "result": "ok",
                "detail": f"freed 1 MiB in /x/.chaosdrill/drills/{DRILL}/env/data/scratch",
            },
            "trainee:a",
        )
    )
    assert action is not None and DRILL not in str(action)
    assert action["text"] == "ran disk.cleanup"


def test_redact_reaches_every_string() -> None:
    value = {"a": [f"/p/{DRILL}/f", {"b": (DRILL,)}], "n": 3}
    assert DRILL not in str(redact(value, DRILL))
    assert redact(value, DRILL)["n"] == 3


def test_user_text_stays_text_in_events() -> None:
    payload = "<script>alert(1)</script>"
    shown = trainee_event(
        _event("incident.update_posted", {"fields": {"summary": payload}}, "trainee:a")
    )
    assert shown is not None and shown["data"]["fields"]["summary"] == payload  # JSON, not HTML


def test_tokens_names_and_roles() -> None:
    tokens = Tokens()
    alice = tokens.add_trainee("alice", "commander")
    assert alice.actor == "trainee:alice" and tokens.get(alice.token) == alice
    assert tokens.get(tokens.facilitator.token).role is Role.FACILITATOR  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="taken"):
        tokens.add_trainee("ALICE")
    with pytest.raises(ValueError, match="unknown role"):
        tokens.add_trainee("bob", "boss")
    for bad in ("", "a b", "<b>", "x" * 40, "-lead"):
        with pytest.raises(ValueError, match="not usable"):
            check_name(bad)
    assert (
        len({tokens.facilitator.token, tokens.observer.token, tokens.join.token, alice.token}) == 4
    )


def test_join_links_carry_their_token() -> None:
    assert parse_link("http://127.0.0.1:8000/join/abc", None) == ("http://127.0.0.1:8000", "abc")
    assert parse_link("http://127.0.0.1:8000/c/abc/incident", None)[1] == "abc"
    assert parse_link("http://127.0.0.1:8000", "tok") == ("http://127.0.0.1:8000", "tok")
    with pytest.raises(ConsoleClientError, match="no token"):
        parse_link("http://127.0.0.1:8000", None)
    with pytest.raises(ConsoleClientError, match="not a console URL"):
        parse_link("127.0.0.1:8000", "t")
