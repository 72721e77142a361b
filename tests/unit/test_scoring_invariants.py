"""The log invariants: crafted logs break each rule once; the golden logs break none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scoring.events import Event, read_jsonl
from scoring.invariants import InconsistentLogError, Violation, check, ensure_consistent

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
START = datetime(2026, 3, 2, tzinfo=UTC)

Spec = tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]


def make_log(*specs: Spec, first_seq: int = 1) -> list[Event]:
    """Events one second apart, seq from `first_seq`, in the order given."""
    events = []
    for i, spec in enumerate(specs):
        type_, data, *actor = spec
        events.append(
            Event(
                seq=first_seq + i,
                drill_id="d-1",
                type=type_,
                t=float(i),
                wall=START + timedelta(seconds=i),
                actor=actor[0] if actor else "engine",
                data=data,
            )
        )
    return events


STARTED: Spec = ("drill.started", {"scenario_id": "db-lock"})
INJECTED: Spec = ("fault.injected", {"fault_id": "f-1", "kind": "db.lock", "ttl_s": 600})
ALERT: Spec = ("alert.firing", {"alert_id": "a1", "name": "error_rate", "severity": "high"})
ACTION_STARTED: Spec = (
    "action.started",
    {"action_id": "a-0000000a", "action": "db.kill_long_queries", "args": []},
    "autopilot",
)
ACTION_DONE: Spec = (
    "action.executed",
    {
        "action_id": "a-0000000a",
        "action": "db.kill_long_queries",
        "args": [],
        "result": "ok",
        "detail": "",
        "duration_s": 0.4,
        "ended": ["f-1"],
    },
    "autopilot",
)
RECOVERED: Spec = ("service.recovered", {"slis": {}, "confirm_window_s": 30}, "detector")
FINISHED: Spec = ("drill.finished", {"outcome": "resolved"})


def remediated(action_seq: int | None = 4, **extra: Any) -> Spec:
    data: dict[str, Any] = {"fault_id": "f-1", "kind": "db.lock", "reason": "remediated"}
    if action_seq is not None:
        data |= {"action_id": "a-0000000a", "action_seq": action_seq}
    return ("fault.reverted", data | extra)


def ended(reason: str, fault_id: str = "f-1") -> Spec:
    return ("fault.reverted", {"fault_id": fault_id, "kind": "db.lock", "reason": reason})


def valid() -> list[Spec]:
    # seq: 1 started, 2 injected, 3 alert, 4 action.started, 5 end, 6 executed, 7 recovered
    return [
        STARTED,
        INJECTED,
        ALERT,
        ACTION_STARTED,
        remediated(),
        ACTION_DONE,
        RECOVERED,
        FINISHED,
    ]


def sentences(events: list[Event]) -> list[str]:
    return [v.sentence for v in check(events)]


def only(events: list[Event]) -> Violation:
    found = check(events)
    assert len(found) == 1, [v.sentence for v in found]
    return found[0]


def test_a_log_of_the_contract_is_consistent() -> None:
    assert check(make_log(*valid())) == []


@pytest.mark.parametrize("log", sorted(p.name for p in GOLDEN.glob("*.jsonl")))
def test_every_golden_log_is_consistent(log: str) -> None:
    assert sentences(read_jsonl(GOLDEN / log)) == []


def test_an_interrupted_drill_is_consistent() -> None:
    # Killed with SIGKILL: the fault never ends, nothing recovered, no drill.finished.
    assert check(make_log(STARTED, INJECTED, ALERT, ACTION_STARTED)) == []


# Rule 1: order.


def test_the_first_event_must_be_drill_started() -> None:
    v = only(make_log(INJECTED, STARTED, ended("ttl")))
    assert v.rule == 1 and v.seqs == (1,)
    assert v.sentence == (
        "rule 1 (log order): the first event is fault.injected (seq 1), not drill.started;"
        " drill.started is at seq 2"
    )
    missing = only(make_log(INJECTED, ended("ttl")))
    assert missing.sentence.endswith("there is no drill.started")


def test_events_in_reverse_order_are_one_violation() -> None:
    events = make_log(*valid())
    reversed_log = [e.replace(t=0.0) for e in reversed(events)]
    found = check(reversed_log)
    assert [v.rule for v in found] == [1, 1]
    assert found[1].seqs == (8, 7)
    assert found[1].sentence == (
        "rule 1 (log order): seq 7 follows seq 8 in the log's order, and 6 more times"
    )


def test_a_repeated_seq_is_named() -> None:
    events = make_log(STARTED, INJECTED, ended("ttl"))
    events[2] = events[2].replace(seq=2)
    v = only(events)
    assert v.sentence == "rule 1 (log order): seq 2 appears twice in the log's order"


def test_t_that_goes_back_is_named_with_both_seqs() -> None:
    events = make_log(STARTED, INJECTED, ALERT, ended("ttl"))
    events[2] = events[2].replace(t=0.5)
    v = only(events)
    assert v.seqs == (2, 3)
    assert v.sentence == "rule 1 (log order): t goes back from 1 s at seq 2 to 0.5 s at seq 3"


def test_an_empty_log_breaks_rule_1() -> None:
    assert only([]).rule == 1


# Rule 2: one injection and one end per fault.


def test_two_ends_for_one_fault_name_the_rule_and_both_seqs() -> None:
    # The race of issue 11: the engine's tick logged `ttl` before the responder's `remediated`.
    events = make_log(STARTED, INJECTED, ALERT, ACTION_STARTED, ended("ttl"), remediated())
    v = only(events)
    assert (v.rule, v.name, v.seqs) == (2, "one end per fault", (5, 6))
    assert v.sentence == "rule 2 (one end per fault): fault f-1 ends twice, at seq 5 and seq 6"


def test_a_fault_injected_twice() -> None:
    v = only(make_log(STARTED, INJECTED, INJECTED, ended("ttl")))
    assert v.sentence == (
        "rule 2 (one end per fault): fault f-1 is injected twice, at seq 2 and seq 3"
    )


def test_an_end_of_a_fault_never_injected() -> None:
    v = only(make_log(STARTED, INJECTED, ended("ttl"), ended("teardown", "f-9")))
    assert v.seqs == (4,)
    assert (
        v.sentence == "rule 2 (one end per fault): fault f-9 ends at seq 4 but was never injected"
    )


def test_an_end_before_its_injection() -> None:
    v = only(make_log(STARTED, ended("ttl"), INJECTED))
    assert v.seqs == (3, 2)
    assert "fault f-1 ends at seq 2, before its injection at seq 3" in v.sentence


@pytest.mark.parametrize("reason", ["", "gone", "remediated:db.kill_long_queries", "drill-end"])
def test_an_unknown_end_reason_in_a_log_with_action_starts(reason: str) -> None:
    events = make_log(STARTED, INJECTED, ACTION_STARTED, ACTION_DONE, ended(reason))
    v = only(events)
    assert v.rule == 2 and v.seqs == (5,)
    assert "the reason must be one of remediated, duration, ttl, operator, teardown, abort" in (
        v.sentence
    )


@pytest.mark.parametrize(
    "reason", ["ttl", "drill-end", "manual", "cleanup", "abort", "duration", "teardown"]
)
def test_legacy_end_reasons_pass_in_a_legacy_log(reason: str) -> None:
    assert check(make_log(STARTED, INJECTED, ended(reason), FINISHED)) == []


def test_an_unknown_reason_in_a_legacy_log_lists_the_legacy_ones() -> None:
    v = only(make_log(STARTED, INJECTED, ended("expired")))
    assert "'expired'" in v.sentence and "remediated:ACTION, drill-end, manual, cleanup" in (
        v.sentence
    )


# Rule 3: a remediated end names an action that started before it.


def test_a_remediated_end_that_names_no_action() -> None:
    events = make_log(STARTED, INJECTED, ACTION_STARTED, ACTION_DONE, remediated(None))
    v = only(events)
    assert v.rule == 3 and v.seqs == (5,)
    assert v.sentence == (
        "rule 3 (a remediation names an action that started before it): fault f-1 ends at"
        " seq 5 as remediated but names no action"
    )


def test_a_remediated_end_that_points_at_the_finish_in_a_new_log() -> None:
    events = make_log(STARTED, INJECTED, ACTION_STARTED, ACTION_DONE, remediated(4))
    v = only(events)
    assert v.seqs == (5, 4)
    assert "seq 4, which is a action.executed, not an action.started" in v.sentence


def test_a_remediated_end_before_its_action_started() -> None:
    events = make_log(STARTED, INJECTED, remediated(4), ACTION_STARTED, ACTION_DONE)
    v = only(events)
    assert v.rule == 3 and "the action at seq 4, which comes after the end" in v.sentence


def test_a_remediated_end_naming_a_missing_seq_or_another_action() -> None:
    missing = only(make_log(STARTED, INJECTED, ACTION_STARTED, ACTION_DONE, remediated(40)))
    assert "the action at seq 40, which is not in the log" in missing.sentence
    other = make_log(
        STARTED, INJECTED, ACTION_STARTED, ACTION_DONE, remediated(3, action_id="a-0000000b")
    )
    assert "seq 3 starts action a-0000000a" in only(other).sentence


def test_a_remediated_end_by_id_alone_finds_its_start() -> None:
    by_id = (
        "fault.reverted",
        {"fault_id": "f-1", "reason": "remediated", "action_id": "a-0000000a"},
    )
    assert check(make_log(STARTED, INJECTED, ACTION_STARTED, by_id, ACTION_DONE)) == []
    v = only(make_log(STARTED, INJECTED, by_id, ACTION_STARTED, ACTION_DONE))
    assert v.rule == 3 and "by action a-0000000a, but no action.started of it" in v.sentence


LEGACY_DONE: Spec = (
    "action.executed",
    {"action": "db.kill_long_queries", "args": None, "result": "ok"},
    "trainee:bob",
)


def test_a_legacy_remediation_may_point_at_the_finish_or_name_the_action() -> None:
    legacy = ("fault.reverted", {"fault_id": "f-1", "reason": "remediated", "action_seq": 3})
    assert check(make_log(STARTED, INJECTED, LEGACY_DONE, legacy, FINISHED)) == []
    named = ended("remediated:db.kill_long_queries")
    assert check(make_log(STARTED, INJECTED, LEGACY_DONE, named, FINISHED)) == []
    v = only(make_log(STARTED, INJECTED, named, LEGACY_DONE))
    assert v.sentence == (
        "rule 3 (a remediation names an action that started before it): fault f-1 ends at"
        " seq 3 as remediated by a db.kill_long_queries action, but no action.executed of it"
        " comes before"
    )


# Rule 4: an action starts before it finishes.


def test_an_action_that_finishes_without_starting() -> None:
    other = ("action.started", {"action_id": "a-0000000b", "action": "service.restart"})
    v = only(make_log(STARTED, INJECTED, other, ACTION_DONE, ended("ttl")))
    assert (v.rule, v.seqs) == (4, (4,))
    assert v.sentence == (
        "rule 4 (an action starts before it finishes): action a-0000000a finishes at seq 4"
        " but it never started"
    )


def test_an_action_that_finishes_before_it_starts() -> None:
    v = only(make_log(STARTED, INJECTED, ACTION_DONE, ACTION_STARTED, ended("ttl")))
    assert v.seqs == (3, 4) and v.sentence.endswith("it starts only at seq 4")


# Rule 5: recovery after the faults end.


def test_a_recovery_before_the_fault_ends() -> None:
    events = make_log(STARTED, INJECTED, ALERT, RECOVERED, ACTION_STARTED, remediated(5))
    v = only(events)
    assert (v.rule, v.seqs) == (5, (4, 3, 6))
    assert v.sentence == (
        "rule 5 (recovery after the faults end): service.recovered at seq 4 comes while fault"
        " f-1, active when the alert at seq 3 fired, has not ended; it ends only at seq 6"
    )


def test_a_recovery_while_a_fault_that_broke_nothing_is_active_is_fine() -> None:
    # As overlap.jsonl: the second fault came after the alert, so it broke no alert.
    second = ("fault.injected", {"fault_id": "f-2", "kind": "dependency.latency"})
    events = make_log(
        STARTED, INJECTED, ALERT, second, ended("ttl"), RECOVERED, ended("ttl", "f-2")
    )
    assert check(events) == []


def test_a_recovery_of_an_interrupted_drill_whose_fault_never_ends() -> None:
    v = only(make_log(STARTED, INJECTED, ALERT, RECOVERED))
    assert v.seqs == (4, 3) and v.sentence.endswith("it never ends")


def test_ensure_consistent_raises_one_sentence_per_violation() -> None:
    events = make_log(STARTED, INJECTED, ALERT, RECOVERED, ended("ttl"), ended("ttl"))
    with pytest.raises(InconsistentLogError) as caught:
        ensure_consistent(events)
    assert [v.rule for v in caught.value.violations] == [2, 5]
    assert str(caught.value).count("rule ") == 2
    ensure_consistent(make_log(*valid()))  # a consistent log passes quietly


# Property: a valid log whose t stops following seq is always caught.


def _logs() -> list[list[Event]]:
    return [make_log(*valid()), read_jsonl(GOLDEN / "overlap.jsonl")]


LOGS = _logs()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), which=st.sampled_from(range(len(LOGS))), field=st.sampled_from(["t", "seq"]))
def test_shuffled_seq_or_t_that_make_t_decrease_are_always_caught(
    data: st.DataObject, which: int, field: str
) -> None:
    events = LOGS[which]
    values = [getattr(e, field) for e in events]
    shuffled = data.draw(st.permutations(values))
    broken = [e.replace(**{field: v}) for e, v in zip(events, shuffled, strict=True)]
    by_seq = sorted(broken, key=lambda e: e.seq)
    assume(any(b.t < a.t for a, b in pairwise(by_seq)))
    assert any(v.rule == 1 for v in check(broken))
