"""RPO and RTO from the event log: what a point-in-time restore measured, T0 to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scoring.data_loss import measure
from scoring.drill import DrillView
from scoring.events import Event
from scoring.playbook import DataLossTargets

TARGETS = DataLossTargets.model_validate({"rpo": "5m", "rto": "1h"})


def log(*events: tuple[float, str, dict[str, Any]]) -> DrillView:
    wall = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    started = Event(seq=0, drill_id="d", type="drill.started", t=0.0, wall=wall)
    return DrillView(
        [started]
        + [
            Event(seq=i + 1, drill_id="d", type=kind, t=t, wall=wall, data=data)
            for i, (t, kind, data) in enumerate(events)
        ]
    )


INJECTED = (10.0, "fault.injected", {"fault_id": "f1", "kind": "data.bad_migration"})


def restored(t: float, result: str = "ok", **measured: Any) -> tuple[float, str, dict[str, Any]]:
    base = {"lost_orders": 3, "lost_span_s": 12.5, "restored_orders": 40, "still_missing": 0}
    return (
        t,
        "action.executed",
        {"action": "db.restore", "result": result, "measured": base | measured},
    )


def test_rpo_is_what_the_restore_lost_and_rto_runs_from_t0_to_it() -> None:
    loss = measure(log(INJECTED, restored(70.0)), TARGETS)
    assert loss is not None
    assert (loss.lost_orders, loss.lost_span_s, loss.restored_orders) == (3, 12.5, 40)
    assert loss.rto_s == 60.0 and loss.restored
    assert loss.rpo_passed and loss.rto_passed
    assert "3 acknowledged order(s) lost" in loss.summary


def test_a_late_or_lossy_restore_misses_its_targets() -> None:
    loss = measure(log(INJECTED, restored(4000.0, lost_span_s=900.0)), TARGETS)
    assert loss is not None
    assert not loss.rpo_passed and not loss.rto_passed


def test_a_restore_that_left_rows_missing_has_no_rto() -> None:
    loss = measure(log(INJECTED, restored(70.0, still_missing=7)), TARGETS)
    assert loss is not None
    assert loss.rto_s is None and not loss.restored and not loss.rto_passed
    assert "never recovered" in loss.summary


def test_a_drill_without_a_point_in_time_restore_has_no_data_loss_figures() -> None:
    plain = (20.0, "action.executed", {"action": "db.restore", "result": "ok"})
    assert measure(log(INJECTED, plain), TARGETS) is None


def executed(t: float, action: str, **measured: Any) -> tuple[float, str, dict[str, Any]]:
    return (t, "action.executed", {"action": action, "result": "ok", "measured": measured})


def test_with_writes_stopped_rto_ends_when_they_resume_after_a_passing_verify() -> None:
    steps = [
        INJECTED,
        executed(20.0, "job.stop"),
        executed(22.0, "writes.stop"),
        restored(70.0),
        executed(75.0, "data.verify", integrity={"passed": False}),
        executed(80.0, "data.verify", integrity={"passed": True}),
        executed(90.0, "writes.resume"),
    ]
    loss = measure(log(*steps), TARGETS)
    assert loss is not None
    assert loss.rto_s == 80.0 and loss.rto_end == "writes resumed after a passing data.verify"
    assert loss.damage_window_s == 10.0
    assert "Damage window: 10.0s" in loss.summary


def test_writes_never_resumed_after_a_passing_verify_leave_no_rto() -> None:
    steps = [
        INJECTED,
        executed(22.0, "writes.stop"),
        restored(70.0),
        executed(90.0, "writes.resume"),
    ]
    loss = measure(log(*steps), TARGETS)
    assert loss is not None
    assert loss.rto_s is None and not loss.rto_passed
    assert "never resumed after a passing data.verify" in loss.summary
