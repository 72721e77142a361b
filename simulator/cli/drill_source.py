"""Find a drill's events from what a user names: a log file, a report directory, or a drill id.

A log file is JSON Lines or a drill's `events.db` (told apart by content); a
report directory holds one of them. A drill id is looked up first in the drill
pointer files the engine writes at start (`<state_root>/drills/*/drill.json`:
drill_id, scenario_id, events_db, report_dir, engine_pid, started_wall), so a
drill whose engine was killed is found by its id, then in the history store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from scoring.events import Event, EventLogError, read_log
from scoring.expectations import Expectations

__all__ = ["DEFAULT_STATE_ROOT", "DrillSource", "find_pointer", "locate"]

DEFAULT_STATE_ROOT = Path(".chaosdrill")
LOG_SUFFIXES = (".jsonl", ".db", ".json", ".sqlite")


@dataclass(frozen=True)
class DrillSource:
    """A drill's events and where they came from."""

    label: str  # how messages name the drill: its file, or "drill ID (FILE)"
    events: list[Event]
    warnings: list[str] = field(default_factory=list)
    expectations: Expectations | None = None  # the answer key the history stored with it
    scenario_file: Path | None = None  # when the drill's pointer names its scenario file


def _looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(LOG_SUFFIXES)


def find_pointer(drill_id: str, state_root: Path) -> tuple[Path, dict[str, object]] | None:
    """The pointer file of a drill (and its content), or None when no drill has that id."""
    for pointer in sorted((state_root / "drills").glob("*/drill.json")):
        try:
            data = json.loads(pointer.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # another drill's pointer, half written or damaged: not this drill's
        if isinstance(data, dict) and data.get("drill_id") == drill_id:
            return pointer, data
    return None


def _from_pointer(drill_id: str, pointer: Path, data: dict[str, object]) -> DrillSource:
    candidates = []
    if data.get("events_db"):
        candidates.append(Path(str(data["events_db"])))
    if data.get("report_dir"):
        report_dir = Path(str(data["report_dir"]))
        candidates += [report_dir / "events.db", report_dir / "events.jsonl"]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        shown = ", ".join(str(p) for p in candidates) or "no events_db in it"
        raise EventLogError(
            f"drill {drill_id}: its pointer {pointer} names a log that is gone ({shown})"
        )
    log = read_log(found)
    scenario = data.get("scenario_file")
    return DrillSource(
        label=f"drill {drill_id} ({found})",
        events=log.events,
        warnings=log.warnings,
        scenario_file=Path(str(scenario)) if scenario else None,
    )


def locate(spec: str, *, state_root: Path, db_url: str | None) -> DrillSource:
    """The events of the drill `spec` names; raises ValueError with one sentence if none."""
    path = Path(spec)
    if path.exists() or _looks_like_path(spec):
        if not path.exists():
            raise EventLogError(f"{spec}: no such log file")
        log = read_log(path)
        # The drill's pointer (found by its id) names the scenario it ran: a killed drill
        # has no answer key in its log.
        drill_id = log.events[0].drill_id if log.events else ""
        pointer = find_pointer(drill_id, state_root) if drill_id else None
        scenario = pointer[1].get("scenario_file") if pointer is not None else None
        return DrillSource(
            label=str(log.path),
            events=log.events,
            warnings=log.warnings,
            scenario_file=Path(str(scenario)) if scenario else None,
        )
    pointer = find_pointer(spec, state_root)
    if pointer is not None:
        return _from_pointer(spec, *pointer)
    from scoring.history import HistoryError, HistoryStore  # SQLAlchemy: only when asked

    history = HistoryStore.open(db_url)
    try:
        stored = history.load(spec)
    except HistoryError as exc:
        raise HistoryError(
            f"{exc}; nor is there a drill {spec!r} under {state_root / 'drills'}"
            " (--state-root), nor a log file of that name"
        ) from None
    finally:
        history.close()
    return DrillSource(
        label=f"drill {spec} (history)", events=stored.events, expectations=stored.expectations
    )
