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


def test_two_restores_count_both_losses_and_the_longest_span() -> None:
    first = restored(60.0, lost_orders=4, lost_span_s=8.0, lost_ids=[101, 102, 103, 104])
    second = restored(90.0, lost_orders=2, lost_span_s=30.0, lost_ids=[101, 102])
    loss = measure(log(INJECTED, first, second), TARGETS)
    assert loss is not None
    assert (loss.restores, loss.lost_orders, loss.lost_span_s) == (2, 6, 30.0)
    assert loss.lost_ids == [101, 102, 103, 104, 101, 102]  # an id the sequence gave twice
    assert loss.rto_s == 80.0


def canary(**data: Any) -> tuple[float, str, dict[str, Any]]:
    base = {"acknowledged": 50, "lost": 3, "lost_span_s": 3.0, "lost_ids": [7, 8, 9]}
    return (200.0, "canary.checked", base | data)


def test_the_canary_witness_stands_beside_the_restores_count() -> None:
    loss = measure(log(INJECTED, restored(70.0), canary()), TARGETS)
    assert loss is not None
    assert (loss.canary_acknowledged, loss.canary_lost, loss.canary_lost_ids) == (50, 3, [7, 8, 9])
    assert "Canary witness: 3 of 50" in loss.summary
    assert "the restores counted 3 order(s) lost in all" in loss.summary
    late = measure(log(INJECTED, restored(70.0), canary(lost_span_s=600.0)), TARGETS)
    assert late is not None and not late.rpo_passed, "the witness's span counts for the RPO"


def test_canaries_lost_without_any_restore_still_show() -> None:
    loss = measure(log(INJECTED, canary(lost=5)), TARGETS)
    assert loss is not None
    assert loss.lost_orders is None and loss.canary_lost == 5 and not loss.restored


def test_affected_customers_and_who_was_notified() -> None:
    verify = executed(80.0, "data.verify", integrity={"passed": True, "affected_customers": [3, 4]})
    told = executed(85.0, "users.notify", notified=2)
    quiet = measure(log(INJECTED, restored(70.0), verify), TARGETS)
    assert quiet is not None and quiet.affected_customers == 2 and quiet.notified_customers is None
    assert "were not notified" in quiet.summary
    loud = measure(log(INJECTED, restored(70.0), verify, told), TARGETS)
    assert loud is not None and loud.notified_customers == 2
    assert "notified: 2 of 2" in loud.summary
