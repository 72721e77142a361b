"""Render a report as HTML (autoescaped Jinja2), Markdown (escaped for tables) or JSON.

Templates are package files under `scoring/templates/`. The HTML is
self-contained: inline CSS and SVG, no script, no external URL.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from scoring.phrases import clock, signed_span, span
from scoring.report.model import ReportData
from scoring.timeline import CATEGORIES

__all__ = ["environment", "md_escape", "render_html", "render_json", "render_markdown"]

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def md_escape(value: object) -> str:
    """User text made safe for a Markdown table cell: one line, specials escaped."""
    text = " ".join(str(value).split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@cache
def environment(autoescape: bool) -> Environment:
    """The Jinja2 environment: autoescaping for HTML, an explicit `md` filter for Markdown."""
    env = Environment(
        loader=PackageLoader("scoring", "templates"),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(clock=clock, span=span, signed_span=signed_span, md=md_escape, pct=_pct)
    env.globals["categories"] = CATEGORIES
    return env


def render_html(report: ReportData) -> str:
    """The facilitator's report: charts, clocks, scorecards, timeline, action items."""
    return environment(True).get_template("report.html.j2").render(r=report, c=report.scorecard)


def render_markdown(report: ReportData) -> str:
    """The post-incident review draft, following the playbook's PIR sections."""
    return environment(False).get_template("review.md.j2").render(r=report, c=report.scorecard)


def render_json(report: ReportData) -> str:
    """Scorecard, timeline and action items as JSON (chart geometry left out)."""
    return report.model_dump_json(indent=2, exclude={"charts"}) + "\n"
