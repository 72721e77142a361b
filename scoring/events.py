"""The drill's event log model: every fact of a drill is one immutable event.

The engine appends events (SQLite, WAL: `events.db`); scoring, reports and the
console read them. The log exports to and imports from JSON Lines, one event per
line. `read_log` reads either (told apart by the file's first bytes), so a drill
whose engine was killed before it exported its JSONL still scores from its
`events.db`. What every log must satisfy is checked by `scoring.invariants`.

Event types and their `data` (the contract between engine and scoring):

| type | data |
|---|---|
| drill.started | scenario_id, title, time_scale, backend, detector, participants[{name, role}] |
| steady_state.reached | slis{rps, error_rate, p50_ms, p99_ms, availability} |
| sli.sample | rps, error_rate, p50_ms, p99_ms, availability (one a second) |
| fault.injected | fault_id, kind, params, target, ttl_s (facilitator-only) |
| fault.reverted | fault_id, kind, reason, action_id, action_seq, ended_wall (one per fault) |
| alert.firing | alert_id, name, severity (critical / high / medium), sli, value, threshold |
| alert.resolved | alert_id, name, severity, reason (cleared / inhibited / stopped), inhibited_by? |
| page.sent | page_id, alert_id, level (1-5), target, channel |
| page.escalated | page_id, level, target |
| incident.declared | incident_id |
| incident.acknowledged | incident_id, page_id |
| incident.severity_set | incident_id, severity (P0-P3) |
| incident.assigned | incident_id, team |
| incident.status_changed | incident_id, from, to (NEW/INVESTIGATING/IDENTIFIED/...) |
| incident.update_posted | incident_id, fields{the playbook's update template fields} |
| diagnostic.viewed | name |
| action.started | action_id, action, args, evidence? (logged before the remediation acts) |
| action.executed | action_id, action, args, result (ok/error/unavailable), detail, ended |
| hint.given | text, source (scenario / facilitator) |
| service.recovered | slis, confirm_window_s |
| incident.resolved | incident_id |
| review.submitted | fields |
| answer_key.revealed | the scenario's `expected` block, written after the drill ends |
| drill.aborted | reason |
| drill.finished | outcome (resolved / time_limit); neither it nor drill.aborted: interrupted |
| drill.extended | seconds, total_extra_s, faults_extended (their TTLs moved too) |
| participant.joined | name, role (a trainee who joined after the start) |
| teardown.done | seconds (everything reverted and stopped) |

`actor` is who caused the event: "engine", "detector", "autopilot",
"facilitator", or "trainee:NAME". Unknown types are kept and ignored by scoring.

Optional fields scoring also understands (all may be omitted):

| type | optional data |
|---|---|
| drill.started | team (the name of the team being drilled; `chaosdrill history --team`) |
| incident.assigned | area (the root-cause area the responder named: a routing key) |
| page.escalated | reason (unacknowledged / unresolved / manual); inferred when absent |
| fault.reverted | legacy logs (no action.started): "remediated:ACTION", "drill-end", "manual" |

A `fault.reverted` reason is remediated (then action_id and action_seq name the
ending action's `action.started`), duration, ttl, operator, teardown or abort.
In a legacy log action_seq may name an `action.executed`; "remediated:ACTION" is
read like "remediated", "drill-end" like teardown and "manual" like operator.

`action.executed` also carries duration_s (seconds the action took).

How scoring reads the clocks: T0 is the first `fault.injected`; `service.recovered`
is the moment the SLIs have stayed healthy for `confirm_window_s` (so they turned
healthy `confirm_window_s` earlier); drill seconds x `time_scale` are real seconds.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
from pydantic import BaseModel, ConfigDict, Field, Json, TypeAdapter, ValidationError


class Event(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One fact of a drill. `t` is seconds since drill start on the monotonic clock.

    A msgspec Struct, not a pydantic model: a log of 500 events decodes in one
    C call per file and its events are not tracked by the garbage collector (an
    event holds only its own data, which never refers back to it), where a
    pydantic model was three tracked objects that every full collection walked.
    Reading validates; constructing one in Python does not, except that `t` is
    made a float as the pydantic model made it (`t=0` stays `0.0` in scorecards).
    """

    seq: Annotated[int, msgspec.Meta(ge=0)]
    drill_id: str
    type: str
    t: float
    wall: datetime
    actor: str = "engine"
    data: dict[str, Any] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        if type(self.t) is not float:
            msgspec.structs.force_setattr(self, "t", float(self.t))

    def replace(self, **changes: Any) -> Event:
        """A copy with some fields changed (events are immutable)."""
        return msgspec.structs.replace(self, **changes)


