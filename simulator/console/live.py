"""One drill run from the console: the engine, the review window, the results.

Stages: `running` (the engine's Drill.run: set-up, warm-up, incident, teardown),
`review` (the service is torn down; trainees write the post-incident review),
`scored` (results written: the same files as `chaosdrill run --autopilot`).
Reviews close when every trainee has sent one, the facilitator scores now, or
the review window ends. An aborted drill is scored at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from scoring.playbook import Playbook
from simulator.console.auth import Principal
from simulator.drill.assemble import assemble
from simulator.drill.detectors import DetectorFactory
from simulator.drill.engine import DrillOptions
from simulator.drill.eventlog import EventLog
from simulator.drill.reach import Reach
from simulator.drill.results import DrillResult
from simulator.notify import Notifier
from simulator.scenario.model import Scenario

__all__ = ["ABORT_WAIT_S", "DrillSettings", "LiveDrill"]

ABORT_WAIT_S = 5.0

log = logging.getLogger(__name__)


@dataclass
class DrillSettings:
    """What every drill of a console session shares."""

    playbook: Playbook
    report_root: Path = Path("reports")
    report_dir: Path | None = None  # an exact directory (`chaosdrill run --report-dir`)
    state_root: Path = Path(".chaosdrill")
    database_url: str | None = None
    team: str = "on-call"
    review_window_s: float = 300.0
    store_history: bool = True
    notifiers: list[Notifier] = field(default_factory=list)
    backend: str = "local"
    detector: str = "builtin"
    detector_factory: DetectorFactory | None = None
    reach: Reach = field(default_factory=Reach)  # a cluster's options; where load goes
    solo: bool = False  # `chaosdrill practice`: hints are asked for, the review opens at recovery


class LiveDrill:
    def __init__(
        self,
        scenario: Scenario,
        settings: DrillSettings,
        trainees: Callable[[], list[Principal]],
        on_stage: Callable[[str], None],
    ) -> None:
        self.scenario = scenario
        self.settings = settings
        self._trainees = trainees
        self._on_stage = on_stage
        people = [{"name": p.name, "role": p.duty} for p in trainees()]
        directory = settings.report_dir or settings.report_root / (
            f"{scenario.id}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
        )
        self.assembled = assemble(
            DrillOptions(
                scenario=scenario,
                playbook=settings.playbook,
                report_dir=directory,
                state_root=settings.state_root,
                database_url=settings.database_url,
                participants=people,
                team=settings.team,
                backend=settings.backend,
                detector=settings.detector,
                detector_factory=settings.detector_factory,
                push_hints=not settings.solo,
                reach=settings.reach,
            ),
            notifiers=settings.notifiers,
        )
        self.drill = self.assembled.drill
        self.stage = "running"
        self.result: DrillResult | None = None
        self.error: str | None = None
        self.reviewed: set[str] = set()
        self.review_deadline: float | None = None
        self._score_now = asyncio.Event()
        self._reviews_changed = asyncio.Event()

    @property
    def log(self) -> EventLog:
        return self.drill.log

    def _set(self, stage: str) -> None:
        self.stage = stage
        self._on_stage(stage)

    async def run(self) -> None:
        """The whole drill, then reviews, then results; never raises for a drill's failure."""
        try:
            outcome = await self.assembled.run()
            if outcome != "aborted" and self._trainees():
                self._set("review")
                await self._collect_reviews()
            self._set("scoring")
            self.result = await asyncio.to_thread(
                self.assembled.results, store_history=self.settings.store_history
            )
        except Exception as exc:  # shown to the facilitator; the session goes on
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("the drill's results could not be written: %s", self.error, exc_info=exc)
        finally:
            await asyncio.to_thread(self.assembled.detach)
            self._set("scored")

    async def _collect_reviews(self) -> None:
        self.review_deadline = time.monotonic() + self.settings.review_window_s
        while not self._score_now.is_set() and not self._all_reviewed():
            left = self.review_deadline - time.monotonic()
            if left <= 0:
                return
            self._reviews_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reviews_changed.wait(), min(left, 1.0))

    def _all_reviewed(self) -> bool:
        return all(p.actor in self.reviewed for p in self._trainees())

    def review_submitted(self, actor: str) -> None:
        self.reviewed.add(actor)
        self._reviews_changed.set()

    def score_now(self) -> None:
        """The facilitator closes the review window."""
        self._score_now.set()
        self._reviews_changed.set()

    @property
    def incident_closed(self) -> bool:
        """Resolved, or the drill is over: the review form opens. Solo, it opens once
        recovery is measured, so that the trainee can write it before resolving ends
        the drill and scores it at once."""
        incident = self.drill.responses.incident
        if self.stage != "running" or (incident is not None and incident.resolved):
            return True
        return self.settings.solo and self.log.latest("service.recovered") is not None

    async def abort(self, reason: str) -> float:
        """Abort and wait (bounded) until every injected fault is reverted; seconds taken."""
        start = time.monotonic()
        self.drill.abort(reason)
        while time.monotonic() - start < ABORT_WAIT_S:
            if self.drill.phase in ("done",) or self._faults_reverted():
                break
            await asyncio.sleep(0.02)
        return time.monotonic() - start

    def _faults_reverted(self) -> bool:
        log = self.drill.log
        injected = {e.data.get("fault_id") for e in log.of_type("fault.injected")}
        reverted = {e.data.get("fault_id") for e in log.of_type("fault.reverted")}
        return self.drill.phase in ("teardown", "done") and injected <= reverted
