"""What a report shows, gathered once for every format."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from scoring.drill import DrillView
from scoring.playbook import Playbook
from scoring.report.actions import ActionItem, action_items
from scoring.report.charts import Chart, build_charts
from scoring.report.review import SubmittedReview, submitted_review
from scoring.scorecard import Scorecard
from scoring.timeline import TimelineEntry, build_timeline

__all__ = ["ReportData", "build_report", "time_scale_note"]


class ReportData(BaseModel):
    """The scorecard plus the timeline, action items and chart geometry."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    scorecard: Scorecard
    timeline: list[TimelineEntry]
    action_items: list[ActionItem]
    time_scale_note: str
    charts: list[Chart]
    fault_kinds: list[str]
    review: SubmittedReview | None = None


def time_scale_note(scale: float) -> str:
    """The sentence every report carries about how drill time maps to incident time."""
    if scale == 1:
        return (
            "Time scale 1: drill time is incident time, so durations are compared with the"
            " playbook's targets as measured."
        )
    return (
        f"Time scale {scale:g}: one drill second stands for {scale:g} seconds of incident time,"
        f" so durations are multiplied by {scale:g} before they are compared with the"
        " playbook's targets; times on the timeline are drill time."
    )


def build_report(view: DrillView, scorecard: Scorecard, playbook: Playbook) -> ReportData:
    """Everything the HTML, Markdown and JSON reports show."""
    timeline = build_timeline(view)
    review = submitted_review(view)
    return ReportData(
        scorecard=scorecard,
        timeline=timeline,
        review=review,
        action_items=action_items(scorecard, playbook, review),
        time_scale_note=time_scale_note(scorecard.time_scale),
        charts=build_charts(view, playbook, timeline),
        fault_kinds=[f"{f.kind} on {f.target}" for f in view.faults],
    )
