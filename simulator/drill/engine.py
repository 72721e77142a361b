"""The Drill: the composition root of one run of a scenario.

It owns the event log, the environment, the load, the detector, the incident
and the responders, and always ends the same way: every fault reverted, load
and detector stopped, environment down, results written.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoring.playbook import Playbook
from simulator.detection.alerts import AlertFiring, AlertResolved
from simulator.detection.detector import DetectorOutput
from simulator.detection.samples import SliSample
from simulator.drill.data_evidence import canary_evidence
from simulator.drill.detectors import DetectorFactory, DetectorLike, builtin_detector
from simulator.drill.eventlog import EventLog
from simulator.drill.incident import new_incident_id
from simulator.drill.paging import Pager, escalate, send_first_page
from simulator.drill.reach import Reach
from simulator.drill.recovery import RecoveryMonitor, SteadyState, Thresholds
from simulator.drill.report_dir import check_report_dir
from simulator.drill.responses import Responses
from simulator.drill.stale import cleanup_stale
from simulator.drill.watch import TriageWatch
from simulator.env import lifecycle
from simulator.faults.journal import JournalEntry
from simulator.faults.manager import FaultManager
from simulator.load.config import LoadConfig
from simulator.load.runner import LoadRunner
from simulator.pgcluster.canary import journal_of
from simulator.platform import environment
from simulator.scenario.model import Scenario
from simulator.security.evidence import security_evidence
from simulator.security.keys import PARTNER_KEY, secret_of

TICK_S = 0.5


class DrillAborted(Exception):
    """The drill stopped early; the message says why (Ctrl-C, no steady state...)."""


@dataclass
class DrillOptions:
    scenario: Scenario
    playbook: Playbook
    report_dir: Path
    state_root: Path = Path(".chaosdrill")
    database_url: str | None = None
    participants: list[dict[str, str]] = field(default_factory=list)
    team: str = "on-call"  # the drilled team, for the history's team trends
    detector_factory: DetectorFactory | None = None  # default: the builtin detector
    backend: str = "local"  # where the environment runs: "local" or "docker"
    detector: str = "builtin"  # the name of what detector_factory builds, for the log
    push_hints: bool = True  # the scenario's timed hints; off in solo practice (asked for)
    reach: Reach = field(default_factory=Reach)  # a cluster's options; where load goes


class Drill:
    def __init__(self, options: DrillOptions) -> None:
        self.options = options
        self.scenario = options.scenario
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        self.id = f"{self.scenario.id}-{stamp}"
        self.dir = options.report_dir
        check_report_dir(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = EventLog(self.dir / "events.db", self.id)
        # An opaque directory: the drill id starts with the scenario id, which names
        # the cause, and paths show up in what trainees see.
        self.state_dir = (options.state_root / "drills" / uuid.uuid4().hex[:12] / "env").resolve()
        self.responses = Responses(
            self.log, options.playbook, self.state_dir, on_faults_changed=self._sync_ends
        )
        self.interrupted_by: int | None = None  # SIGINT / SIGTERM, when that ended the drill
        self.failed = False  # a fault, remediation or the engine itself failed mid-drill
        self.phase = "setup"
        self.outcome = "incomplete"
        self.t0: float | None = None  # drill time of the first fault
        self.sample: SliSample | None = None
        self.firing: dict[str, AlertFiring] = {}
        self._abort = asyncio.Event()
        self._abort_reason = ""
        self._injected: dict[str, str] = {}  # fault id -> kind, still open
        self._ends_lock = threading.RLock()  # one writer of fault.reverted
        self._culprits: set[str] = set()  # faults open when an alert fired
        self.load: LoadRunner | None = None
        self.detector: DetectorLike | None = None
        self.extra_s = 0.0  # time the facilitator added
        self._injecting = 0
        self._held_alerts: list[AlertFiring] = []
        limits = self.scenario.steady_state
        self.limits = Thresholds(
            limits.max_error_rate,
            limits.max_p99_ms,
            limits.min_rps,
            options.playbook.thresholds.availability.medium,
        )
        self.recovery = RecoveryMonitor(self.limits, self.scenario.confirm_recovery_s)
        self.pager = Pager(options.playbook.escalation, self.scenario.time_scale)
        self._steady = SteadyState(self.limits)
        self._steady_reached = asyncio.Event()
        self.watch = TriageWatch(
            self.log,
            self.state_dir,
            options.playbook.triage,
            self.scenario.reports,
            seed=self.scenario.load.seed,
        )

    # -- control ---------------------------------------------------------------------
    def abort(self, reason: str) -> None:
        """Stop the drill now (Ctrl-C, the facilitator); teardown reverts everything."""
        if not self._abort.is_set():
            self._abort_reason = reason
            self._abort.set()

    def give_hint(self, text: str, actor: str = "facilitator") -> None:
        """A hint from the facilitator (free text) or the scenario's list."""
        source = "scenario" if actor == "engine" else "facilitator"
        self.log.append("hint.given", {"text": text, "source": source}, actor)

    async def extend(self, seconds: float, actor: str = "facilitator") -> None:
        """Give the responders more time: the time limit and every open fault's TTL,
        on the far side too, so that no fault ends by itself for lack of time."""
        extended: list[JournalEntry] = []
        if self._injected:
            extended = await asyncio.to_thread(FaultManager(self.state_dir).extend, seconds)
        self.extra_s += seconds
        self.log.append(
            "drill.extended",
            {
                "seconds": seconds,
                "total_extra_s": self.extra_s,
                "faults_extended": [e.id for e in extended],
            },
            actor,
        )

    async def inject_extra(
        self, kind: str, params: dict[str, object], ttl_s: float, actor: str = "facilitator"
    ) -> str:
        """An extra fault, injected now by the facilitator; returns its id."""
        began = self.log.now()
        entry = await self._inject(FaultManager(self.state_dir), kind, params, ttl_s)
        self._record_injection(
            entry.id, entry.kind, entry.params, entry.target, ttl_s, actor, started_t=began
        )
        return entry.id

    async def _inject(
        self, faults: FaultManager, kind: str, params: dict[str, Any], ttl_s: float
    ) -> JournalEntry:
        """Inject in a worker thread; alerts that fire meanwhile wait for the fault's event."""
        self._injecting += 1
        try:
            return await asyncio.to_thread(faults.inject, kind, params, ttl_s)
        finally:
            self._injecting -= 1

    def _record_injection(
        self,
        fault_id: str,
        kind: str,
        params: dict[str, object],
        target: str,
        ttl_s: float,
        actor: str = "engine",
        started_t: float | None = None,
    ) -> None:
        began = self.log.now() if started_t is None else started_t
        with self._ends_lock:
            self._injected[fault_id] = kind
        if self.t0 is None:
            self.t0, self.phase = began, "incident"
        self.log.append(
            "fault.injected",
            {
                "fault_id": fault_id,
                "kind": kind,
                "params": params,
                "target": target,
                "ttl_s": ttl_s,
                # when the injection began: a release that restarts the shop breaks it
                # seconds before the injection returns
                "started_t": round(began, 3),
            },
            actor,
        )
        held, self._held_alerts = self._held_alerts, []
        for alert in held:
            self._fire(alert)

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    async def run(self) -> str:
        """Run the whole drill; returns its outcome (resolved / time_limit / aborted)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            await self._setup()
            await self._wait_steady()
            self.outcome = await self._exercise()
        except DrillAborted as exc:
            self.outcome = "aborted"
            self.log.append("drill.aborted", {"reason": str(exc) or "the drill was aborted"})
        except Exception as exc:  # a failure mid-drill ends the drill, never its results
            self.outcome, self.failed = "aborted", True
            what = str(exc) or type(exc).__name__
            self.log.append("drill.aborted", {"reason": f"the drill failed: {what}"})
        finally:
            # The handlers stay through teardown: a second Ctrl-C only repeats the
            # abort, it never cuts the revert short.
            try:
                await self._teardown()
            finally:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
        return self.outcome

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.interrupted_by is None and not self.aborted:
            self.interrupted_by = int(sig)
        self.abort(f"interrupted by {sig.name}")

    # -- phases ----------------------------------------------------------------------
    async def _setup(self) -> None:
        scenario = self.scenario
        self.log.append(
            "drill.started",
            {
                "scenario_id": scenario.id,
                "title": scenario.title,
                "time_scale": scenario.time_scale,
                "team": self.options.team,
                "backend": self.options.backend,
                "detector": self.options.detector,
                "participants": self.options.participants,  # people; the autopilot is not one
            },
        )
        cleanup_stale(self.options.state_root)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "owner.pid").write_text(str(os.getpid()))
        self._write_pointer()
        options = lifecycle.EnvOptions(
            state_dir=self.state_dir,
            database_url=self.options.database_url,
            version=scenario.target.version,
            seed=scenario.load.seed,
            backend=self.options.backend,
            catalog_reads=scenario.target.catalog_reads,
            **self.options.reach.env_fields(scenario.target),
        )
        state = await asyncio.to_thread(environment.up, options)
        self._raise_if_aborted()
        load = scenario.load
        host = self.options.reach.load_host(state.shop.url)
        self.load = LoadRunner(
            LoadConfig(
                host=host or state.shop.url,
                users=load.users,
                spawn_rate=load.spawn_rate,
                duration_s=None,
                seed=load.seed,
                profile=load.profile,
                log_dir=self.dir / "locust",
                api_key=secret_of(state, PARTNER_KEY),  # the partner's sync (profile partner)
                # A data-loss drill's witness: one known order a second, journalled.
                canary_file=journal_of(state.pg.root) if state.pg is not None else None,
            )
        )
        if host is None:  # the team's own traffic is the load (`--no-load`)
            self.load = None
        else:
            await asyncio.to_thread(self.load.start)
        factory = self.options.detector_factory or builtin_detector
        self.detector = factory(state.shop.url, self.options.playbook, self.log.now)
        self.detector.add_listener(self._on_detector)
        self.detector.start()
        self.phase = "warm-up"

    async def _wait_steady(self) -> None:
        timeout = self.scenario.steady_state.timeout_s
        waiter = asyncio.ensure_future(self._steady_reached.wait())
        aborter = asyncio.ensure_future(self._abort.wait())
        _done, pending = await asyncio.wait(
            {waiter, aborter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        self._raise_if_aborted()
        if not self._steady_reached.is_set():
            raise DrillAborted(f"no steady state within {timeout:.0f}s: {self._steady.last_reason}")
        assert self.sample is not None
        self.log.append("steady_state.reached", {"slis": self.sample.event_data()})
        self.phase = "steady"

    async def _exercise(self) -> str:
        start = self.log.now()
        faults = FaultManager(self.state_dir)
        pending = sorted(self.scenario.faults, key=lambda f: f.at_s)
        hints = sorted(self.scenario.hints, key=lambda h: h.after_s)
        if not self.options.push_hints:
            hints = []
        timed: list[tuple[float, str]] = []  # (revert at, fault id) for until: duration
        while not self.aborted:
            deadline = start + self.scenario.time_limit_s + self.extra_s
            now = self.log.now()
            while pending and now - start >= pending[0].at_s:
                if self.t0 is None:  # the steady state's numbers, right before the fault
                    await asyncio.to_thread(self.watch.record_baseline, now - start)
                fault = pending.pop(0)
                ttl = self.scenario.ttl_s_of(fault)
                began = self.log.now()
                try:
                    entry = await self._inject(faults, fault.kind, fault.params, ttl)
                except Exception as exc:  # any failure to inject ends the drill, with results
                    self.failed = True
                    raise DrillAborted(
                        f"the fault {fault.kind} could not be injected: "
                        f"{str(exc) or type(exc).__name__}"
                    ) from exc
                self._record_injection(
                    entry.id, entry.kind, entry.params, entry.target, ttl, started_t=began
                )
                if fault.until == "duration" and fault.duration_s:
                    timed.append((self.log.now() + fault.duration_s, entry.id))
            for at, fault_id in [t for t in timed if t[0] <= now]:
                timed.remove((at, fault_id))
                if fault_id in self._injected:
                    await asyncio.to_thread(faults.revert, fault_id, "duration")
            await asyncio.to_thread(self._sync_ends)
            if self.t0 is not None:
                for report in await asyncio.to_thread(self.watch.tick, now, self.t0):
                    self._on_report(report.data)
                # once every fault has ended a hint would only tell what was already done
                while (
                    hints
                    and now - self.t0 >= hints[0].after_s
                    and self._injected
                    and not self._resolved()
                ):
                    self.log.append("hint.given", {"text": hints.pop(0).text, "source": "scenario"})
                self._escalate(now)
            if self._resolved() and self.recovery.recovered_at is not None:
                self.log.append("drill.finished", {"outcome": "resolved"})
                return "resolved"
            if now >= deadline:
                self.log.append("drill.finished", {"outcome": "time_limit"})
                return "time_limit"
            await asyncio.sleep(TICK_S)
        raise DrillAborted(self._abort_reason)

    async def _teardown(self) -> None:
        self.phase = "teardown"
        start = time.monotonic()
        faults = FaultManager(self.state_dir)
        try:
            await asyncio.to_thread(faults.revert_all, "abort" if self.aborted else "teardown")
        except Exception as exc:  # keep tearing down; cleanup runs again at next start
            self.log.append("teardown.error", {"step": "revert", "error": str(exc)})
        await asyncio.to_thread(self._sync_ends)
        try:  # while the environment's files are still there
            for name, evidence in await asyncio.to_thread(security_evidence, self.state_dir):
                self.log.append(name, evidence)
        except Exception as exc:
            self.log.append("teardown.error", {"step": "breach evidence", "error": str(exc)})
        if self.detector is not None:
            await self.detector.stop()
        if self.load is not None:
            await asyncio.to_thread(self.load.stop)
        try:  # after the last canary, before the cluster goes
            counted = await asyncio.to_thread(canary_evidence, self.state_dir, self.dir)
            if counted is not None:
                self.log.append("canary.checked", counted)
        except Exception as exc:
            self.log.append("teardown.error", {"step": "canary check", "error": str(exc)})
        try:
            await asyncio.to_thread(environment.down, self.state_dir)
        except Exception as exc:  # the results are still written; `cleanup` finds the rest
            self.log.append("teardown.error", {"step": "environment", "error": str(exc)})
        self.log.append("teardown.done", {"seconds": round(time.monotonic() - start, 2)})
        self.phase = "done"

    # -- what happens on every detector output -------------------------------------
    def _on_detector(self, output: DetectorOutput) -> None:
        if isinstance(output, SliSample):
            self.sample = output
            self.log.append("sli.sample", output.event_data(), "detector")
            if not self._steady_reached.is_set():
                if self._steady.feed(output):
                    self._steady_reached.set()
            elif self.t0 is not None and self.recovery.feed(
                output, len(self.firing), self._open_culprits()
            ):
                self.log.append(
                    "service.recovered",
                    {
                        "slis": output.event_data(),
                        "confirm_window_s": self.scenario.confirm_recovery_s,
                        # when the SLIs came back: the start of the confirmed window
                        "healthy_since_t": self.recovery.healthy_since,
                    },
                    "detector",
                )
        elif isinstance(output, AlertFiring):
            if self.t0 is not None:
                self._fire(output)
            elif self._injecting:
                # A slow injection (a release going live) can trip an alert before
                # its event is written: hold the alert so the log keeps fault first.
                self._held_alerts.append(output)
            # else: warm-up noise, not part of the exercise
        elif isinstance(output, AlertResolved):
            self._held_alerts = [a for a in self._held_alerts if a.alert_id != output.alert_id]
            if output.alert_id not in self.firing:
                return
            del self.firing[output.alert_id]
            self.log.append("alert.resolved", output.event_data(), "detector")

    def _fire(self, alert: AlertFiring) -> None:
        with self._ends_lock:
            self._culprits.update(self._injected)
        self.firing[alert.alert_id] = alert
        self.log.append("alert.firing", alert.event_data(), "detector")
        self.recovery.arm()
        self._page(alert.alert_id)

    def _on_report(self, report: dict[str, Any]) -> None:
        """A customer ticket or a failed synthetic check is a sign of impact like an
        alert (the faults open now are culprits, recovery is measured anew) and opens
        the incident if nothing has; it pages nobody: the responder decides who hears."""
        with self._ends_lock:
            self._culprits.update(self._injected)
        self.recovery.arm()
        if self.responses.incident is None:
            self.responses.declare_by_page(new_incident_id())

    def _page(self, alert_id: str) -> None:
        send_first_page(self.pager, self.log, self.responses, alert_id)

    def _escalate(self, now: float) -> None:
        escalate(self.pager, self.log, self.responses, now)

    def _sync_ends(self) -> None:
        """The one writer of `fault.reverted`: how and when each fault ended, exactly
        as the fault manager recorded it in the journal (remediated by action N,
        duration, ttl, operator, teardown, abort). Called by the tick, right after
        every responder action, and at teardown; each end is logged once."""
        with self._ends_lock:
            if not self._injected:
                return
            try:
                entries = FaultManager(self.state_dir).entries()
            except (OSError, ValueError) as exc:  # unreadable journal: the next call retries
                self.log.append("teardown.error", {"step": "journal", "error": str(exc)})
                return
            for entry in entries:
                if entry.id not in self._injected or entry.status != "reverted":
                    continue
                self._injected.pop(entry.id)
                data: dict[str, Any] = {
                    "fault_id": entry.id,
                    "kind": entry.kind,
                    "reason": entry.revert_reason or "teardown",
                }
                if entry.ended_by:
                    data["action_id"] = entry.ended_by
                    seq = self.responses.action_seqs.get(entry.ended_by)
                    if seq is not None:
                        data["action_seq"] = seq
                if entry.reverted_at is not None:
                    data["ended_wall"] = datetime.fromtimestamp(entry.reverted_at, UTC).isoformat()
                self.log.append("fault.reverted", data)

    def _open_culprits(self) -> int:
        """Faults that broke the SLIs (open when an alert fired) and have not ended:
        while any is open, the service has not recovered, whatever one sample says."""
        with self._ends_lock:
            return len(self._culprits & self._injected.keys())

    def _write_pointer(self) -> None:
        """`drills/<opaque>/drill.json`: how `score`/`cleanup` find a killed drill."""
        pointer = {
            "drill_id": self.id,
            "scenario_id": self.scenario.id,
            "events_db": str(self.log.path.resolve()),
            "report_dir": str(self.dir.resolve()),
            "engine_pid": os.getpid(),
            "scenario_file": self.scenario.source,
            "started_wall": datetime.now(UTC).isoformat(),
        }
        (self.state_dir.parent / "drill.json").write_text(json.dumps(pointer, indent=2))

    def _resolved(self) -> bool:
        return self.responses.incident is not None and self.responses.incident.resolved

    def _raise_if_aborted(self) -> None:
        if self.aborted:
            raise DrillAborted(self._abort_reason)
