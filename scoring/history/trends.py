"""Trends over stored drills: per trainee and for the team.

Medians and means of score, MTTD, MTTA and MTTR (real seconds), pass rate per
criterion, the escalation rate against the playbook's target, and per target
the playbook's MTTF = total uptime / number of incidents. Aggregation over
criteria happens in SQL; everything else reads one row per scored party.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import fmean, median
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.orm import Session

from scoring.history.calibration import Calibration, calibration
from scoring.history.models import CriterionRow, DrillRow, PartyRow
from scoring.history.store import HistoryStore

__all__ = ["PartyTrend", "Stat", "TargetMttf", "TrendFilter", "Trends", "compute_trends"]

SERIES_LIMIT = 200
# A log with neither drill.finished nor drill.aborted: its engine was killed.
# ("incomplete" is what scoring called that outcome before it was named "interrupted".)
INTERRUPTED_OUTCOMES = ("interrupted", "incomplete")


@dataclass(frozen=True)
class TrendFilter:
    """Which drills to look at."""

    trainee: str | None = None
    team: str | None = None
    since: datetime | None = None

    def describe(self) -> str:
        parts = [
            f"trainee {self.trainee}" if self.trainee else "",
            f"team {self.team}" if self.team else "",
            f"since {self.since.date().isoformat()}" if self.since else "",
        ]
        return ", ".join(p for p in parts if p) or "all drills"


class Stat(BaseModel):
    """Median and mean of the values that were measured (missing ones are not zeros)."""

    median: float | None
    mean: float | None
    n: int

    @classmethod
    def of(cls, values: Sequence[float | None]) -> Stat:
        present = [v for v in values if v is not None]
        if not present:
            return cls(median=None, mean=None, n=0)
        return cls(median=median(present), mean=fmean(present), n=len(present))


class TrendPoint(BaseModel):
    drill_id: str
    started_at: datetime | None
    total: float
    mttd_s: float | None
    mttr_s: float | None


class PartyTrend(BaseModel):
    """How one trainee (or the team) did over the selected drills."""

    name: str
    drills: int
    total: Stat
    mttd: Stat
    mtta: Stat
    mttr: Stat
    pass_rate: dict[str, float]
    series: list[TrendPoint]


class TargetMttf(BaseModel):
    """The playbook's MTTF for one drilled target: total uptime / incidents."""

    target: str
    incidents: int
    uptime_s: float
    mttf_s: float | None


class Trends(BaseModel):
    """Everything `chaosdrill history` shows."""

    scope: str
    drills: int
    team: PartyTrend | None
    trainees: list[PartyTrend]
    autopilot: PartyTrend | None
    escalated: int
    escalation_rate: float | None
    escalation_target: float
    mttf: list[TargetMttf]
    # How the drills ended (finished / aborted / interrupted), and which were interrupted.
    outcomes: dict[str, int] = Field(default_factory=dict)
    interrupted: list[str] = Field(default_factory=list)
    calibration: list[Calibration] = Field(default_factory=list)  # severity calls over time


AnyRow = Row[*tuple[Any, ...]]
AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


def _filtered(query: AnySelect, where: TrendFilter) -> AnySelect:
    if where.since is not None:
        query = query.where(DrillRow.started_at >= where.since)
    if where.team:
        query = query.where(DrillRow.drilled_team == where.team)
    if where.trainee:
        took_part = select(PartyRow.drill_id).where(
            PartyRow.kind == "trainee", PartyRow.name == where.trainee
        )
        query = query.where(DrillRow.drill_id.in_(took_part))
    return query


def _pass_rates(session: Session, where: TrendFilter) -> dict[tuple[str, str], dict[str, float]]:
    # A trainee's pass rate counts only their own decisions; shared rows are the team's.
    label = case((PartyRow.kind == "trainee", PartyRow.name), else_="")
    query = (
        select(
            PartyRow.kind,
            label,
            CriterionRow.key,
            func.sum(case((CriterionRow.passed, 1), else_=0)),
            func.count(),
        )
        .join(PartyRow, CriterionRow.party_id == PartyRow.id)
        .join(DrillRow, DrillRow.drill_id == PartyRow.drill_id)
        .where((PartyRow.kind != "trainee") | (CriterionRow.shared.is_(False)))
        .group_by(PartyRow.kind, label, CriterionRow.key)
    )
    rates: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for kind, name, key, passed, total in session.execute(_filtered(query, where)):
        rates[(str(kind), str(name))][str(key)] = int(passed) / int(total) if total else 0.0
    return rates


