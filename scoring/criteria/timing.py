"""Rules on the clocks: detection, acknowledgement and recovery.

All compare real incident time (drill seconds x time_scale) with the targets
of the scenario's true severity, with full credit up to the target and none at
twice the target.
"""

from __future__ import annotations

from scoring.clocks import RESPONSE_TYPES
from scoring.criteria.base import RuleInput, Verdict, by_teammate, rule, timeliness
from scoring.drill import actor_name
from scoring.phrases import clock, span


@rule("detection", "Detection", kind="decision")
def detection(inp: RuleInput) -> Verdict:
    """Did the responder notice (acknowledge or declare) within the MTTD target?"""
    mttd = inp.clocks["mttd"]
    alert = inp.clocks["detection_latency"]
    sev = inp.severity
    target = sev.mttd_target_s if sev.mttd_target_s is not None else sev.response_time_s
    if mttd.scaled_s is None:
        other = by_teammate(inp, RESPONSE_TYPES)
        if other is not None:
            return Verdict(
                0.0,
                False,
                f"{inp.subject} did not acknowledge or declare the incident;"
                f" {actor_name(other.actor)} did at {clock(other.t)}.",
                involved=False,
            )
        return Verdict(
            0.0, False, f"{inp.subject} never noticed the incident: {mttd.reason}.", involved=False
        )
    fraction = timeliness(mttd.scaled_s, target)
    passed = mttd.scaled_s <= target
    noticed = (
        f"{inp.subject} noticed at {clock(mttd.stop_t)}, {span(mttd.scaled_s)} after the fault"
    )
    if passed and mttd.note and "before any alert" in mttd.note:
        return Verdict(
            fraction,
            passed,
            f"{noticed} began and before any alert fired — watching"
            f" the dashboards paid off (target {span(target)}).",
        )
    if passed:
        return Verdict(
            fraction,
            True,
            f"{noticed} began, inside the {span(target)} target for {inp.expectations.severity}.",
        )
    if alert.scaled_s is None:
        why = (
            "no alert ever fired, so only eyes on the SLI charts could have caught it sooner"
            " — and the missing alert belongs in the review's action items"
        )
    elif alert.scaled_s > target:
        why = (
            f"the first alert only fired at {clock(alert.stop_t)}, so the monitoring itself"
            " was too slow — look at the SLI charts between pages, not only at pages"
        )
    else:
        why = (
            f"the alert fired at {clock(alert.stop_t)}, so the time went between page and"
            " response — acknowledge as soon as the page arrives"
        )
    return Verdict(fraction, False, f"{noticed} began, over the {span(target)} target; {why}.")


@rule("acknowledgement", "Acknowledgement", kind="decision")
def acknowledgement(inp: RuleInput) -> Verdict:
    """Was the page acknowledged within the severity's response time?"""
    mtta = inp.clocks["mtta"]
    target = inp.severity.response_time_s
    if mtta.start_t is None:
        mttd = inp.clocks["mttd"]
        if mttd.stop_t is not None:
            return Verdict(
                1.0,
                True,
                f"No page was sent, and {inp.subject.lower()} declared the"
                f" incident at {clock(mttd.stop_t)} anyway — exactly right.",
            )
        return Verdict(0.0, False, f"Nothing was acknowledged: {mtta.reason}.", involved=False)
    if mtta.scaled_s is None:
        other = by_teammate(inp, ("incident.acknowledged",))
        if other is not None:
            return Verdict(
                0.0,
                False,
                f"{inp.subject} did not acknowledge the page sent at {clock(mtta.start_t)};"
                f" {actor_name(other.actor)} did at {clock(other.t)}.",
                involved=False,
            )
        return Verdict(
            0.0,
            False,
            f"The page sent at {clock(mtta.start_t)} was never acknowledged"
            f" by {inp.subject.lower()}; acknowledge within {span(target)} so the"
            " ladder does not wake the next rung.",
            involved=False,
        )
    fraction = timeliness(mtta.scaled_s, target)
    if mtta.note:
        return Verdict(
            1.0,
            True,
            f"{inp.subject} had already declared the incident when the page"
            f" went out at {clock(mtta.start_t)}.",
        )
    if mtta.scaled_s <= target:
        return Verdict(
            fraction,
            True,
            f"{inp.subject} acknowledged the page at"
            f" {clock(mtta.stop_t)}, {span(mtta.scaled_s)} after it was sent (target"
            f" {span(target)}).",
        )
    return Verdict(
        fraction,
        False,
        f"{inp.subject} acknowledged the page at {clock(mtta.stop_t)},"
        f" {span(mtta.scaled_s)} after it was sent — over the {span(target)} response"
        f" time for {inp.expectations.severity}; acknowledge first, then investigate.",
    )


@rule("recovery", "Recovery (MTTR)", kind="team")
def recovery(inp: RuleInput) -> Verdict:
    """Two thirds for time to recover, one third for the resolve (MTTR), against the target."""
    target = inp.severity.mttr_target_s
    recover = inp.clocks["time_to_recover"]
    mttr = inp.clocks["mttr"]
    if recover.no_credit:
        return Verdict(0.0, False, f"No recovery credit: {recover.reason}.")
    if recover.scaled_s is None:
        return Verdict(0.0, False, f"The service never measured as recovered: {recover.reason}.")
    fraction = (2 * timeliness(recover.scaled_s, target) + timeliness(mttr.scaled_s, target)) / 3
    goal = f"the {span(target)} MTTR target" if target is not None else "no MTTR target"
    rec = (
        f"The service recovered at {clock(recover.stop_t)}, {span(recover.scaled_s)} after the"
        f" fault began ({goal})"
    )
    if mttr.scaled_s is None:
        return Verdict(fraction, False, f"{rec}, but the resolution did not count: {mttr.reason}.")
    passed = target is None or (recover.scaled_s <= target and mttr.scaled_s <= target)
    verdict = "within" if passed else "outside"
    return Verdict(
        fraction,
        passed,
        f"{rec}, and the incident was resolved at {clock(mttr.stop_t)}: {verdict} target.",
    )
