"""The communication rule: updates that fill the playbook's template, often enough.

The update window runs from the first response (acknowledge/declare; T0 if
nobody responded) to the resolution (or the end of the log). No silence in it
may be longer than the severity's cadence, in real (scaled) time.
"""

from __future__ import annotations

from itertools import pairwise

from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.events import Event
from scoring.phrases import clock, span

__all__ = ["UPDATE_CADENCE_S", "field_coverage", "longest_silence"]

# The playbook asks to keep stakeholders informed; these are the update
# cadences we hold each severity to (real seconds; P3 has none).
UPDATE_CADENCE_S: dict[str, float | None] = {"P0": 900.0, "P1": 1800.0, "P2": 3600.0, "P3": None}
COMPLETENESS_SHARE = 0.4
CADENCE_SHARE = 0.6


def field_coverage(update: Event, template: list[str]) -> list[str]:
    """The template fields this update left empty."""
    fields = update.data.get("fields")
    fields = fields if isinstance(fields, dict) else {}
    return [name for name in template if not str(fields.get(name) or "").strip()]


def longest_silence(inp: RuleInput, updates: list[Event]) -> tuple[float, float]:
    """(longest gap in drill seconds, where it started) over the update window."""
    view = inp.view
    start_event = view.first_of(("incident.acknowledged", "incident.declared"), scope=inp.team)
    start = start_event.t if start_event else (view.t0 or 0.0)
    resolved = view.last("incident.resolved", scope=inp.team)
    end = resolved.t if resolved else view.end_t
    points = [start, *[u.t for u in updates if start <= u.t <= end], end]
    gaps = [(b - a, a) for a, b in pairwise(points)]
    return max(gaps, default=(0.0, start))


@rule("communication", "Communication", kind="decision")
def communication(inp: RuleInput) -> Verdict:
    """40 % for filling every template field, 60 % for keeping the cadence."""
    template = inp.playbook.update_template
    updates = [u for u in inp.view.by("incident.update_posted", inp.scope)]
    true = inp.expectations.severity
    cadence = UPDATE_CADENCE_S.get(true)
    if not updates:
        every = f" every {span(cadence)}" if cadence else ""
        return Verdict(
            0.0,
            False,
            f"{inp.subject} posted no incident update; a {true} incident"
            f" needs one{every} with {', '.join(template)}.",
            involved=False,
        )
    missing = [field_coverage(u, template) for u in updates]
    filled = sum(len(template) - len(m) for m in missing) / (len(template) * len(updates))
    fraction = COMPLETENESS_SHARE * filled
    gap, gap_start = longest_silence(inp, updates)
    scaled_gap = inp.view.scaled(gap)
    on_cadence = cadence is None or scaled_gap <= cadence
    if cadence is not None:
        fraction += CADENCE_SHARE * (1.0 if on_cadence else cadence / scaled_gap)
    else:
        fraction += CADENCE_SHARE
    complete = all(not m for m in missing)
    count = f"{inp.subject} posted {len(updates)} update{'s' if len(updates) != 1 else ''}"
    if complete and on_cadence:
        return Verdict(
            fraction,
            True,
            f"{count}, {'every one ' if len(updates) > 1 else ''}with all {len(template)}"
            " template fields, and never let stakeholders wait longer than the cadence.",
        )
    if not on_cadence and cadence is not None:
        return Verdict(
            fraction,
            False,
            f"{count}, but stakeholders heard nothing for"
            f" {span(scaled_gap)} from {clock(gap_start)}; a {true} incident needs an"
            f" update at least every {span(cadence)}.",
        )
    gaps = sorted({name for m in missing for name in m}, key=template.index)
    return Verdict(
        fraction,
        False,
        f"{count}, but {', '.join(gaps)} went unfilled in some; the"
        " template exists so readers never have to ask.",
    )