def _party_trend(name: str, rows: list[AnyRow], rates: dict[str, float]) -> PartyTrend:
    series = [
        TrendPoint(
            drill_id=r.drill_id,
            started_at=r.started_at,
            total=r.total,
            mttd_s=r.mttd_s,
            mttr_s=r.mttr_s,
        )
        for r in rows[-SERIES_LIMIT:]
    ]
    return PartyTrend(
        name=name,
        drills=len(rows),
        total=Stat.of([r.total for r in rows]),
        mttd=Stat.of([r.mttd_s for r in rows]),
        mtta=Stat.of([r.mtta_s for r in rows]),
        mttr=Stat.of([r.mttr_s for r in rows]),
        pass_rate=rates,
        series=series,
    )


def compute_trends(store: HistoryStore, where: TrendFilter, escalation_target: float) -> Trends:
    """Aggregate the stored drills selected by `where`."""
    with Session(store.engine) as session:
        parties = session.execute(
            _filtered(
                select(
                    PartyRow.kind,
                    PartyRow.name,
                    PartyRow.total,
                    PartyRow.mttd_s,
                    PartyRow.mtta_s,
                    PartyRow.mttr_s,
                    DrillRow.drill_id,
                    DrillRow.started_at,
                )
                .join(DrillRow, DrillRow.drill_id == PartyRow.drill_id)
                .order_by(DrillRow.started_at, DrillRow.drill_id),
                where,
            )
        ).all()
        drills = session.execute(
            _filtered(
                select(
                    DrillRow.drill_id,
                    DrillRow.outcome,
                    DrillRow.escalated,
                    DrillRow.target,
                    DrillRow.duration_s,
                    DrillRow.downtime_s,
                    DrillRow.incidents,
                ),
                where,
            )
        ).all()
        rates = _pass_rates(session, where)
        ordered = session.execute(
            _filtered(
                select(DrillRow.drill_id).order_by(DrillRow.started_at, DrillRow.drill_id), where
            )
        ).all()
    by_party: dict[tuple[str, str], list[AnyRow]] = defaultdict(list)
    for row in parties:
        key = (row.kind, row.name if row.kind == "trainee" else "")
        by_party[key].append(row)
    trainees = sorted(n for k, n in by_party if k == "trainee")
    if where.trainee:
        trainees = [n for n in trainees if n == where.trainee]
    escalated = sum(1 for d in drills if d.escalated)
    return Trends(
        scope=where.describe(),
        drills=len(drills),
        team=_maybe(by_party, rates, ("team", ""), "team"),
        trainees=[
            _party_trend(n, by_party[("trainee", n)], rates.get(("trainee", n), {}))
            for n in trainees
        ],
        autopilot=_maybe(by_party, rates, ("autopilot", ""), "autopilot"),
        escalated=escalated,
        escalation_rate=escalated / len(drills) if drills else None,
        escalation_target=escalation_target,
        mttf=_mttf(drills),
        outcomes=dict(sorted(Counter(str(d.outcome) for d in drills).items())),
        interrupted=sorted(str(d.drill_id) for d in drills if d.outcome in INTERRUPTED_OUTCOMES),
        calibration=calibration(store, [str(r.drill_id) for r in ordered], where.trainee),
    )


Rates = dict[tuple[str, str], dict[str, float]]


def _maybe(
    by_party: dict[tuple[str, str], list[AnyRow]], rates: Rates, key: tuple[str, str], name: str
) -> PartyTrend | None:
    rows = by_party.get(key)
    return _party_trend(name, rows, rates.get(key, {})) if rows else None


def _mttf(drills: Sequence[AnyRow]) -> list[TargetMttf]:
    uptime: dict[str, float] = defaultdict(float)
    incidents: dict[str, int] = defaultdict(int)
    for d in drills:
        target = d.target or "(unknown target)"
        uptime[target] += max(0.0, d.duration_s - d.downtime_s)
        incidents[target] += d.incidents
    return [
        TargetMttf(
            target=t,
            incidents=incidents[t],
            uptime_s=uptime[t],
            mttf_s=uptime[t] / incidents[t] if incidents[t] else None,
        )
        for t in sorted(uptime)
    ]
