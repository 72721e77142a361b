"""The one place a drill is put together, for `run`, `verify`, the console and the tests.

`assemble(options, ...)` builds the engine from its options (scenario, playbook,
platform by name, detector, event log; the engine makes its fault manager, load and
responses from those), then wires what sits around it: the autopilot as responder
when asked, the notifiers that hear of pages (Slack, PagerDuty), and the progress
lines. The returned `AssembledDrill` runs it, writes its results and lets go of
what it wired, in that order, the same way for every caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from simulator.drill.autopilot import Autopilot
from simulator.drill.engine import Drill, DrillOptions
from simulator.drill.progress import Progress
from simulator.drill.results import DrillResult, finish
from simulator.notify import Dispatcher, Notifier

__all__ = ["AssembledDrill", "assemble", "exit_code"]


class AssembledDrill:
    """A drill with its responder, notifiers and progress lines attached."""

    def __init__(
        self,
        drill: Drill,
        *,
        autopilot: bool,
        dispatcher: Dispatcher | None,
        progress: Progress | None,
    ) -> None:
        self.drill = drill
        self.autopilot = autopilot
        self.dispatcher = dispatcher
        self.progress = progress

    async def run(self) -> str:
        """The whole drill (set-up to teardown), the autopilot beside it when asked;
        returns the outcome. An autopilot that failed is logged, never raised: the
        drill goes on to its teardown and results either way."""
        responder = asyncio.create_task(Autopilot(self.drill).run()) if self.autopilot else None
        try:
            return await self.drill.run()
        finally:
            if responder is not None:
                responder.cancel()
                # A responder that already failed re-raises its error here: it is logged
                # below, and the drill's own outcome stands.
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await responder
                if not responder.cancelled() and responder.exception() is not None:
                    error = str(responder.exception())
                    self.drill.log.append("autopilot.error", {"error": error})

    def detach(self) -> None:
        """Stop printing progress and flush the notifiers (what they send is bounded)."""
        if self.progress is not None:
            self.drill.log.unsubscribe(self.progress)
            self.progress = None
        if self.dispatcher is not None:
            self.dispatcher.close()
            self.dispatcher = None

    def results(self, *, store_history: bool = True) -> DrillResult:
        """Score the log and write the report files; the exit code also says how the
        drill ended (aborted, failed, interrupted)."""
        options = self.drill.options
        result = finish(
            self.drill.log,
            self.drill.dir,
            options.scenario.expected,
            options.playbook,
            store_history=store_history,
        )
        result.exit_code = max(result.exit_code, exit_code(self.drill))
        return result

    def close(self) -> None:
        self.detach()
        self.drill.log.close()


def assemble(
    options: DrillOptions,
    *,
    autopilot: bool = False,
    notifiers: list[Notifier] | None = None,
    progress: Progress | None = None,
) -> AssembledDrill:
    """Build a drill from its options; nothing starts until `run`."""
    drill = Drill(options)
    if progress is not None:
        drill.log.subscribe(progress)
    dispatcher = Dispatcher(notifiers, drill.log) if notifiers else None
    return AssembledDrill(drill, autopilot=autopilot, dispatcher=dispatcher, progress=progress)


def exit_code(drill: Drill) -> int:
    """What a CI job should see: 0 the drill completed, 1 it was aborted or failed,
    128 + the signal when SIGINT/SIGTERM ended it (after teardown and results)."""
    if drill.interrupted_by in (signal.SIGINT, signal.SIGTERM):
        return 128 + int(drill.interrupted_by)
    if drill.failed or drill.outcome == "aborted":
        return 1
    return 0