class EventModel(BaseModel):
    """The pydantic schema of an event: the lenient reader and its error messages.

    Used only when the strict fast reader refuses a log: it accepts what the
    pydantic event always accepted (a seq of "5", a wall of a Unix time, NaN...)
    and names the bad field when it refuses.
    """

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=0)
    drill_id: str
    type: str
    t: float
    wall: datetime
    actor: str = "engine"
    data: dict[str, Any] = Field(default_factory=dict)

    def event(self) -> Event:
        return Event(
            seq=self.seq,
            drill_id=self.drill_id,
            type=self.type,
            t=self.t,
            wall=self.wall,
            actor=self.actor,
            data=self.data,
        )


class EventLogError(ValueError):
    """A log file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class LogFile:
    """A drill's events read from a file, with what was tolerated on the way."""

    path: Path
    format: str  # "jsonl" or "sqlite"
    events: list[Event]
    warnings: list[str] = field(default_factory=list)


_ENCODER = msgspec.json.Encoder()


def to_jsonl(events: Iterable[Event]) -> str:
    return _ENCODER.encode_lines(list(events)).decode("utf-8")


def write_jsonl(path: Path, events: Iterable[Event]) -> None:
    path.write_text(to_jsonl(events), encoding="utf-8")


def events_from_jsonl(text: str) -> list[Event]:
    """The events of a JSON Lines text this code wrote (a stored drill's log).

    Strict and in one call; a text it refuses is read event by event by the
    pydantic schema, which raises its ValidationError for a line it refuses too.
    """
    try:
        return _ONE.decode_lines(text)
    except msgspec.MsgspecError:
        return [EventModel.model_validate_json(line).event() for line in text.splitlines() if line]


def _jsonl_error(path: Path, number: int, exc: ValidationError) -> EventLogError:
    return EventLogError(f"{path}:{number}: {_first_error(exc)}")


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "event"
    return f"field '{where}': {first['msg']}"


# The fast readers: strict (exact JSON types, RFC 3339 times), one C call per log.
# Whatever they refuse goes to the pydantic readers below, which decide as before.
# decode_lines reads each line as a JSON text of its own, so a line stays one event
# (a line holding `{...},{...}` is refused, not read as two events).
_ONE = msgspec.json.Decoder(Event)
_DATA = msgspec.json.Decoder(dict[str, Any])
# An events.db row as EVENTS_QUERY selects it (data still JSON text).
_Row = tuple[Annotated[int, msgspec.Meta(ge=0)], str, str, float, datetime, str, str]
# The lenient readers, one pydantic-core call per log.
_EVENT_LIST: TypeAdapter[list[EventModel]] = TypeAdapter(list[EventModel])
_EVENT_LINES: TypeAdapter[list[EventModel]] = TypeAdapter(list[Json[EventModel]])
_DATA_COLUMN: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(list[Json[dict[str, Any]]])


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventLogError(
            f"{path} is neither a JSON Lines event log nor a drill's events.db (SQLite):"
            f" byte {exc.start} is not UTF-8 text"
        ) from None


def _parse_jsonl(path: Path, *, tolerant: bool) -> LogFile:
    text = _text(path)
    try:
        # Fast path: decode and validate every line in one C call.
        return LogFile(path, "jsonl", _ONE.decode_lines(text), [])
    except msgspec.MsgspecError:
        pass
    every_line = text.splitlines()
    try:
        # What the strict reader refused, the lenient one may still read in one call;
        # only a bad log pays for line-by-line.
        models = _EVENT_LINES.validate_python([line for line in every_line if line.strip()])
        return LogFile(path, "jsonl", [m.event() for m in models], [])
    except ValidationError:
        pass
    lines = [(n, line) for n, line in enumerate(every_line, 1) if line.strip()]
    events: list[Event] = []
    for index, (number, line) in enumerate(lines):
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            if tolerant and index == 0:
                raise EventLogError(
                    f"{path} is neither a JSON Lines event log nor a drill's events.db (SQLite):"
                    f" line 1 is not JSON ({exc.msg})"
                ) from None
            if tolerant and index == len(lines) - 1:
                # What a crash mid-write leaves: the events before it are still the drill.
                cut = (
                    f"{path}:{number}: the last line is cut off ({exc.msg}), as a crash leaves"
                    f" it; ignored it and read the {len(events)} events before it"
                )
                return LogFile(path, "jsonl", events, [cut])
            raise EventLogError(
                f"{path}:{number}: not valid JSON ({exc.msg}); fix or delete that line"
            ) from None
        try:
            events.append(EventModel.model_validate(raw).event())
        except ValidationError as exc:
            raise _jsonl_error(path, number, exc) from None
    return LogFile(path, "jsonl", events, [])


