"""A data incident's steps, in and out of the playbook's order: the sentences the
scorecard teaches from the event log, and the autopilot's rule that finds a rogue job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scoring.data_steps import order_slips
from scoring.drill import DrillView
from scoring.events import Event
from simulator.drill.data_rules import rogue_job

Step = tuple[float, str, list[str], dict[str, Any]]


def view(*steps: Step, kind: str = "data.rogue_job") -> DrillView:
    wall = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    events = [
        Event(seq=0, drill_id="d", type="drill.started", t=0.0, wall=wall),
        Event(
            seq=1,
            drill_id="d",
            type="fault.injected",
            t=10.0,
            wall=wall,
            data={"fault_id": "f1", "kind": kind, "target": "database"},
        ),
    ]
    for t, name, args, measured in steps:
        started = {"action_id": f"a{len(events)}", "action": name, "args": args}
        done = started | {"result": "ok", "detail": "done", "measured": measured}
        for kind_, at, data in (("action.started", t, started), ("action.executed", t, done)):
            events.append(
                Event(
                    seq=len(events),
                    drill_id="d",
                    type=kind_,
                    t=at,
                    wall=wall,
                    actor="alice",
                    data=data,
                )
            )
    return DrillView(events)


PASSED = {"integrity": {"passed": True}}
FAILED = {"integrity": {"passed": False}}
RESTORE = (40.0, "db.restore", ["2026-01-31T12:00:09Z"], {})


def slips(v: DrillView) -> list[str]:
    return order_slips(v, v.actions_by(None))


def test_the_playbook_order_costs_nothing() -> None:
    v = view(
        (20.0, "job.stop", ["order-archiver"], {}),
        (25.0, "writes.stop", [], {}),
        RESTORE,
        (50.0, "data.verify", [], PASSED),
        (55.0, "writes.resume", [], {}),
    )
    assert slips(v) == []


def test_restoring_before_stopping_the_job_teaches_why() -> None:
    v = view(RESTORE, (45.0, "job.stop", ["order-archiver"], {}), (50.0, "data.verify", [], PASSED))
    [slip] = slips(v)
    assert "before the batch job was stopped (job.stop came at 00:45)" in slip
    assert "damages the restored database" in slip


def test_resuming_writes_before_a_passing_verify_teaches_why() -> None:
    v = view(
        (20.0, "job.stop", ["order-archiver"], {}),
        (22.0, "data.verify", [], PASSED),  # before the restore: says nothing about it
        RESTORE,
        (50.0, "data.verify", [], FAILED),
        (55.0, "writes.resume", [], {}),
    )
    [slip] = slips(v)
    assert "resumed at 00:55 without a passing data.verify" in slip


def test_other_drills_are_not_judged_on_data_steps() -> None:
    assert slips(view((20.0, "writes.resume", [], {}), kind="db.lock")) == []


def test_the_rule_finds_a_connected_job_and_restores_to_its_first_statement() -> None:
    views: dict[str, Any] = {
        "database": {
            "sessions": [
                {"application": "chaosdrill-shop", "state": "idle"},
                {"application": "order-archiver", "state": "active"},
            ],
            "writers": [
                {
                    "application": "order-archiver",
                    "first_at": "2026-01-31T12:00:09.500+00:00",
                    "last_at": "2026-01-31T12:00:30.000+00:00",
                    "count": 40,
                    "first_statement": "DELETE FROM order_items WHERE id > 0",
                }
            ],
        }
    }
    found = rogue_job(views)
    assert found is not None
    assert (found.action, found.arg, found.severity) == ("job.stop", "order-archiver", "P1")
    assert ("db.restore", "2026-01-31T12:00:09.500+00:00") in found.then
    assert [s for s, _ in found.then].index("data.verify") < [s for s, _ in found.then].index(
        "writes.resume"
    )
    # Gone from pg_stat_activity: a one-off statement (a migration), not a running job.
    views["database"]["sessions"] = views["database"]["sessions"][:1]
    assert rogue_job(views) is None
