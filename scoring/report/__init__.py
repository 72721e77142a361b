"""Reports of a scored drill: self-contained HTML, a Markdown review draft, JSON.

`build_report` gathers what every format shows (scorecard, timeline, charts,
action items); the `render_*` functions write one format each.
"""

from __future__ import annotations

from scoring.report.model import ReportData, build_report, time_scale_note
from scoring.report.render import render_html, render_json, render_markdown

__all__ = [
    "ReportData",
    "build_report",
    "render_html",
    "render_json",
    "render_markdown",
    "time_scale_note",
]
