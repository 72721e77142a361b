"""Rules on discipline: resolving only after recovery is confirmed, and hints asked for.

The status share follows what the playbook asks, not a fixed path: the cause
named (IDENTIFIED) before the fix, since investigation comes before the quick
fix there (declared after it, it only describes what was already done); a
period of MONITORING before RESOLVED; INVESTIGATING, unless the cause was named
straight from NEW. A mitigation before the cause is named (INVESTIGATING ->
MONITORING) is allowed and costs only the IDENTIFIED part.

`service.recovered` is emitted once the SLIs have stayed inside thresholds for
the confirmation window (`confirm_window_s`, else the playbook's
`confirm_recovery`), so the SLIs turned healthy at `t - window`. Resolving
while they were still failing earns nothing for timing, resolving inside the
confirmation window half, resolving after `service.recovered` all of it.
"""

from __future__ import annotations

from scoring.clocks import recovery_event
from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.drill import DrillView, actor_name
from scoring.events import Event
from scoring.phrases import clock, first_sentence, span

__all__ = ["ASKED", "HINT_COST", "confirm_window_s", "fix_time", "statuses_that_count"]

TIMING_SHARE = 0.7
STATUS_SHARE = 0.3
IN_WINDOW = 0.5
# The statuses between NEW and RESOLVED a disciplined response passes through.
WORKING_STATUSES = ("INVESTIGATING", "IDENTIFIED", "MONITORING")
HINT_COST = 1 / 3
ASKED = "asked"  # hint.given source of a hint the trainee asked for: the only ones charged


def fix_time(view: DrillView) -> float | None:
    """When the responder acted with the first action that ended a fault, if any did."""
    starts = [
        action.start
        for fault in view.faults
        if fault.remediated and (action := view.action(fault.action_key)) is not None
    ]
    return min(starts, default=None)


def statuses_that_count(view: DrillView, changes: list[Event], until: float) -> set[str]:
    """The working statuses a response earns credit for, given its status changes up to
    UNTIL: IDENTIFIED only when declared before the fix; INVESTIGATING also when the
    cause was named straight from NEW (skipping it then costs nothing)."""
    fixed = fix_time(view)
    counted = set()
    for event in changes:
        if event.t > until:
            continue
        to = str(event.data.get("to"))
        if to == "IDENTIFIED":
            if fixed is None or event.t <= fixed:
                counted.add(to)
            if str(event.data.get("from")) == "NEW":
                counted.add("INVESTIGATING")
        elif to in WORKING_STATUSES:
            counted.add(to)
    return counted


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
    visited = statuses_that_count(view, view.by("incident.status_changed", inp.team), resolved.t)
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
            f" recovery was confirmed, but {_skipped(view, inp, skipped)}; moving through"
            " the statuses tells everyone where the incident stands.",
        )
    return Verdict(
        fraction,
        True,
        f"{inp.subject} resolved at {clock(resolved.t)}, after recovery"
        f" was confirmed at {clock(recovered.t)}, having moved through every status.",
    )


def _skipped(view: DrillView, inp: RuleInput, skipped: list[str]) -> str:
    """What the responders did about the statuses that earned nothing, as it happened."""
    said = []
    changes = view.by("incident.status_changed", inp.team)
    late = [e for e in changes if e.data.get("to") == "IDENTIFIED"]
    fixed = fix_time(view)
    for status in skipped:
        if status == "IDENTIFIED" and late and fixed is not None:
            said.append(
                f"declared IDENTIFIED only at {clock(late[0].t)}, after the fix at {clock(fixed)}"
            )
        else:
            said.append(f"never declared {status}")
    return " and ".join(said)


@rule("hints", "Hints", kind="team")
def hints(inp: RuleInput) -> Verdict:
    """Full points without hints asked for; each asked-for hint costs a third. Hints the
    facilitator or the scenario's timer pushed are never charged."""
    given = inp.view.of("hint.given")
    asked = [e for e in given if e.data.get("source") == ASKED]
    pushed = len(given) - len(asked)
    note = (
        f"; {pushed} hint{'s' if pushed > 1 else ''} pushed by the facilitator or the"
        " scenario's timer cost nothing"
        if pushed
        else ""
    )
    if not asked:
        return Verdict(1.0, True, f"No hints were asked for{note}.")
    fraction = max(0.0, 1.0 - HINT_COST * len(asked))
    each = ", ".join(f"{clock(e.t)} (\u201c{_hint_text(e)}\u201d)" for e in asked)
    # a team criterion, shared by every card: name who asked, not "the team"
    who = ", ".join(dict.fromkeys(actor_name(e.actor) for e in asked))
    plural = "s" if len(asked) > 1 else ""
    return Verdict(
        fraction,
        len(asked) <= 1,
        f"{who} asked for {len(asked)} hint{plural}, at {each}; each hint asked for costs"
        f" a third of this criterion{note}.",
    )


def _hint_text(event: Event) -> str:
    return first_sentence(str(event.data.get("text", "")), mid_sentence=False)
