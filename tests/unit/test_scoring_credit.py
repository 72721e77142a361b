"""Credit only for what really happened (issue 11), on the contract-format golden logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.playbook import load_playbook
from scoring.report import ReportData, build_report, render_html, render_markdown
from scoring.report.console import scorecard_renderable
from scoring.scorecard import Scorecard, score_drill
from scoring.timeline import build_timeline

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
PLAYBOOK = load_playbook(None)
LEGACY_NOTE = "Action times are when actions finished: this log predates action.started."


def events_of(name: str) -> list[Event]:
    return read_jsonl(GOLDEN / name)


def key() -> Expectations:
    revealed = next(
        e for e in events_of("contract/remediated.jsonl") if e.type.endswith("revealed")
    )
    return Expectations.model_validate(revealed.data)


def scored(events: list[Event]) -> Scorecard:
    return score_drill(events, key(), PLAYBOOK)


def report(events: list[Event]) -> ReportData:
    view = DrillView(events)
    return build_report(view, score_drill(view, key(), PLAYBOOK), PLAYBOOK)


def test_the_fault_ends_when_the_record_says_and_the_action_when_it_started() -> None:
    view = DrillView(events_of("contract/remediated.jsonl"))
    (fault,) = view.faults
    assert fault.end == pytest.approx(162.0)  # ended_wall, not the tick's 163.4
    assert fault.reason == "remediated"
    kill = view.action(fault.action_key)
    assert kill is not None and kill.name == "db.kill_long_queries"
    assert (kill.start, kill.finish, kill.result) == (160, 163, "ok")
    assert not view.legacy_action_times


def test_an_unavailable_action_did_nothing_and_is_never_harmful() -> None:
    rep = report(events_of("contract/remediated.jsonl"))
    remediation = rep.scorecard.team.criterion("remediation")
    assert remediation.points == 20
    (restore,) = [d for d in remediation.details if "db.restore" in d]
    assert "not available here" in restore and "harmful" not in restore
    assert not any("warning" in a.item for a in rep.action_items)
    assert any("db.restore is not available here" in e.text for e in rep.timeline)
    assert "not available here" in render_html(rep)


def test_a_fault_that_expired_earns_no_recovery_and_is_on_the_timeline() -> None:
    events = events_of("contract/expired.jsonl")
    rep = report(events)
    recover = rep.scorecard.team.clocks["time_to_recover"]
    assert recover.status == "FAIL" and recover.drill_s is None
    assert recover.reason is not None and "expired at 05:00" in recover.reason
    assert rep.scorecard.team.criterion("recovery").points == 0
    assert rep.scorecard.team.criterion("remediation").points == 0
    ends = [e.text for e in build_timeline(DrillView(events)) if e.type == "fault.reverted"]
    assert ends == [
        "fault f-0000bb01 (db.lock) expired at 05:00 (its TTL ran out); nobody fixed it"
    ]
    assert not any("Automate" in a.item for a in rep.action_items)  # speed was not the problem
    review = render_markdown(rep)
    assert "Time to recover | " in review and "| PASS |" not in review.split("Time to recover")[1]


def test_a_recovery_counts_only_after_the_end_the_remediation_caused() -> None:
    # The same fix, but an operator reverted the fault first: the recovery is nobody's fix.
    events = [
        e.replace(**{"data": {**e.data, "reason": "operator"}}) if e.type == "fault.reverted" else e
        for e in events_of("contract/remediated.jsonl")
    ]
    card = scored(events)
    recover = card.team.clocks["time_to_recover"]
    assert recover.status == "FAIL"
    assert recover.reason is not None and "an operator reverted" in recover.reason
    assert card.team.criterion("remediation").points == 0


def test_an_idle_participant_gets_no_credit_for_the_commanders_work() -> None:
    rep = report(events_of("contract/idle.jsonl"))
    people = {p.name: p for p in rep.scorecard.participants}
    assert people["kim"].total == 100 and people["lee"].total == people["max"].total == 0
    for idle in ("lee", "max"):
        assert people[idle].note is not None
        assert people[idle].note.startswith("You made no decision in this drill")
    assert people["nora"].note is None and people["nora"].criterion("recovery").shared
    assert "You made no decision in this drill" in render_markdown(rep)
    assert "You made no decision in this drill" in render_html(rep)


def test_the_submitted_review_fills_the_pir() -> None:
    rep = report(events_of("contract/review.jsonl"))
    md, html = render_markdown(rep), render_html(rep)
    for text in (
        "a batch job held a lock on orders",
        "no statement timeout on the batch role",  # why -> contributing factors
        "The page was answered in ten seconds",
        "Nobody knew where the slow-query view was",
        "Move the batch off-peak",
    ):
        assert text in md and text in html
    assert "_to be filled in by the review._" not in md
    assert "Contributing factors (from the review): The nightly batch ran at peak" in md
    assert "| Set statement\\_timeout=30s for the batch role | dba | 2026-03-09 | Open |" in md
    assert "| Link the slow-query view from the runbook | pat | 2026-03-05 | Open |" in md


def test_without_a_review_the_pir_still_asks_for_one() -> None:
    md = render_markdown(report(events_of("contract/remediated.jsonl")))
    assert "Contributing factors: _to be filled in by the review._" in md


def test_the_autopilots_review_fields_are_kept() -> None:
    events = events_of("contract/remediated.jsonl")
    autopilot = events[-1].replace(
        **{
            "seq": 10_000,
            "type": "review.submitted",
            "actor": "autopilot",
            "data": {
                "fields": {
                    "what_happened": "slow_queries showed a lock held for 90 s",
                    "actions": "db.kill_long_queries",
                    "follow_up": "add an alert on the signal that showed the cause first",
                }
            },
        }
    )
    md = render_markdown(report([*events, autopilot]))
    assert "slow\\_queries showed a lock held for 90 s" in md
    assert "add an alert on the signal that showed the cause first" in md


def test_an_interrupted_drill_says_so_and_scores_what_happened() -> None:
    rep = report(events_of("contract/interrupted.jsonl"))
    card = rep.scorecard
    assert (card.outcome, card.outcome_detail) == (
        "interrupted",
        "interrupted at 02:32 (engine killed)",
    )
    assert card.team.criterion("severity").points == 10
    assert "interrupted at 02:32 (engine killed)" in render_markdown(rep)
    assert "interrupted at 02:32 (engine killed)" in render_html(rep)
    console = Console(width=200, record=True)
    console.print(scorecard_renderable(card))
    assert "interrupted at 02:32 (engine killed)" in console.export_text()


@pytest.mark.parametrize(
    ("name", "legacy"), [("team.jsonl", True), ("contract/remediated.jsonl", False)]
)
def test_a_legacy_log_says_its_action_times_are_finishes(name: str, legacy: bool) -> None:
    rep = report(events_of(name))
    assert (LEGACY_NOTE in rep.scorecard.notes) is legacy
    assert (LEGACY_NOTE in render_markdown(rep)) is legacy
    assert (LEGACY_NOTE in render_html(rep)) is legacy


def legacy_end(reason: str, **extra: object) -> list[Event]:
    events = events_of("early-notice.jsonl")
    return [
        e.replace(**{"data": {"fault_id": "f1", "kind": "db.lock", "reason": reason, **extra}})
        if e.type == "fault.reverted"
        else e
        for e in events
    ]


@pytest.mark.parametrize(
    ("raw", "reason", "fixed"),
    [
        ("remediated:db.kill_long_queries", "remediated", True),
        ("drill-end", "teardown", False),
        ("manual", "operator", False),
        ("cleanup", "teardown", False),
    ],
)
def test_legacy_reasons_read_as_todays(raw: str, reason: str, fixed: bool) -> None:
    events = legacy_end(raw)
    view = DrillView(events)
    assert view.faults[0].reason == reason
    card = score_drill(view, key(), PLAYBOOK)
    assert (card.team.criterion("remediation").points == 20) is fixed
    assert (card.team.clocks["time_to_recover"].status == "PASS") is fixed


def test_two_ends_for_one_fault_keep_the_remediation() -> None:
    # A log from before the fix: the tick logged "ttl" before the responder's record.
    events = events_of("early-notice.jsonl")
    revert = next(e for e in events if e.type == "fault.reverted")
    racing = revert.replace(
        **{"seq": 10_000, "t": revert.t - 0.5, "data": {**revert.data, "reason": "ttl"}}
    )
    card = scored([*events, racing])
    assert card.team.criterion("remediation").points == 20
    assert card.team.clocks["time_to_recover"].status == "PASS"
