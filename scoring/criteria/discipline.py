"""Rules on discipline: resolving only after recovery is confirmed, and hints taken.

`service.recovered` is emitted once the SLIs have stayed inside thresholds for
the confirmation window (`confirm_window_s`, else the playbook's
`confirm_recovery`), so the SLIs turned healthy at `t - window`. Resolving
while they were still failing earns nothing for timing, resolving inside the
confirmation window half, resolving after `service.recovered` all of it.
"""

from __future__ import annotations

from scoring.clocks import recovery_event
from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.phrases import clock, first_sentence, span

__all__ = ["HINT_COST", "confirm_window_s"]

TIMING_SHARE = 0.7
STATUS_SHARE = 0.3
IN_WINDOW = 0.5
# The statuses between NEW and RESOLVED a disciplined response passes through.
WORKING_STATUSES = ("INVESTIGATING", "IDENTIFIED", "MONITORING")
HINT_COST = 1 / 3


def confirm_window_s(inp: RuleInput, recovered_data: dict[str, object]) -> float:
    """The confirmation window in drill seconds."""
    given = recovered_data.get("confirm_window_s")
    if isinstance(given, int | float) and not isinstance(given, bool) and given >= 0:
        return float(given)
    return inp.playbook.confirm_recovery_s / inp.view.time_scale


@rule("resolution_discipline", "Resolution discipline", kind="decision")
def resolution_discipline(inp: RuleInput) -> Verdict:
    """70 % for resolving after confirmed recovery, 30 % for moving through the statuses."""
    view = inp.view
    resolved = view.first("incident.resolved", scope=inp.scope)
    if resolved is None:
        if view.aborted is not None:
            why = f"the drill was aborted at {clock(view.aborted.t)}"
        elif view.interrupted:
            why = f"the drill was {view.interruption()}"
        else:
            why = "it ended"
        return Verdict(
            0.0,
            False,
            f"{inp.subject} never resolved the incident before {why}; close"
            " it once the service is confirmed healthy.",
            involved=False,
        )
    visited = {
        str(e.data.get("to"))
        for e in view.by("incident.status_changed", inp.team)
        if e.t <= resolved.t
    }
    statuses = sum(s in visited for s in WORKING_STATUSES) / len(WORKING_STATUSES)
    recovered = recovery_event(view)
    if recovered is None or recovered.t - confirm_window_s(inp, dict(recovered.data)) > resolved.t:
        later = f"only recovered at {clock(recovered.t)}" if recovered else "never recovered"
        return Verdict(
            STATUS_SHARE * statuses,
            False,
            f"{inp.subject} resolved at"
            f" {clock(resolved.t)} while the SLIs were still failing (the service"
            f" {later}); resolve only after recovery is measured.",
        )
    fraction = STATUS_SHARE * statuses
    skipped = [s for s in WORKING_STATUSES if s not in visited]
    if resolved.t < recovered.t:
        window = span(view.scaled(confirm_window_s(inp, dict(recovered.data))))
        return Verdict(
            fraction + TIMING_SHARE * IN_WINDOW,
            False,
            f"{inp.subject} resolved at"
            f" {clock(resolved.t)}, inside the {window} confirmation window that ended"
            f" at {clock(recovered.t)}; keep monitoring until recovery is confirmed.",
        )
    fraction += TIMING_SHARE
    if skipped:
        return Verdict(
            fraction,
            False,
            f"{inp.subject} resolved at {clock(resolved.t)} after"
            f" recovery was confirmed, but skipped {', '.join(skipped)}; moving through"
            " the statuses tells everyone where the incident stands.",
        )
    return Verdict(
        fraction,
        True,
        f"{inp.subject} resolved at {clock(resolved.t)}, after recovery"
        f" was confirmed at {clock(recovered.t)}, having moved through every status.",
    )


@rule("hints", "Hints", kind="team")
def hints(inp: RuleInput) -> Verdict:
    """Full points without hints; each hint costs a third."""
    given = inp.view.of("hint.given")
    fraction = max(0.0, 1.0 - HINT_COST * len(given))
    if not given:
        return Verdict(1.0, True, "No hints were needed.")
    first = given[0]
    text = first_sentence(str(first.data.get("text", "")), mid_sentence=False)
    plural = "s were" if len(given) > 1 else " was"
    return Verdict(
        fraction,
        len(given) <= 1,
        f"{len(given)} hint{plural} given, the first at"
        f" {clock(first.t)} (\u201c{text}\u201d); next time look there before asking.",
    )
