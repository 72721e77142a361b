"""The breach section of the scorecard, from the event log alone (a real autopilot drill
of scenarios/security-breach.yaml, and edits of it)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from scoring.breach import breach_summary
from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.invariants import check
from scoring.playbook import load_playbook
from scoring.report import build_report, render_html, render_markdown
from scoring.report.console import scorecard_renderable
from scoring.scorecard import score_drill

LOG = Path(__file__).resolve().parents[1] / "data" / "breach" / "autopilot.jsonl"
PLAYBOOK = load_playbook(None)


def events() -> list[Event]:
    return read_jsonl(LOG)


def key(log: list[Event]) -> Expectations:
    revealed = next(e for e in log if e.type == "answer_key.revealed")
    return Expectations.model_validate(revealed.data)


def edited(log: list[Event], event_type: str, **data: object) -> list[Event]:
    return [e.replace(**{"data": {**e.data, **data}}) if e.type == event_type else e for e in log]


def test_the_autopilots_drill_counts_records_contains_and_notifies() -> None:
    log = events()
    assert check(log) == []  # the log keeps every invariant
    card = score_drill(log, key(log), PLAYBOOK)
    (breach,) = card.breaches
    exposure = next(e for e in log if e.type == "breach.exposure").data
    assert breach.records_exposed == exposure["records_exposed"] == breach.attacker_rows
    assert breach.records_exposed > 0 and breach.sources_agree
    assert breach.contained and breach.contained_by == "key.revoke"
    assert breach.time_to_contain_s is not None and breach.action_after_s is not None
    assert 0 <= breach.time_to_contain_s <= breach.action_after_s
    assert breach.notified and breach.notified_t is not None
    assert f"{breach.records_exposed} customer record(s) left with key reports" in breach.sentence
    view = DrillView(log)
    report = build_report(view, card, PLAYBOOK)
    markdown, html = render_markdown(report), render_html(report)
    assert "### Data exposure" in markdown and "| `reports` | 127.0.0.2 |" in markdown
    assert "<h2>Data exposure</h2>" in html
    assert '"records_exposed"' in card.model_dump_json()
    console = Console(record=True, width=200)
    console.print(scorecard_renderable(card))
    assert f"Data exposure: {breach.sentence}" in console.export_text()


def test_no_notification_no_containment_and_a_disagreeing_tally_are_said() -> None:
    log = [e for e in events() if e.data.get("action") != "users.notify"]
    log = edited(log, "breach.exposure", attacker_rows=999)
    log = edited(log, "fault.reverted", reason="teardown", action_id=None, action_seq=None)
    (breach,) = breach_summary(DrillView(log))
    assert not breach.notified and not breach.contained and breach.time_to_contain_s is None
    assert not breach.sources_agree
    assert "never contained" in breach.sentence and "were not notified" in breach.sentence
    assert "the attacker's own tally says 999" in breach.sentence


def test_a_drill_without_a_leak_has_no_breach_section() -> None:
    log = [e for e in events() if e.type != "breach.exposure"]
    card = score_drill(log, key(log), PLAYBOOK)
    assert card.breaches == []
    assert "Data exposure" not in render_markdown(build_report(DrillView(log), card, PLAYBOOK))


def test_exposure_records_are_checked_like_every_fact_of_the_log() -> None:
    log = events()
    exposure = next(e for e in log if e.type == "breach.exposure")
    last = log[-1]
    again = exposure.replace(seq=last.seq + 1, t=last.t)
    assert [str(v) for v in check([*log, again])] == [
        f"rule 6 (one exposure record per fault, after its end): fault {exposure.data['fault_id']}"
        f" has two exposure records, at seq {exposure.seq} and seq {last.seq + 1}"
    ]
    stranger = edited(log, "breach.exposure", fault_id="f-nope")
    assert [v.rule for v in check(stranger)] == [6]
    assert "f-nope, which was never injected" in str(check(stranger)[0])
    # The record written before the fault ended: its end moved after it.
    end = next(e for e in log if e.type == "fault.reverted")
    moved = [e for e in log if e is not end]
    early = [*moved, end.replace(seq=last.seq + 1, t=last.t)]
    assert 6 in [v.rule for v in check(early)]
