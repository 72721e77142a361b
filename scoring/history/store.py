"""Store scored drills and read them back (SQLAlchemy; SQLite or PostgreSQL).

The database is `DRILL_DB_URL` when set, else SQLite at `.chaosdrill/history.db`
in the working directory. Storing a drill again replaces it, so re-scoring a log
is safe.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scoring.events import Event, events_from_jsonl, to_jsonl
from scoring.expectations import Expectations
from scoring.history.models import Base, CriterionRow, DrillLogRow, DrillRow, PartyRow
from scoring.scorecard import ParticipantCard, Scorecard

__all__ = ["DEFAULT_DB", "ENV_URL", "HistoryError", "HistoryStore", "StoredDrill", "database_url"]

ENV_URL = "DRILL_DB_URL"
DEFAULT_DB = Path(".chaosdrill") / "history.db"
LOAD_CHUNK = 500  # drill ids in one IN (...): well under any database's bound on parameters


class HistoryError(ValueError):
    """The history database cannot be used, or has no such drill; the message says which."""


@dataclass(frozen=True)
class StoredDrill:
    events: list[Event]
    expectations: Expectations


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $DRILL_DB_URL, else the local SQLite file."""
    chosen = url or os.environ.get(ENV_URL)
    if chosen:
        return chosen
    DEFAULT_DB.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_DB}"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


class HistoryStore:
    """The drill history behind one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        try:
            Base.metadata.create_all(engine)
        except SQLAlchemyError as exc:
            raise HistoryError(
                f"cannot open the history database {engine.url.render_as_string()}:"
                f" {_first_line(exc)}; check {ENV_URL}"
            ) from None

    @classmethod
    def open(cls, url: str | None = None) -> HistoryStore:
        """Open (and create if needed) the history database."""
        resolved = database_url(url)
        try:
            engine = create_engine(resolved)
        except (SQLAlchemyError, ValueError) as exc:
            shown = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", resolved)
            raise HistoryError(
                f"{ENV_URL}/--db {shown!r} is not a usable database URL ({_first_line(exc)})"
            ) from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def save(self, card: Scorecard, events: Sequence[Event], expectations: Expectations) -> None:
        """Store one scored drill (replacing an earlier copy of the same drill)."""
        self.save_many([(card, events, expectations)])

    def save_many(self, drills: Iterable[tuple[Scorecard, Sequence[Event], Expectations]]) -> int:
        """Store many scored drills in one transaction; returns how many."""
        count = 0
        with Session(self.engine) as session, session.begin():
            for card, events, expectations in drills:
                session.execute(delete(DrillRow).where(DrillRow.drill_id == card.drill_id))
                session.execute(insert(DrillRow), [_drill_row(card)])
                _insert_parties(session, card)
                session.execute(
                    insert(DrillLogRow),
                    [
                        {
                            "drill_id": card.drill_id,
                            "events_jsonl_gz": gzip.compress(to_jsonl(events).encode(), 6),
                            "expectations_json": expectations.model_dump_json(by_alias=False),
                            "event_count": len(events),
                        }
                    ],
                )
                count += 1
        return count

    def load(self, drill_id: str) -> StoredDrill:
        """The events and answer key of a stored drill."""
        with Session(self.engine) as session:
            row = session.get(DrillLogRow, drill_id)
            if row is None:
                known = session.scalars(select(DrillRow.drill_id).limit(5)).all()
                hint = f" (stored drills include {', '.join(known)})" if known else ""
                raise HistoryError(
                    f"no drill {drill_id!r} in the history at {self.engine.url.render_as_string()}"
                    f"{hint}; store one with `chaosdrill score LOG.jsonl --store`"
                )
            text = gzip.decompress(row.events_jsonl_gz).decode()
            events = events_from_jsonl(text)
            expectations = Expectations.model_validate_json(row.expectations_json)
        return StoredDrill(events=events, expectations=expectations)

    def events_of(self, drill_ids: Sequence[str]) -> Iterator[tuple[str, list[Event]]]:
        """The events of many stored drills, in the order asked, a few queries in all.

        (One `load` per drill was a session and a query each: 10,000 drills took seconds.)
        """
        for start in range(0, len(drill_ids), LOAD_CHUNK):
            chunk = drill_ids[start : start + LOAD_CHUNK]
            with Session(self.engine) as session:
                rows = session.execute(
                    select(DrillLogRow.drill_id, DrillLogRow.events_jsonl_gz).where(
                        DrillLogRow.drill_id.in_(chunk)
                    )
                )
                found = {drill_id: packed for drill_id, packed in rows}
            for drill_id in chunk:
                packed = found.get(drill_id)
                if packed is None:
                    yield drill_id, self.load(drill_id).events  # raises: no such drill
                else:
                    yield drill_id, events_from_jsonl(gzip.decompress(packed).decode())

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(DrillRow)) or 0)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _drill_row(card: Scorecard) -> dict[str, object]:
    scale = card.time_scale
    recover = card.team.clocks["time_to_recover"].stop_t
    if card.t0 is None:
        downtime = 0.0
    else:
        # Failing from T0 until measured recovery, or to the end if it never came.
        downtime = ((recover if recover is not None else card.end_t) - card.t0) * scale
    return {
        "drill_id": card.drill_id,
        "scenario_id": card.scenario_id,
        "title": card.title,
        "started_at": card.started_at,
        "stored_at": datetime.now(UTC),
        "drilled_team": card.drilled_team,
        "target": card.target,
        "true_severity": card.true_severity,
        "time_scale": scale,
        "outcome": card.outcome,
        "escalated": card.escalated,
        "duration_s": card.end_t * scale,
        "downtime_s": max(0.0, downtime),
        "incidents": 1 if card.t0 is not None else 0,
    }


def _party(card: ParticipantCard, drill_id: str, kind: str) -> dict[str, object]:
    row: dict[str, object] = {
        "drill_id": drill_id,
        "kind": kind,
        "name": card.name,
        "role": card.role,
        "total": card.total,
        "grade": card.grade,
    }
    for name, clock in card.clocks.items():
        row[f"{name}_s"] = clock.scaled_s
    return row


def _insert_parties(session: Session, card: Scorecard) -> None:
    # An autopilot-only drill is not the team's: it joins the autopilot's own trend.
    team_kind = "team" if card.participants else "autopilot"
    parties = [(card.team, team_kind)] + [(p, "trainee") for p in card.participants]
    if card.baseline is not None:
        parties.append((card.baseline.card, "autopilot"))
    ids = session.scalars(
        insert(PartyRow).returning(PartyRow.id, sort_by_parameter_order=True),
        [_party(p, card.drill_id, kind) for p, kind in parties],
    ).all()
    rows = [
        {
            "party_id": party_id,
            "key": c.key,
            "points": c.points,
            "max_points": c.max_points,
            "passed": c.passed,
            "shared": c.shared,
        }
        for party_id, (party, _) in zip(ids, parties, strict=True)
        for c in party.criteria
    ]
    session.execute(insert(CriterionRow), rows)
