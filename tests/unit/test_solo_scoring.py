"""Issue 19's scoring rules: asked-for hints only, honest failed fixes, IDENTIFIED
before the fix, the weakest criterion, and "no gaps" only when every criterion is full."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.cards import CriterionResult, ParticipantCard
from scoring.criteria.discipline import statuses_that_count
from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.playbook import Playbook, load_playbook
from scoring.report.actions import action_items
from scoring.scorecard import score_drill
from simulator.drill.eventlog import EventLog
from simulator.drill.hints import HintRefused, ask_hint
from simulator.scenario.loader import find_scenario

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(None)


def autopilot() -> tuple[list[Event], Expectations]:
    events = read_jsonl(GOLDEN / "autopilot.jsonl")
    revealed = next(e for e in events if e.type == "answer_key.revealed")
    return events, Expectations.model_validate(revealed.data)


def extra(events: list[Event], n: int, type_: str, t: float, actor: str, **data: object) -> Event:
    return events[-1].replace(
        **{"seq": 10_000 + n, "type": type_, "t": t, "actor": actor, "data": data}
    )


def test_only_asked_for_hints_cost_points_and_the_sentence_says_who_and_when(
    playbook: Playbook,
) -> None:
    events, key = autopilot()
    pushed = extra(events, 1, "hint.given", 90.0, "engine", text="Timer hint.", source="scenario")
    given = extra(events, 2, "hint.given", 95.0, "facilitator", text="Push.", source="facilitator")
    card = score_drill([*events, pushed, given], key, playbook)
    hints = card.team.criterion("hints")
    assert hints.points == hints.max_points
    assert "No hints were asked for" in hints.feedback and "cost nothing" in hints.feedback
    asked = extra(
        events, 3, "hint.given", 110.0, "autopilot", text="Look. Then act.", source="asked"
    )
    card = score_drill([*events, pushed, asked], key, playbook)
    hints = card.team.criterion("hints")
    assert hints.points == pytest.approx(hints.max_points * 2 / 3, abs=0.05)
    assert "asked for 1 hint, at 01:50 (\u201cLook\u201d)" in hints.feedback
    assert "look there before asking" not in hints.feedback  # no guesses


def test_an_errored_action_is_failed_never_harmful_and_no_pir_item_says_worse(
    playbook: Playbook,
) -> None:
    events, key = autopilot()
    broken = [
        e.replace(**{"data": {**e.data, "result": "error", "detail": "the shop did not answer."}})
        if e.type == "action.executed" and e.data.get("action") == "service.restart"
        else e
        for e in events
    ]
    card = score_drill(broken, key, playbook)
    remediation = card.team.criterion("remediation")
    assert "01:40 service.restart — failed: the shop did not answer" in remediation.details
    assert "worse" not in remediation.feedback
    assert "after service.restart at 01:40 failed (the shop did not answer)" in (
        remediation.feedback
    )
    items = [i.item for i in action_items(card, playbook)]
    assert not any("made things worse" in item for item in items)


def test_identified_counts_only_before_the_fix_and_new_to_identified_skips_nothing() -> None:
    events, _key = autopilot()
    view = DrillView(events)  # the fix (db.kill_long_queries) is at 02:10

    def change(t: float, before: str, to: str) -> Event:
        return extra(
            events, int(t), "incident.status_changed", t, "autopilot", to=to, **{"from": before}
        )

    late = [change(84, "NEW", "INVESTIGATING"), change(131, "INVESTIGATING", "IDENTIFIED")]
    assert statuses_that_count(view, late, 300) == {"INVESTIGATING"}
    early = [change(84, "NEW", "IDENTIFIED"), change(140, "IDENTIFIED", "MONITORING")]
    assert statuses_that_count(view, early, 300) == {"INVESTIGATING", "IDENTIFIED", "MONITORING"}


def test_the_autopilot_log_says_identified_came_after_the_fix(playbook: Playbook) -> None:
    events, key = autopilot()
    discipline = score_drill(events, key, playbook).team.criterion("resolution_discipline")
    assert "declared IDENTIFIED only at 02:11, after the fix at 02:10" in discipline.feedback


def _criterion(key: str, points: float, most: float, shared: bool) -> CriterionResult:
    return CriterionResult(
        key=key, label=key, points=points, max_points=most, passed=True, feedback=".", shared=shared
    )


def test_weakest_is_the_lowest_fraction_even_when_it_is_shared() -> None:
    card = ParticipantCard(
        actor="trainee:ana",
        name="ana",
        total=90,
        grade="A",
        criteria=[
            _criterion("detection", 10, 10, False),
            _criterion("severity", 8, 10, False),
            _criterion("hints", 3.3, 5, True),
        ],
        clocks={},
    )
    assert card.weakest().key == "hints"


def test_no_gaps_only_when_every_criterion_is_full(playbook: Playbook) -> None:
    events, key = autopilot()
    card = score_drill(events, key, playbook)
    short = [c.key for c in card.team.criteria if c.ratio < 1]
    assert short  # remediation 19/20, discipline 4.5/5: both short of full
    assert action_items(card, playbook)  # so the review lists gaps, not "No gaps found"


def test_hints_are_asked_for_in_order_and_stop_once_the_fault_ended(tmp_path: Path) -> None:
    scenario = find_scenario("app-crash")
    log = EventLog(tmp_path / "events.db", "solo-hints")
    log.append("drill.started", {"scenario_id": scenario.id})
    with pytest.raises(HintRefused, match="nothing has gone wrong yet"):
        ask_hint(log, scenario, "trainee:ana")
    log.append("fault.injected", {"fault_id": "f1", "kind": "process.kill"})
    assert ask_hint(log, scenario, "trainee:ana") == scenario.hints[0].text
    assert ask_hint(log, scenario, "trainee:ana") == scenario.hints[1].text
    with pytest.raises(HintRefused, match="no hints left"):
        ask_hint(log, scenario, "trainee:ana")
    log.append("fault.reverted", {"fault_id": "f1", "kind": "process.kill", "reason": "duration"})
    with pytest.raises(HintRefused, match="the fault has ended"):
        ask_hint(log, scenario, "trainee:ana")
    asked = log.of_type("hint.given")
    assert [(e.actor, e.data["source"]) for e in asked] == [("trainee:ana", "asked")] * 2
    log.close()
