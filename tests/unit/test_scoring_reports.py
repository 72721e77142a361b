"""Reports: self-contained HTML with SVG, escaped user text, the PIR draft, JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scoring.drill import DrillView
from scoring.events import Event, read_jsonl
from scoring.expectations import Expectations
from scoring.playbook import load_playbook
from scoring.report import ReportData, build_report, render_html, render_json, render_markdown
from scoring.report.render import md_escape
from scoring.scorecard import score_drill

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
PLAYBOOK = load_playbook(None)
EVIL = '<script>alert("x")</script> | <img src=https://evil.example/x.png>'


def report_of(events: list[Event], baseline: list[Event] | None = None) -> ReportData:
    key = Expectations.model_validate(
        next(e for e in events if e.type == "answer_key.revealed").data
    )
    view = DrillView(events)
    return build_report(view, score_drill(view, key, PLAYBOOK, baseline), PLAYBOOK)


def with_evil_text(events: list[Event]) -> list[Event]:
    """Put hostile text wherever a person can type: name, update, hint, action args."""
    out = []
    for e in events:
        if e.actor == "trainee:alice":
            e = e.replace(actor="trainee:" + EVIL)
        if e.type == "incident.update_posted":
            e = e.replace(**{"data": {"fields": {"summary": EVIL, "root_cause": EVIL}}})
        out.append(e)
    out.append(
        Event(
            seq=99_999,
            drill_id="golden-team",
            type="hint.given",
            t=500.0,
            wall=events[0].wall,
            actor="facilitator",
            data={"text": EVIL},
        )
    )
    review = {
        "fields": {name: EVIL for name in ("what_happened", "why", "went_well", EVIL)},
        "action_items": [{"item": EVIL, "owner": EVIL, "due": EVIL, "status": EVIL}],
    }
    out.append(
        Event(
            seq=100_000,
            drill_id="golden-team",
            type="review.submitted",
            t=1060.0,
            wall=events[0].wall,
            actor="trainee:" + EVIL,
            data=review,
        )
    )
    return out


@pytest.mark.parametrize("name", ["team.jsonl", "scaled.jsonl", "aborted.jsonl"])
def test_html_is_self_contained_with_svg_charts(name: str) -> None:
    html = render_html(report_of(read_jsonl(GOLDEN / name)))
    assert html.count("<svg") == 3  # error rate, p99, availability
    assert "<polyline" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "http://" not in html and "https://" not in html
    assert "<script" not in html and "<link" not in html
    assert "Time scale" in html


def test_html_shades_fault_windows_and_marks_every_timeline_event() -> None:
    report = report_of(read_jsonl(GOLDEN / "overlap.jsonl"))
    html = render_html(report)
    assert html.count("<title>fault: ") == 2 * 3  # two faults on three charts
    assert all(len(chart.marks) == len(report.timeline) for chart in report.charts)


def test_user_text_is_escaped_everywhere() -> None:
    report = report_of(with_evil_text(read_jsonl(GOLDEN / "team.jsonl")))
    html = render_html(report)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert report.review is not None and report.review.what_happened == EVIL
    review = render_markdown(report)
    assert "<script>" not in review and "<img" not in review.replace("\\<img", "")
    for line in review.splitlines():
        if line.startswith("| ") and "script" in line:
            # Pipes typed by users are escaped, so table rows keep their columns.
            assert line.count(" | ") - line.count("\\|") <= 4


def test_markdown_review_follows_the_playbook() -> None:
    review = render_markdown(report_of(read_jsonl(GOLDEN / "team.jsonl")))
    for heading in (
        "## 1. What happened?",
        "## 2. Why did it happen?",
        "## 3. How did we respond?",
        "### What went well",
        "### What didn't go well",
        "## 4. What can we improve?",
        "## Action Items",
    ):
        assert heading in review
    assert "| Item | Owner | Due Date | Status |" in review
    assert "a long-running transaction holds a lock on the orders table" in review
    # Pre-filled from what went wrong: the unanswered page and the harmful restore.
    assert "db.restore made things worse" in review
    assert "2026-03-09 | Open |" in review


def test_review_of_a_missed_alert_asks_for_the_alert() -> None:
    review = render_markdown(report_of(read_jsonl(GOLDEN / "no-alert.jsonl")))
    assert "Make the error\\_rate alert fire at high or worse within 1m00s" in review
    assert "never fired" in review


def test_json_report_round_trips() -> None:
    data = json.loads(
        render_json(
            report_of(read_jsonl(GOLDEN / "team.jsonl"), read_jsonl(GOLDEN / "autopilot.jsonl"))
        )
    )
    assert data["scorecard"]["team"]["total"] == 79.0
    assert data["scorecard"]["baseline"]["card"]["total"] == 98.5
    assert data["timeline"][0]["type"] == "drill.started"
    assert "charts" not in data
    assert data["time_scale_note"].startswith("Time scale 1")


def test_time_scale_is_stated() -> None:
    report = report_of(read_jsonl(GOLDEN / "scaled.jsonl"))
    assert "Time scale 10" in report.time_scale_note
    assert "Time scale 10" in render_markdown(report)


def test_md_escape() -> None:
    assert md_escape("a|b\n<c>*d*") == "a\\|b \\<c\\>\\*d\\*"
