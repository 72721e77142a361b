"""Run one drill to the end and write its results: what `chaosdrill run`,
`verify` and `make demo` call."""

from __future__ import annotations

import asyncio
from pathlib import Path

from scoring.playbook import Playbook
from simulator.drill.assemble import assemble
from simulator.drill.detectors import DetectorFactory
from simulator.drill.engine import DrillOptions
from simulator.drill.progress import Progress
from simulator.drill.reach import Reach
from simulator.drill.results import DrillResult
from simulator.notify import Notifier
from simulator.scenario.model import Scenario

__all__ = ["run_drill"]


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
    reach: Reach | None = None,
) -> DrillResult:
    """Run `scenario` with the autopilot responding; always tears down.

    Drills with people in them run through the console (`simulator.console`).
    `notifiers` (Slack, PagerDuty) hear of pages and incident changes.
    """
    assembled = assemble(
        DrillOptions(
            scenario=scenario,
            playbook=playbook,
            report_dir=report_dir,
            state_root=state_root,
            database_url=database_url,
            backend=backend,
            detector_factory=detector_factory,
            detector=detector,
            reach=reach or Reach(),
        ),
        autopilot=autopilot,
        notifiers=notifiers,
        progress=progress,
    )
    try:
        asyncio.run(assembled.run())
    finally:
        assembled.detach()
    try:
        return assembled.results(store_history=store_history)
    finally:
        assembled.close()
