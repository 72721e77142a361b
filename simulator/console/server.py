"""Serve a console session with uvicorn inside the drill's own asyncio loop.

The engine and the web server share one loop and one process, so a request
handler calls the drill's Responses API directly and every stream hears every
event as it is appended. uvicorn's own signal capture is switched off: Ctrl-C
during a drill aborts it (the engine then reverts every
fault) and ends the session once the results are written; at other times it ends
the session at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator

import uvicorn

from simulator.console.app import create_app
from simulator.console.session import ConsoleSession

__all__ = ["ConsoleServer", "bind", "serve_session"]

log = logging.getLogger(__name__)

STARTUP_S = 10.0
SHUTDOWN_S = 5.0  # how long uvicorn may take to stop before its socket is closed under it
GUARD_S = 0.1


class ConsoleServer(uvicorn.Server):
    """uvicorn without its signal handlers (the drill and this module own them)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; a taken port is one clear sentence."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ValueError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port, or 0 for a"
            " free one"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


async def serve_session(
    session: ConsoleSession,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[ConsoleSession], None] | None = None,
    on_scored: Callable[[ConsoleSession], None] | None = None,
    start_now: bool = False,
    exit_when_scored: bool = False,
) -> None:
    """Run the console until the facilitator ends the session (or Ctrl-C, or scoring)."""
    sock = bind(host, port)
    session.base_url = f"http://{host}:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        create_app(session),
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=2,
        ws="none",
    )
    server = ConsoleServer(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    loop = asyncio.get_running_loop()

    def interrupted(sig: signal.Signals) -> None:
        # Ctrl-C aborts a running drill (every fault reverted), then the session ends
        # once its results are written; between drills it ends the session at once.
        live = session.live
        if live is not None and live.stage == "running":
            live.drill.abort(f"interrupted by {sig.name}")
        session.request_close()

    def install() -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, interrupted, sig)

    # The engine installs its own handlers when its run starts and removes them when it
    # ends: ours go back on after both (call_soon runs after the drill task's first step).
    def reinstall(_stage: str) -> None:
        loop.call_soon(install)

    session.stage_listeners.append(reinstall)
    # The engine removes its handlers before its teardown, which leaves Python's default
    # (KeyboardInterrupt) in place until the next stage: a Ctrl-C then would kill the
    # teardown half-way. Put ours back whenever the default shows up.
    guard = asyncio.create_task(_keep_handlers(install))
    try:
        for _ in range(int(STARTUP_S / 0.02)):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.02)
        if serving.done():
            serving.result()  # raises what stopped the server
        install()
        if on_ready is not None:
            on_ready(session)
        if start_now:
            session.start()
        await _wait(session, on_scored, exit_when_scored)
    finally:
        await session.close()
        guard.cancel()
        server.should_exit = True
        stop_error = await stopped(serving, SHUTDOWN_S)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        sock.close()
    # Only reached when the session itself ended well: a failure already on its way
    # out is not replaced by the server's (which `stopped` has logged).
    if stop_error is not None:
        raise stop_error


async def stopped(serving: asyncio.Task[None], timeout_s: float) -> Exception | None:
    """Wait for the server task to end; returns (and logs) what it failed with."""
    try:
        await asyncio.wait_for(serving, timeout_s)
    except TimeoutError:
        # A stream still open: wait_for cancelled the server and the socket is closed
        # next; the drill's results were written before this, so nothing is lost.
        log.warning("console server still stopping after %.0fs: closed under it", timeout_s)
    except Exception as exc:
        log.error("console server failed: %s", exc, exc_info=exc)
        return exc
    return None


async def _keep_handlers(install: Callable[[], None]) -> None:
    while True:
        if signal.getsignal(signal.SIGINT) in (signal.default_int_handler, signal.SIG_DFL):
            install()
        await asyncio.sleep(GUARD_S)


async def _wait(
    session: ConsoleSession,
    on_scored: Callable[[ConsoleSession], None] | None,
    exit_when_scored: bool,
) -> None:
    reported: object = None
    while not session.close_requested.is_set():
        closing = asyncio.ensure_future(session.close_requested.wait())
        scored = asyncio.ensure_future(session.scored.wait())
        await asyncio.wait({closing, scored}, return_when=asyncio.FIRST_COMPLETED)
        for task in (closing, scored):
            task.cancel()
        if session.scored.is_set() and session.live is not reported:
            reported = session.live
            if on_scored is not None:
                on_scored(session)
            if exit_when_scored:
                return
            # Wait for the next drill (console) or the end of the session.
            while session.scored.is_set() and not session.close_requested.is_set():
                await asyncio.sleep(0.2)
