"""Pages and the escalation ladder on the drill's scaled clock (simulator/drill/paging.py).

The real playbook's ladder: level 1 at once, 2 after 10 min and 3 after another
10 min (both only while unacknowledged), 4 after another 30 min and 5 (P0 only)
after another 10 min (both while unresolved). Offsets are cumulative from the
first page: 0, 600, 1200, 3000, 3600 s of incident time.
"""

from __future__ import annotations

import pytest

from scoring.playbook import EscalationStep, Playbook, load_playbook
from simulator.drill.paging import EscalationDue, Pager

PLAYBOOK: Playbook = load_playbook()
FIRST_PAGE_T = 100.0


def pager(time_scale: float = 1.0) -> Pager:
    p = Pager(PLAYBOOK.escalation, time_scale)
    assert p.page("AL-1", FIRST_PAGE_T) is not None
    return p


def levels(found: list[EscalationDue]) -> list[int]:
    return [step.level for step in found]


def due(
    p: Pager,
    after_first_page: float,
    *,
    acknowledged: bool = False,
    resolved: bool = False,
    severity: str | None = "P1",
) -> list[int]:
    return levels(
        p.due(
            FIRST_PAGE_T + after_first_page,
            acknowledged=acknowledged,
            resolved=resolved,
            severity=severity,
        )
    )


def test_the_real_ladder_is_what_these_tests_assume() -> None:
    assert [(s.level, s.after_s, s.condition) for s in PLAYBOOK.escalation] == [
        (1, 0, "unacknowledged"),
        (2, 600, "unacknowledged"),
        (3, 600, "unacknowledged"),
        (4, 1800, "unresolved"),
        (5, 600, "unresolved"),
    ]
    assert PLAYBOOK.escalation[4].severities == ["P0"]


def test_first_alert_pages_level_one_and_later_alerts_do_not() -> None:
    p = Pager(PLAYBOOK.escalation, 1.0)
    first = p.page("AL-7", 42.5)
    assert first is not None
    assert (first.page_id, first.alert_id, first.level, first.t) == ("PG-1", "AL-7", 1, 42.5)
    assert first.target == PLAYBOOK.escalation[0].target
    assert p.page("AL-8", 50.0) is None
    assert p.page("AL-7", 60.0) is None
    assert p.first is first
    assert p.level == 1


def test_nothing_is_due_before_anything_paged() -> None:
    p = Pager(PLAYBOOK.escalation, 1.0)
    assert p.due(10_000.0, acknowledged=False, resolved=False, severity="P0") == []


def test_offsets_are_cumulative_from_the_first_page() -> None:
    p = pager()
    assert due(p, 599.9) == []
    assert due(p, 600.0) == [2]
    assert due(p, 1199.0) == []
    assert due(p, 1200.0) == [3]
    assert due(p, 2999.0) == []
    assert due(p, 3000.0) == [4]
    assert due(p, 3599.0, severity="P0") == []
    assert due(p, 3600.0, severity="P0") == [5]


def test_steps_carry_their_targets() -> None:
    p = pager()
    found = p.due(FIRST_PAGE_T + 600, acknowledged=False, resolved=False, severity="P1")
    assert found == [EscalationDue(2, PLAYBOOK.escalation[1].target)]


def test_time_scale_divides_the_offsets() -> None:
    p = pager(time_scale=10.0)
    assert due(p, 59.9) == []
    assert due(p, 60.0) == [2]  # the 10-minute step, compressed ten times
    assert due(p, 120.0) == [3]
    assert due(p, 299.0) == []
    assert due(p, 300.0) == [4]
    assert due(p, 360.0, severity="P0") == [5]


def test_each_step_fires_once() -> None:
    p = pager()
    assert due(p, 600.0) == [2]
    assert due(p, 600.0) == []
    assert due(p, 900.0) == []
    assert due(p, 1200.0) == [3]
    assert due(p, 1300.0) == []


def test_a_late_check_fires_every_step_that_came_due_in_order() -> None:
    p = pager()
    assert due(p, 5000.0, severity="P0") == [2, 3, 4, 5]
    assert p.level == 5
    assert due(p, 9000.0, severity="P0") == []


def test_unacknowledged_steps_stop_once_acknowledged() -> None:
    p = pager()
    assert due(p, 700.0) == [2]
    assert due(p, 1300.0, acknowledged=True) == []
    # ... but the unresolved rungs still apply.
    assert due(p, 3000.0, acknowledged=True) == [4]


def test_acknowledged_at_once_means_only_unresolved_steps_fire() -> None:
    p = pager()
    assert due(p, 2999.0, acknowledged=True, severity="P0") == []
    assert due(p, 3000.0, acknowledged=True, severity="P0") == [4]
    assert due(p, 3600.0, acknowledged=True, severity="P0") == [5]


@pytest.mark.parametrize("severity", ["P1", "P2", "P3", None])
def test_the_ceo_rung_is_for_p0_only(severity: str | None) -> None:
    p = pager()
    assert due(p, 10_000.0, severity=severity) == [2, 3, 4]
    assert due(p, 20_000.0, severity=severity) == []


def test_a_severity_raised_to_p0_later_still_reaches_the_ceo() -> None:
    p = pager()
    assert due(p, 3600.0, severity="P1") == [2, 3, 4]
    assert due(p, 3700.0, severity="P0") == [5]


def test_nothing_after_resolve() -> None:
    p = pager()
    assert due(p, 10_000.0, resolved=True, severity="P0") == []
    assert p.level == 1


def test_a_custom_ladder_is_sorted_by_level() -> None:
    steps = [
        EscalationStep.model_validate(
            {"level": 2, "target": "lead", "after": "1m", "condition": "unresolved"}
        ),
        EscalationStep.model_validate(
            {"level": 1, "target": "on-call", "after": "0s", "condition": "unacknowledged"}
        ),
    ]
    p = Pager(steps, 2.0)
    first = p.page("AL-1", 0.0)
    assert first is not None and first.target == "on-call"
    assert levels(p.due(29.0, acknowledged=True, resolved=False, severity=None)) == []
    assert levels(p.due(30.0, acknowledged=True, resolved=False, severity=None)) == [2]
