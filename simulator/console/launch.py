"""Start a console session from the CLI: print the join links, serve, report the results.

`chaosdrill run SCENARIO` (one drill) and `chaosdrill console` (drill after
drill) both come through here.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from simulator.console.auth import DUTIES, check_name
from simulator.console.discovery import publish, withdraw
from simulator.console.live import DrillSettings
from simulator.console.server import serve_session
from simulator.console.session import ConsoleSession
from simulator.drill.progress import Progress
from simulator.scenario.model import Scenario

__all__ = ["parse_trainee", "run_console"]


def parse_trainee(spec: str) -> tuple[str, str]:
    """'alice:commander' -> ('alice', 'commander'); the role defaults to operations."""
    name, _, duty = spec.partition(":")
    duty = duty.strip() or "operations"
    if duty not in DUTIES:
        raise ValueError(
            f"--trainee {spec!r}: unknown role {duty!r}; roles are {', '.join(DUTIES)}"
        )
    return check_name(name), duty


def _links(session: ConsoleSession) -> dict[str, Any]:
    tokens = session.tokens
    return {
        "url": session.base_url,
        "facilitator": session.link(tokens.facilitator),
        "observer": session.link(tokens.observer),
        "join": session.link(tokens.join),
        "trainees": {p.name: session.link(p) for p in tokens.trainees()},
        "tokens": {
            "facilitator": tokens.facilitator.token,
            "observer": tokens.observer.token,
            "join": tokens.join.token,
            **{f"trainee:{p.name}": p.token for p in tokens.trainees()},
        },
    }


def run_console(
    settings: DrillSettings,
    *,
    scenario: Scenario | None,
    trainees: list[tuple[str, str]],
    port: int,
    start_now: bool,
    exit_when_scored: bool,
    links_file: Path | None,
    console: Console,
    show_progress: bool = True,
    show_faults: bool = True,
    show_links: bool = True,
    on_ready: Callable[[ConsoleSession], None] | None = None,
) -> ConsoleSession:
    """Serve one session to its end; returns it (its drills hold the results)."""

    async def main() -> ConsoleSession:
        session = ConsoleSession(settings, scenario=scenario, single=scenario is not None)
        for name, duty in trainees:
            session.tokens.add_trainee(name, duty)

        def ready(s: ConsoleSession) -> None:
            links = _links(s)
            title = s.scenario.title if s.scenario is not None else "console"
            published.append(publish(settings.state_root, links, title))
            if links_file is not None:
                partial = links_file.with_suffix(".tmp")
                partial.write_text(json.dumps(links, indent=2))
                partial.replace(links_file)  # readers never see half a file
            console.print(f"[bold]Console[/bold] {s.base_url}")
            if show_links:  # a solo trainee is not shown the facilitator's answer key
                console.print(f"  facilitator   {links['facilitator']}")
                console.print(f"  observers     {links['observer']}")
                console.print(
                    f"  trainees join {links['join']}  (each types a name and picks a role)"
                )
            for name, link in links["trainees"].items():
                console.print(f"  trainee {name:<8} {link}")
            if not start_now:
                console.print("Waiting for the facilitator to start the drill (Ctrl-C ends).")
            if on_ready is not None:
                on_ready(s)

        def scored(s: ConsoleSession) -> None:
            if s.live is not None and s.live.result is not None:
                console.print(f"[bold]Scored:[/bold] {s.live.result.files['report']}")
            if not exit_when_scored:
                console.print("The console stays open for the debrief; End session or Ctrl-C.")

        progress = Progress(console, show_faults=show_faults) if show_progress else None
        if progress is not None:
            session.stage_listeners.append(lambda stage: _follow(session, progress, stage))
        session.stage_listeners.append(lambda stage: _review_wait(session, console, stage))
        published: list[Path] = []
        try:
            await serve_session(
                session,
                port=port,
                on_ready=ready,
                on_scored=scored,
                start_now=start_now,
                exit_when_scored=exit_when_scored,
            )
        finally:
            for path in published:
                withdraw(path)
        return session

    return asyncio.run(main())


def _follow(session: ConsoleSession, progress: Progress, stage: str) -> None:
    """Show the facilitator's terminal the drill as it happens (faults included)."""
    live = session.live
    if live is None:
        return
    if stage == "running":
        live.log.subscribe(progress)
    elif stage == "scored":
        live.log.unsubscribe(progress)


REMIND_EVERY_S = 60.0


def _review_wait(session: ConsoleSession, console: Console, stage: str) -> None:
    """During the review window say what is awaited and for how long. Ctrl-C skips it:
    the server's handler closes the session, which scores at once (session.close)."""
    live = session.live
    if live is None or stage != "review" or live.settings.review_window_s <= 0:
        return

    async def remind() -> None:
        while live.stage == "review":
            deadline = live.review_deadline or time.monotonic()
            left = max(0, round(deadline - time.monotonic()))
            console.print(
                f"waiting for the review ({left // 60}m{left % 60:02d}s left;"
                " `chaosdrill incident review` or Ctrl-C to skip)"
            )
            await asyncio.sleep(min(REMIND_EVERY_S, left + 1.0))

    session.reminder = asyncio.get_running_loop().create_task(remind())
