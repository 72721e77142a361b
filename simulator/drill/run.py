"""Run one drill to the end and write its results: what `chaosdrill run`,
`verify` and `make demo` call."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from scoring.playbook import Playbook
from simulator.drill.autopilot import Autopilot
from simulator.drill.detectors import DetectorFactory
from simulator.drill.engine import Drill, DrillOptions
from simulator.drill.progress import Progress
from simulator.drill.results import DrillResult, finish
from simulator.notify import Dispatcher, Notifier
from simulator.scenario.model import Scenario


def run_drill(
    scenario: Scenario,
    playbook: Playbook,
    report_dir: Path,
    *,
    autopilot: bool = True,
    database_url: str | None = None,
    progress: Progress | None = None,
    state_root: Path = Path(".chaosdrill"),
    store_history: bool = True,
    notifiers: list[Notifier] | None = None,
    backend: str = "local",
    detector_factory: DetectorFactory | None = None,
    detector: str = "builtin",
) -> DrillResult:
    """Run `scenario` with the autopilot responding; always tears down.

    Drills with people in them run through the console (`simulator.console`).
    `notifiers` (Slack, PagerDuty) hear of pages and incident changes.
    """
    drill = Drill(
        DrillOptions(
            scenario=scenario,
            playbook=playbook,
            report_dir=report_dir,
            state_root=state_root,
            database_url=database_url,
            backend=backend,
            detector_factory=detector_factory,
            detector=detector,
        )
    )
    if progress is not None:
        drill.log.subscribe(progress)
    dispatcher = Dispatcher(notifiers, drill.log) if notifiers else None

    async def main() -> None:
        responder = asyncio.create_task(Autopilot(drill).run()) if autopilot else None
        try:
            await drill.run()
        finally:
            if responder is not None:
                responder.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await responder
                if not responder.cancelled() and responder.exception() is not None:
                    drill.log.append("autopilot.error", {"error": str(responder.exception())})

    try:
        asyncio.run(main())
    finally:
        if progress is not None:
            drill.log.unsubscribe(progress)
        if dispatcher is not None:
            dispatcher.close()
    result = finish(drill.log, report_dir, scenario.expected, playbook, store_history=store_history)
    result.exit_code = max(result.exit_code, exit_code(drill))
    drill.log.close()
    return result


def exit_code(drill: Drill) -> int:
    """What a CI job should see: 0 the drill completed, 1 it was aborted or failed,
    128 + the signal when SIGINT/SIGTERM ended it (after teardown and results)."""
    if drill.interrupted_by in (signal.SIGINT, signal.SIGTERM):
        return 128 + int(drill.interrupted_by)
    if drill.failed or drill.outcome == "aborted":
        return 1
    return 0
