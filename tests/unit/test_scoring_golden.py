"""The golden logs score exactly as computed by hand in tests/data/golden/expected.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.playbook import Playbook, load_playbook
from scoring.scorecard import ParticipantCard, Scorecard, score_drill

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
EXPECTED: dict[str, Any] = yaml.safe_load((GOLDEN / "expected.yaml").read_text())


@pytest.fixture(scope="module")
def playbook() -> Playbook:
    return load_playbook(None)


def answer_key(events: list[Event]) -> Expectations:
    revealed = next(e for e in events if e.type == "answer_key.revealed")
    return Expectations.model_validate(revealed.data)


def key_for(name: str) -> Expectations:
    """The log's answer key, or (a killed engine never reveals it) another log's."""
    source = EXPECTED[name].get("key_from", name)
    return answer_key(read_jsonl(GOLDEN / source))


def score(name: str, playbook: Playbook) -> Scorecard:
    events = read_jsonl(GOLDEN / name)
    baseline = EXPECTED[name].get("baseline")
    other = read_jsonl(GOLDEN / baseline) if baseline else None
    return score_drill(events, key_for(name), playbook, other)


def assert_points(card: ParticipantCard, want: dict[str, Any]) -> None:
    got = {c.key: c.points for c in card.criteria}
    expected = {k: v for k, v in want.items() if k not in ("total", "grade")}
    assert got == expected
    assert card.total == want["total"]
    assert card.grade == want["grade"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_clocks_match_the_hand_arithmetic(name: str, playbook: Playbook) -> None:
    card = score(name, playbook)
    for clock, want in EXPECTED[name]["clocks"].items():
        measured = card.team.clocks[clock]
        if want is None:
            # Missed is reported as missing with a reason, never as zero.
            assert measured.drill_s is None and measured.scaled_s is None
            assert measured.reason
        else:
            assert measured.drill_s == pytest.approx(want)
            assert measured.scaled_s == pytest.approx(want * card.time_scale)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_team_points_match_the_hand_arithmetic(name: str, playbook: Playbook) -> None:
    card = score(name, playbook)
    assert_points(card.team, EXPECTED[name]["team"])
    assert {a.name: a.passed for a in card.alerts} == EXPECTED[name]["alerts"]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if "participants" in EXPECTED[n]))
def test_participant_points_match_the_hand_arithmetic(name: str, playbook: Playbook) -> None:
    card = score(name, playbook)
    people = {p.name: p for p in card.participants}
    assert sorted(people) == sorted(EXPECTED[name]["participants"])
    for person, want in EXPECTED[name]["participants"].items():
        assert_points(people[person], want)


def test_each_participant_is_scored_on_their_own_decisions(playbook: Playbook) -> None:
    card = score("team.jsonl", playbook)
    people = {p.name: p for p in card.participants}
    assert sorted(people) == ["alice", "bob", "carol"]
    # carol made no severity decision: no credit, and the team's result only for reference.
    severity = people["carol"].criterion("severity")
    assert severity.points == 0 and not severity.shared
    assert "the team's result: 10/10" in severity.details[0]
    assert not people["bob"].criterion("severity").shared
    # The team's outcomes are shared with everyone who took part.
    assert all(p.criterion("recovery").shared for p in people.values())


def test_the_autopilot_baseline_is_compared(playbook: Playbook) -> None:
    card = score("team.jsonl", playbook)
    assert card.baseline is not None
    assert card.baseline.card.total == EXPECTED["team.jsonl"]["baseline_total"]
    assert card.baseline.delta_total == EXPECTED["team.jsonl"]["baseline_delta"]


def test_an_autopilot_in_the_same_log_is_the_baseline(playbook: Playbook) -> None:
    events = read_jsonl(GOLDEN / "team.jsonl")
    shifted = [
        e.replace(seq=e.seq + 10_000, actor="autopilot")
        for e in read_jsonl(GOLDEN / "autopilot.jsonl")
        if e.actor == "autopilot"
    ]
    card = score_drill(events + shifted, answer_key(events), playbook)
    assert card.baseline is not None and card.baseline.source == "same log"
    # The autopilot's actions do not count for the team.
    assert card.team.total == EXPECTED["team.jsonl"]["team"]["total"]


def test_responder_may_notice_before_the_alert(playbook: Playbook) -> None:
    clocks = score("early-notice.jsonl", playbook).team.clocks
    mttd, alert = clocks["mttd"].drill_s, clocks["detection_latency"].drill_s
    assert mttd is not None and alert is not None and mttd < alert
    assert clocks["mttd"].passed


def test_feedback_teaches_with_drill_times(playbook: Playbook) -> None:
    card = score("early-resolve.jsonl", playbook)
    remediation = card.team.criterion("remediation").feedback
    assert "restarted the service at 05:00" in remediation
    assert "db.kill_long_queries" in remediation
    discipline = card.team.criterion("resolution_discipline").feedback
    assert "07:00" in discipline and "still failing" in discipline
    for criterion in card.team.criteria:
        assert criterion.feedback.count(". ") == 0, criterion.feedback  # one sentence


def test_feedback_stays_one_sentence_with_long_prose(playbook: Playbook) -> None:
    events = read_jsonl(GOLDEN / "early-notice.jsonl")
    key = answer_key(events).model_copy(
        update={"root_cause": "A query held a lock. Writes waited. Killing it helped."}
    )
    long_hint = events[-1].replace(
        **{
            "seq": 10_000,
            "type": "hint.given",
            "t": 250.0,
            "actor": "trainee:bob",
            "data": {"text": "Look at the slow queries. Then kill the oldest.", "source": "asked"},
        }
    )
    restart = long_hint.replace(
        **{
            "seq": 10_001,
            "type": "action.executed",
            "t": 320.0,
            "actor": "trainee:bob",
            "data": {"action": "service.restart", "args": None, "result": "ok"},
        }
    )
    card = score_drill([*events, long_hint, restart], key, playbook)
    feedback = {c.key: c.feedback for c in card.team.criteria}
    assert "(a query held a lock)" in feedback["remediation"]
    assert "\u201cLook at the slow queries\u201d" in feedback["hints"]
    for text in feedback.values():
        assert ". " not in text.rstrip("."), text
