"""Inject, revert and expire faults, with the journal as the record of truth.

Every call takes the state directory's lock, so the engine, the CLI and the
watchdog can act on one environment without stepping on each other.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from simulator.env.state import EnvState, load_state, lock
from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, UnknownFault
from simulator.faults.journal import JournalEntry, end_reason, load_journal, save_journal
from simulator.faults.limits import DEFAULT_TTL_S, MAX_TTL_S, ttl_problem
from simulator.faults.registry import conflict, get_kind, parse_params
from simulator.platform.registry import DEFAULT, platform_for

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_TTL_S", "MAX_TTL_S", "FaultManager", "NoEnvironment", "make_backend"]


class NoEnvironment(FaultError):
    pass


class FaultManager:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir

    def backend(self) -> FaultBackend:
        state: EnvState | None = load_state(self.state_dir)
        if state is None:
            raise NoEnvironment(
                f"no environment is up in {self.state_dir}; start one with `chaosdrill env up`"
            )
        return make_backend(state)

    def backend_name(self) -> str:
        """The platform the environment in the state directory runs on (the default if none)."""
        state = load_state(self.state_dir)
        return state.backend if state is not None else DEFAULT

    def inject(
        self, kind_name: str, raw_params: dict[str, Any] | None = None, ttl_s: float = DEFAULT_TTL_S
    ) -> JournalEntry:
        """Validate everything first; journal before acting; act; record how to undo."""
        kind = get_kind(kind_name, self.backend_name())
        params = parse_params(kind, raw_params or {})
        problem = ttl_problem(ttl_s)
        if problem:
            raise FaultError(problem)
        with lock(self.state_dir):
            backend = self.backend()
            target = kind.target(params)
            backend.check_target(target)
            kind.check(backend, params)
            open_faults = [
                (e.id, e.kind, e.params) for e in load_journal(self.state_dir).open_entries()
            ]
            database = "postgres" if backend.is_postgres else "sqlite"
            problem = conflict(kind, params, database, open_faults, backend.name)
            if problem:
                raise FaultError(problem)
            entry = JournalEntry(
                kind=kind.name,
                params=params.model_dump(),
                target=target,
                deadline=time.time() + ttl_s,
            )
            journal = load_journal(self.state_dir)
            journal.entries.append(entry)
            save_journal(self.state_dir, journal)
            shop_pid = backend.state.shop.pid
            try:
                entry.undo = kind.inject(backend, params, ttl_s, entry.id)
                entry.status = "active"
            except Exception as exc:
                # Leave nothing half-done: undo whatever part acted.
                entry.error = str(exc)
                try:
                    kind.revert(backend, params, entry.undo)
                    entry.status = "failed"
                except Exception as undo_exc:  # the inject's error is the one raised below
                    # Still open: the watchdog, cleanup and the next start try again;
                    # the entry says why it is open, and so does the log.
                    entry.status = "injecting"
                    entry.error = f"{exc}; undoing it failed too: {undo_exc}"
                    log.error(
                        "fault %s (%s): inject failed (%s) and undoing it failed: %s",
                        entry.id,
                        kind.name,
                        exc,
                        undo_exc,
                    )
                _store(self.state_dir, entry)
                raise
            _store(self.state_dir, entry)
            if backend.state.shop.pid != shop_pid and backend.service_running("shop"):
                self._reassert(backend)
            return entry

    def revert(
        self, fault_id: str, reason: str = "operator", by: str | None = None
    ) -> JournalEntry:
        """End one fault and record how (`reason`) and, when remediated, by which action."""
        with lock(self.state_dir):
            entry = load_journal(self.state_dir).get(fault_id)
            if entry is None:
                raise UnknownFault(
                    f"no fault with id '{fault_id}'; `chaosdrill fault list` shows the active ones"
                )
            if entry.open:
                self._revert(self.backend(), entry, reason, by)
            return entry

    def extend(self, seconds: float) -> list[JournalEntry]:
        """Move every open fault's deadline `seconds` later, on the far side too."""
        if not 0 < seconds <= MAX_TTL_S:
            raise FaultError(f"an extension must be between 0 and {MAX_TTL_S:.0f}s, not {seconds}")
        with lock(self.state_dir):
            entries = load_journal(self.state_dir).open_entries()
            if not entries:
                return []
            backend = self.backend()
            for entry in entries:
                entry.deadline += seconds
                _store(self.state_dir, entry)  # the watchdog's deadline first
                kind = get_kind(entry.kind, backend.name)
                kind.extend(backend, parse_params(kind, entry.params), entry.undo, entry.ttl_left())
            return entries

    def entries(self) -> list[JournalEntry]:
        """Every fault of the environment, open or ended, with how it ended."""
        return list(load_journal(self.state_dir).entries)

    def revert_all(self, reason: str = "cleanup") -> list[JournalEntry]:
        with lock(self.state_dir):
            state = load_state(self.state_dir)
            entries = load_journal(self.state_dir).open_entries()
            if state is None:
                return entries
            backend = make_backend(state)
            done, failures = [], []
            for entry in reversed(entries):  # one fault that will not revert blocks no other
                try:
                    done.append(self._revert(backend, entry, reason))
                except Exception as exc:  # recorded in the journal entry by _revert
                    failures.append(f"{entry.kind} ({entry.id}): {exc}")
            if failures:
                raise FaultError(
                    f"{len(failures)} fault(s) could not be reverted: " + "; ".join(failures)
                )
            return done

    def expire(self, now: float | None = None) -> list[JournalEntry]:
        """Revert every open fault past its TTL (the watchdog calls this)."""
        now = time.time() if now is None else now
        with lock(self.state_dir):
            due = [e for e in load_journal(self.state_dir).open_entries() if e.deadline <= now]
            if not due:
                return []
            backend = self.backend()
            return [self._revert(backend, e, "ttl") for e in due]

    def active(self) -> list[JournalEntry]:
        return load_journal(self.state_dir).open_entries()

    def is_active(self, entry: JournalEntry) -> bool:
        backend = self.backend()
        kind = get_kind(entry.kind, backend.name)
        return kind.is_active(backend, parse_params(kind, entry.params), entry.undo)

    def reassert(self) -> list[JournalEntry]:
        """After the shop restarted, re-apply faults whose cause a restart does not remove."""
        with lock(self.state_dir):
            return self._reassert(self.backend())

    def _reassert(self, backend: FaultBackend) -> list[JournalEntry]:
        again = []
        for entry in load_journal(self.state_dir).open_entries():
            kind = get_kind(entry.kind, backend.name)
            if kind.survives_restart and entry.ttl_left() > 0:
                kind.inject(backend, parse_params(kind, entry.params), entry.ttl_left(), entry.id)
                again.append(entry)
        return again

    def _revert(
        self, backend: FaultBackend, entry: JournalEntry, reason: str, by: str | None = None
    ) -> JournalEntry:
        reason = end_reason(reason)
        kind = get_kind(entry.kind, backend.name)
        shop_pid = backend.state.shop.pid
        try:
            kind.revert(backend, parse_params(kind, entry.params), entry.undo)
        except Exception as exc:
            entry.error = f"revert failed: {exc}"
            _store(self.state_dir, entry)
            raise
        entry.status = "reverted"
        entry.reverted_at = time.time()
        entry.revert_reason = reason
        entry.ended_by = by if reason == "remediated" else None
        _store(self.state_dir, entry)
        if backend.state.shop.pid != shop_pid and backend.service_running("shop"):
            self._reassert(backend)
        return entry


def make_backend(state: EnvState) -> FaultBackend:
    """The fault backend of the platform the environment was brought up with."""
    return platform_for(state.backend).backend(state)


def _store(state_dir: Path, entry: JournalEntry) -> None:
    journal = load_journal(state_dir)
    journal.entries = [entry if e.id == entry.id else e for e in journal.entries]
    save_journal(state_dir, journal)
