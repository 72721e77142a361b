"""The drill's event log model: every fact of a drill is one immutable event.

The engine appends events (SQLite, WAL); scoring, reports and the console read
them. The log exports to and imports from JSON Lines, one event per line.

Event types and their `data` (the contract between engine and scoring):

| type | data |
|---|---|
| drill.started | scenario_id, title, time_scale, backend, detector, participants[{name, role}] |
| steady_state.reached | slis{rps, error_rate, p50_ms, p99_ms, availability} |
| sli.sample | rps, error_rate, p50_ms, p99_ms, availability (one a second) |
| fault.injected | fault_id, kind, params, target, ttl_s (facilitator-only) |
| fault.reverted | fault_id, kind, reason (remediated/duration/abort/cleanup/ttl), action_seq |
| alert.firing | alert_id, name, severity (critical / high / medium), sli, value, threshold |
| alert.resolved | alert_id, name |
| page.sent | page_id, alert_id, level (1-5), target, channel |
| page.escalated | page_id, level, target |
| incident.declared | incident_id |
| incident.acknowledged | incident_id, page_id |
| incident.severity_set | incident_id, severity (P0-P3) |
| incident.assigned | incident_id, team |
| incident.status_changed | incident_id, from, to (NEW/INVESTIGATING/IDENTIFIED/...) |
| incident.update_posted | incident_id, fields{the playbook's update template fields} |
| diagnostic.viewed | name |
| action.executed | action, args, result (ok / error), detail |
| hint.given | text, source (scenario / facilitator) |
| service.recovered | slis, confirm_window_s |
| incident.resolved | incident_id |
| review.submitted | fields |
| answer_key.revealed | the scenario's `expected` block, written after the drill ends |
| drill.aborted | reason |
| drill.finished | outcome (resolved / time_limit) |
| drill.extended | seconds, total_extra_s (the facilitator added time) |
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
| fault.reverted | reason "remediated:ACTION" is read like "remediated" when action_seq is absent |

How scoring reads the clocks: T0 is the first `fault.injected`; `service.recovered`
is the moment the SLIs have stayed healthy for `confirm_window_s` (so they turned
healthy `confirm_window_s` earlier); drill seconds x `time_scale` are real seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class Event(BaseModel):
    """One fact of a drill. `t` is seconds since drill start on the monotonic clock."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(ge=0)
    drill_id: str
    type: str
    t: float
    wall: datetime
    actor: str = "engine"
    data: dict[str, Any] = Field(default_factory=dict)


class EventLogError(ValueError):
    """A log file that cannot be read; the message names the file and line."""


def to_jsonl(events: Iterable[Event]) -> str:
    return "".join(event.model_dump_json() + "\n" for event in events)


def write_jsonl(path: Path, events: Iterable[Event]) -> None:
    path.write_text(to_jsonl(events), encoding="utf-8")


def iter_jsonl(path: Path) -> Iterator[Event]:
    """Read a JSON Lines log; a bad line raises EventLogError naming file and line."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield Event.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                raise EventLogError(
                    f"{path}:{number}: not valid JSON ({exc.msg}); fix or delete that line"
                ) from None
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"]) or "event"
                raise EventLogError(f"{path}:{number}: field '{field}': {first['msg']}") from None


_EVENT_LIST: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def read_jsonl(path: Path) -> list[Event]:
    """Read a whole JSON Lines log; a bad line raises EventLogError naming file and line."""
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        # Fast path: validate every line in one call; only a bad log pays for line-by-line.
        return _EVENT_LIST.validate_json("[" + ",".join(lines) + "]")
    except ValidationError:
        pass
    return list(iter_jsonl(path))  # raises EventLogError naming the bad line
