"""What a finished drill leaves behind: its log, scorecard, reports and history."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scoring.drill import DrillView
from scoring.expectations import Expectations
from scoring.history import HistoryStore
from scoring.invariants import check
from scoring.playbook import Playbook
from scoring.report import build_report, render_html, render_json, render_markdown
from scoring.scorecard import Scorecard, score_drill
from simulator.drill.eventlog import EventLog

log = logging.getLogger(__name__)


@dataclass
class DrillResult:
    drill_id: str
    outcome: str
    scorecard: Scorecard
    files: dict[str, Path]
    summary: dict[str, Any]
    # 0 completed; 1 aborted or failed; 130 / 143 interrupted by SIGINT / SIGTERM.
    exit_code: int = 0


def finish(
    log_: EventLog,
    directory: Path,
    expectations: Expectations,
    playbook: Playbook,
    *,
    store_history: bool = True,
) -> DrillResult:
    """Reveal the answer key, export the log, score it, write every report."""
    log_.append("answer_key.revealed", expectations.model_dump(mode="json"))
    events = log_.events()
    files = {"log": log_.export_jsonl(directory / "events.jsonl")}
    # The engine's own log is checked like any other: a broken one is scored only
    # with its violations said aloud (result.json, the terminal, exit status 1).
    violations = [v.sentence for v in check(events)]
    for sentence in violations:
        log.error("the drill's event log is inconsistent: %s", sentence)
    card = score_drill(events, expectations, playbook)
    report = build_report(DrillView(events), card, playbook)
    for name, text in (
        ("report.html", render_html(report)),
        ("review.md", render_markdown(report)),
        ("scorecard.json", render_json(report)),
    ):
        files[name.split(".")[0]] = directory / name
        (directory / name).write_text(text, encoding="utf-8")
    summary = {**_summary(log_.drill_id, card), "violations": violations}
    files["result"] = directory / "result.json"
    files["result"].write_text(
        json.dumps({**summary, "files": {k: str(v) for k, v in files.items()}}, indent=2)
    )
    if store_history:
        try:
            store = HistoryStore.open()
            try:
                store.save(card, events, expectations)
            finally:
                store.close()
        except Exception as exc:  # history is a convenience; the reports are written
            log.warning("could not store the drill in the history: %s", exc)
    return DrillResult(log_.drill_id, card.outcome, card, files, summary, int(bool(violations)))


def _summary(drill_id: str, card: Scorecard) -> dict[str, Any]:
    clocks = {
        name: {
            "drill_s": clock.drill_s,
            "target_s": clock.target_s,
            "passed": clock.passed,
            "reason": clock.reason,
        }
        for name, clock in card.team.clocks.items()
    }
    return {
        "drill_id": drill_id,
        "scenario": card.scenario_id,
        "outcome": card.outcome,
        "score": card.team.total,
        "grade": card.team.grade,
        "time_scale": card.time_scale,
        "clocks": clocks,
        "alerts": [a.model_dump() for a in card.alerts],
    }
