"""The accounts-compromised section of the scorecard, from the event log alone (a real
autopilot drill of scenarios/credential-stuffing.yaml, and edits of it)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.invariants import check
from scoring.playbook import load_playbook
from scoring.report import build_report, render_html, render_markdown
from scoring.report.console import scorecard_renderable
from scoring.scorecard import score_drill
from scoring.stuffing import stuffing_summary

LOG = Path(__file__).resolve().parents[1] / "data" / "breach" / "stuffing-autopilot.jsonl"
PLAYBOOK = load_playbook(None)


def events() -> list[Event]:
    return read_jsonl(LOG)


def key(log: list[Event]) -> Expectations:
    revealed = next(e for e in log if e.type == "answer_key.revealed")
    return Expectations.model_validate(revealed.data)


def edited(log: list[Event], event_type: str, **data: object) -> list[Event]:
    return [e.replace(**{"data": {**e.data, **data}}) if e.type == event_type else e for e in log]


def test_the_autopilots_drill_counts_accounts_contains_and_secures_them() -> None:
    log = events()
    assert check(log) == []
    card = score_drill(log, key(log), PLAYBOOK)
    (stuffing,) = card.stuffings
    evidence = next(e for e in log if e.type == "breach.accounts").data
    assert stuffing.accounts_compromised == sorted(evidence["accounts_compromised"])
    assert len(stuffing.accounts_compromised) == stuffing.attacker_compromised == 3
    assert stuffing.sources_agree and stuffing.contained
    assert stuffing.contained_by == "client.block" and stuffing.time_to_contain_s is not None
    assert stuffing.secured == stuffing.accounts_compromised  # the autopilot's reset
    assert "3 account(s) compromised by 127.0.0.3" in stuffing.sentence
    report = build_report(DrillView(log), card, PLAYBOOK)
    markdown, html = render_markdown(report), render_html(report)
    assert "### Accounts compromised" in markdown and "| 127.0.0.3 |" in markdown
    assert "<h2>Accounts compromised</h2>" in html
    console = Console(record=True, width=200)
    console.print(scorecard_renderable(card))
    assert "Accounts compromised:" in console.export_text()


def test_a_disagreeing_tally_and_no_follow_up_are_said() -> None:
    log = edited(events(), "breach.accounts", attacker_compromised=["someone@example.com"])
    log = [e for e in log if not (e.type.startswith("action.") and "accounts." in str(e.data))]
    (stuffing,) = stuffing_summary(DrillView(log))
    assert not stuffing.sources_agree and stuffing.secured == []
    assert "the attacker's own tally says 1" in stuffing.sentence
    assert "3 compromised account(s) left open" in stuffing.sentence


def test_an_evidence_record_before_its_faults_end_breaks_the_log() -> None:
    log = events()
    accounts = next(e for e in log if e.type == "breach.accounts")
    end = next(e for e in log if e.type == "fault.reverted")
    early = [
        accounts.replace(seq=end.seq - 1, t=end.t) if e is accounts else e
        for e in log
        if e.seq != end.seq - 1 or e is end
    ]
    assert any(v.rule == 6 for v in check(early))