def read_jsonl(path: Path) -> list[Event]:
    """Read a whole JSON Lines log; a bad line raises EventLogError naming file and line."""
    return _parse_jsonl(path, tolerant=False).events


SQLITE_MAGIC = b"SQLite format 3\x00"
EVENTS_QUERY = "SELECT seq, drill_id, type, t, wall, actor, data FROM events ORDER BY seq"


def read_events_db(path: Path) -> list[Event]:
    """Read a drill's events from its SQLite `events.db`, read-only (also a killed drill's).

    Opening read-only leaves the file, its WAL and a running engine alone; a
    write-ahead log that a killed engine left behind is read, not lost.
    """
    if not path.is_file():
        raise EventLogError(
            f"{path}: no drill event log there (events.db of a drill's report directory)"
        )
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = db.execute(EVENTS_QUERY).fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise EventLogError(
            f"{path} is not a drill's events.db (SQLite: {exc}); pass the events.db or"
            " events.jsonl of a drill's report directory"
        ) from None
    return _events_from_rows(path, rows)


def _events_from_rows(path: Path, rows: list[tuple[Any, ...]]) -> list[Event]:
    try:
        # Fast path: the columns checked (and the wall clocks parsed) in one strict
        # conversion per log, then each data column decoded by the strict decoder.
        decode = _DATA.decode
        return [
            Event(seq=s, drill_id=d, type=k, t=t, wall=w, actor=a, data=decode(x))
            for s, d, k, t, w, a, x in msgspec.convert(rows, list[_Row], strict=True)
        ]
    except msgspec.MsgspecError:
        pass
    try:
        # The lenient reader: two validation calls per log; only a bad log pays for row-by-row.
        datas = _DATA_COLUMN.validate_python([row[6] for row in rows])
        models = _EVENT_LIST.validate_python(
            [
                {"seq": s, "drill_id": d, "type": k, "t": t, "wall": w, "actor": a, "data": x}
                for (s, d, k, t, w, a, _), x in zip(rows, datas, strict=True)
            ]
        )
        return [m.event() for m in models]
    except ValidationError:
        pass
    return _events_row_by_row(path, rows)


def _events_row_by_row(path: Path, rows: list[tuple[Any, ...]]) -> list[Event]:
    """The slow reader, kept for the message: which seq is bad, and why."""
    events: list[Event] = []
    for seq, drill_id, type_, t, wall, actor, data in rows:
        try:
            events.append(
                EventModel(
                    seq=seq,
                    drill_id=drill_id,
                    type=type_,
                    t=t,
                    wall=wall,
                    actor=actor,
                    data=json.loads(data),
                ).event()
            )
        except json.JSONDecodeError as exc:
            raise EventLogError(f"{path}: event seq {seq}: data is not JSON ({exc.msg})") from None
        except (TypeError, UnicodeDecodeError):
            # A hand-made events.db without the engine's schema: data stored as NULL, a number
            # or bytes that are not UTF-8 (json.loads would raise, not name the seq).
            shown = "NULL" if data is None else type(data).__name__
            raise EventLogError(
                f"{path}: event seq {seq}: data is {shown}, not JSON text; the engine stores"
                " each event's data as a JSON object"
            ) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "event"
            raise EventLogError(
                f"{path}: event seq {seq}: field '{field}': {first['msg']}"
            ) from None
    return events


LOG_NAMES = ("events.db", "events.jsonl")


def read_log(path: Path) -> LogFile:
    """Read a drill log: a JSON Lines file, an `events.db`, or a report directory holding one.

    The format is told by the file's first bytes, not its name. A cut-off last
    JSON Lines line (what a crash leaves) becomes a warning; any other bad line
    raises EventLogError naming file and line.
    """
    if path.is_dir():
        # events.db is the drill's own log (the JSONL is its export at the end).
        inside = next((path / name for name in LOG_NAMES if (path / name).is_file()), None)
        if inside is None:
            raise EventLogError(
                f"{path} holds neither events.db nor events.jsonl;"
                " is it a drill's report directory?"
            )
        path = inside
    if not path.is_file():
        raise EventLogError(f"{path}: no such log file")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        return LogFile(path, "sqlite", read_events_db(path), [])
    return _parse_jsonl(path, tolerant=True)
