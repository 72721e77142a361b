"""Rules on triage decisions: the severity declared and the team (and area) routed to."""

from __future__ import annotations

import re

from scoring.criteria.base import RuleInput, Verdict, rule
from scoring.criteria.calibration import measured_band, notification_deduction
from scoring.names import SEVERITIES
from scoring.phrases import clock

# Severity: exact, one level off, or wrong. Under-classifying (P2 for a P1) costs more
# than over-classifying (P1 for a P2): a quiet incident that should have been loud
# leaves customers hurting while nobody works on it.
ONE_LEVEL_OFF = 0.5  # one level too high
ONE_LEVEL_UNDER = 0.25  # one level too low
# Routing: the team carries most of the points, naming the root-cause area the rest.
TEAM_SHARE = 0.7
AREA_SHARE = 0.3

# Words that name a routing area in free text besides the area's own name.
AREA_WORDS: dict[str, tuple[str, ...]] = {
    "database": ("database", "db", "sql", "query", "queries", "lock", "replica", "pool"),
    "application": ("application", "app", "code", "bug", "release", "deploy", "pricing"),
    "infrastructure": ("infrastructure", "infra", "host", "disk", "cpu", "memory", "network"),
    "security": ("security", "credential", "breach", "token"),
    "api": ("api", "dependency", "provider", "upstream", "endpoint", "payment"),
    "frontend": ("frontend", "ui", "browser"),
}


@rule("severity", "Severity", kind="decision")
def severity(inp: RuleInput) -> Verdict:
    """The last severity set counts: exact, one level off (half), or wrong."""
    true = inp.expectations.severity
    level = inp.severity
    chosen = inp.view.last("incident.severity_set", scope=inp.scope)
    if chosen is None:
        return Verdict(
            0.0,
            False,
            f"{inp.subject} never set a severity; this was {true}"
            f" ({level.label}): {level.definition.lower()}.",
            involved=False,
        )
    picked = str(chosen.data.get("severity", ""))
    when = f"{inp.subject} set {picked} at {clock(chosen.t)}"
    band = measured_band(inp)
    measured = f" (measured: {band})" if band else ""
    if picked == true:
        fraction, passed = 1.0, True
        sentence = f"{when}, the right call: {true} means {level.definition.lower()}{measured}."
    else:
        distance = _distance(picked, true)
        under = picked in SEVERITIES and SEVERITIES.index(picked) > SEVERITIES.index(true)
        why = f"the playbook defines {true} ({level.label}) as {level.definition.lower()}"
        passed = False
        if distance == 1:
            fraction = ONE_LEVEL_UNDER if under else ONE_LEVEL_OFF
            how = "one level too low (under-classifying costs more)" if under else "one level off"
            sentence = f"{when}, {how}: {why}{measured}."
        else:
            fraction = 0.0
            sentence = f"{when}, but {why}{measured}."
    cut, said = notification_deduction(inp)
    if said:
        sentence += " " + said
    return Verdict(max(0.0, fraction - cut), passed and cut == 0, sentence)


def _distance(picked: str, true: str) -> int:
    if picked not in SEVERITIES:
        return len(SEVERITIES)
    return abs(SEVERITIES.index(picked) - SEVERITIES.index(true))


@rule("routing", "Routing", kind="decision")
def routing(inp: RuleInput) -> Verdict:
    """The team assigned (70 %) and the root-cause area named in updates or assignment (30 %)."""
    expected = inp.expectations.team
    area = inp.expectations.root_cause_area
    assigned = inp.view.last("incident.assigned", scope=inp.scope)
    named = area_named(inp, area)
    if assigned is None and not named:
        return Verdict(
            0.0,
            False,
            f"{inp.subject} never assigned the incident; the routing rules"
            f" send {area} problems to the {expected} team.",
            involved=False,
        )
    team = str(assigned.data.get("team", "")) if assigned else ""
    right_team = team == expected
    fraction = (TEAM_SHARE if right_team else 0.0) + (AREA_SHARE if named else 0.0)
    if assigned is None:
        head = f"{inp.subject} named the {area} area but never assigned a team"
    else:
        head = f"{inp.subject} assigned {team} at {clock(assigned.t)}"
    if right_team and named:
        return Verdict(
            fraction,
            True,
            f"{head} and named the {area} area as the root cause —"
            " exactly what the routing rules ask.",
        )
    if right_team:
        return Verdict(
            fraction,
            False,
            f"{head}, the right team, but no update named the {area}"
            " area; put what you know in the root_cause field so others can help.",
        )
    return Verdict(
        fraction,
        False,
        f"{head}; the routing rules send {area} problems to the"
        f" {expected} team{' (the area was right)' if named and assigned else ''}.",
    )


def area_named(inp: RuleInput, area: str) -> bool:
    """True if an update's root_cause or an assignment's `area` names the root-cause area."""
    for event in inp.view.by("incident.assigned", inp.scope):
        if str(event.data.get("area", "")).lower() == area.lower():
            return True
    words = set(AREA_WORDS.get(area, ())) | {area.lower()}
    for event in inp.view.by("incident.update_posted", inp.scope):
        fields = event.data.get("fields")
        text = str(fields.get("root_cause", "")) if isinstance(fields, dict) else ""
        if words & set(re.findall(r"[a-z0-9]+", text.lower())):
            return True
    return False
