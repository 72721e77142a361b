"""The console server's stop: a server that failed says so; one that is slow to stop
is closed under it, with a warning (neither is silently dropped)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from simulator.console.server import stopped


async def _fails() -> None:
    raise RuntimeError("address family not supported")


async def _hangs() -> None:
    await asyncio.Event().wait()


async def _ends() -> None:
    return None


def test_a_failed_server_is_logged_and_returned(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> Exception | None:
        return await stopped(asyncio.create_task(_fails()), 1.0)

    with caplog.at_level(logging.ERROR, logger="simulator.console.server"):
        error = asyncio.run(main())
    assert isinstance(error, RuntimeError)
    assert "address family not supported" in caplog.text


def test_a_slow_server_is_cancelled_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> tuple[Exception | None, bool]:
        task = asyncio.create_task(_hangs())
        return await stopped(task, 0.05), task.cancelled()

    with caplog.at_level(logging.WARNING, logger="simulator.console.server"):
        error, cancelled = asyncio.run(main())
    assert error is None and cancelled
    assert "still stopping" in caplog.text


def test_a_server_that_ends_reports_nothing() -> None:
    async def main() -> Exception | None:
        return await stopped(asyncio.create_task(_ends()), 1.0)

    assert asyncio.run(main()) is None
