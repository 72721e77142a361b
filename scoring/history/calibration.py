"""Severity calibration over time: how often each party's declared severity was too
high, right or too low against the drill's true severity, drill after drill.

Read from the stored logs (the last `incident.severity_set` each party made), so
drills stored before this existed are calibrated too.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.drill import AUTOPILOT, DrillView, Scope
from scoring.history.models import DrillRow
from scoring.history.store import HistoryStore
from scoring.names import SEVERITIES

MARKS = {"too high": "↑", "right": "=", "too low": "↓", "none": "·"}


class Calibration(BaseModel):
    """One party's severity calls across the selected drills, oldest first."""

    name: str
    too_high: int = 0
    right: int = 0
    too_low: int = 0
    none: int = 0
    trend: list[str] = []  # "too high" / "right" / "too low" / "none", per drill

    @property
    def marks(self) -> str:
        return " ".join(MARKS[t] for t in self.trend)


def verdict(declared: str | None, true: str) -> str:
    """'too high' (louder than the truth), 'right', 'too low' or 'none'."""
    if declared not in SEVERITIES or true not in SEVERITIES:
        return "none"
    gap = SEVERITIES.index(declared) - SEVERITIES.index(true)
    return "right" if gap == 0 else ("too high" if gap < 0 else "too low")


def _declared(view: DrillView, scope: Scope) -> str | None:
    last = view.last("incident.severity_set", scope=scope)
    return str(last.data.get("severity")) if last is not None else None


def calibration(
    store: HistoryStore, drill_ids: list[str], trainee: str | None
) -> list[Calibration]:
    """Calibration of the team, each trainee (or only `trainee`) and the autopilot."""
    with Session(store.engine) as session:
        truth = dict(
            session.execute(
                select(DrillRow.drill_id, DrillRow.true_severity).where(
                    DrillRow.drill_id.in_(drill_ids)
                )
            ).all()
        )
    parties: dict[str, Calibration] = defaultdict(lambda: Calibration(name=""))
    for drill_id, events in store.events_of(drill_ids):
        view = DrillView(events)
        scopes: dict[str, Scope] = {}
        if view.trainees():
            scopes["team"] = view.responders()
            for actor in view.trainees():
                name = actor.removeprefix("trainee:")
                if trainee is None or name == trainee:
                    scopes[name] = frozenset({actor})
        if view.of("incident.severity_set") and any(
            e.actor == AUTOPILOT for e in view.of("incident.severity_set")
        ):
            scopes["autopilot"] = frozenset({AUTOPILOT})
        for name, scope in scopes.items():
            call = verdict(_declared(view, scope), str(truth.get(drill_id, "")))
            party = parties[name]
            party.name = name
            party.trend.append(call)
            field = call.replace(" ", "_")
            setattr(party, field, getattr(party, field) + 1)
    order = ["team", *sorted(n for n in parties if n not in ("team", "autopilot")), "autopilot"]
    return [parties[n] for n in order if n in parties]
