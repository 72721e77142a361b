"""SQLAlchemy models of the drill history (SQLite by default, PostgreSQL the same).

One row per drill with the figures trends need, one per scored party (the
team, each trainee, the autopilot baseline) with their clocks, one per
criterion of each party, and the drill's event log, gzipped JSON Lines, in a
table of its own so that trend queries never load it.
Durations are real incident seconds (drill seconds x time_scale).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "CriterionRow", "DrillLogRow", "DrillRow", "PartyRow"]


class Base(DeclarativeBase):
    pass


class DrillRow(Base):
    """One drill: finished, aborted, or interrupted (its engine was killed)."""

    __tablename__ = "history_drills"

    drill_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    stored_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    drilled_team: Mapped[str] = mapped_column(String(200), default="", index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    true_severity: Mapped[str] = mapped_column(String(4))
    time_scale: Mapped[float] = mapped_column(Float, default=1.0)
    outcome: Mapped[str] = mapped_column(String(40))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Real seconds of the drill, and of it the time the service was failing.
    duration_s: Mapped[float] = mapped_column(Float)
    downtime_s: Mapped[float] = mapped_column(Float)
    incidents: Mapped[int] = mapped_column(Integer, default=0)


class PartyRow(Base):
    """The scorecard of one scored party in one drill."""

    __tablename__ = "history_parties"
    __table_args__ = (Index("ix_history_parties_kind_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    drill_id: Mapped[str] = mapped_column(
        ForeignKey("history_drills.drill_id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # team / trainee / autopilot
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    total: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(8))
    detection_latency_s: Mapped[float | None] = mapped_column(Float)
    mttd_s: Mapped[float | None] = mapped_column(Float)
    mtta_s: Mapped[float | None] = mapped_column(Float)
    time_to_identify_s: Mapped[float | None] = mapped_column(Float)
    time_to_recover_s: Mapped[float | None] = mapped_column(Float)
    mttr_s: Mapped[float | None] = mapped_column(Float)


class CriterionRow(Base):
    """Points on one criterion for one party."""

    __tablename__ = "history_criteria"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_id: Mapped[int] = mapped_column(
        ForeignKey("history_parties.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(60))
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)


class DrillLogRow(Base):
    """The drill's events (gzipped JSON Lines) and the answer key it was scored with."""

    __tablename__ = "history_logs"

    drill_id: Mapped[str] = mapped_column(
        ForeignKey("history_drills.drill_id", ondelete="CASCADE"), primary_key=True
    )
    events_jsonl_gz: Mapped[bytes] = mapped_column(LargeBinary)
    expectations_json: Mapped[str] = mapped_column(Text)
    event_count: Mapped[int] = mapped_column(Integer)
