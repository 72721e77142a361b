"""Pure ASGI middleware: metrics, access log, request timeout, last-resort 500."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from target_app.chaos import ChaosControls
from target_app.logs import access_log, audit_log, error_log
from target_app.metrics import ShopMetrics

UNTRACKED = frozenset({"/metrics"})
# Operators' endpoints answer at full speed whatever slows the shop down.
NEVER_SLOWED = ("/healthz", "/readyz", "/chaos", "/admin", "/version")
# Handlers abandoned by a timeout keep running to their own end; hold them here
# so they are not garbage-collected half-way (asyncio keeps only weak refs).
_ABANDONED: set[asyncio.Task[None]] = set()


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def _finish_abandoned(task: asyncio.Task[None]) -> None:
    _ABANDONED.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        error_log.error("error after request timeout", exc_info=exc)


class ObservabilityMiddleware:
    """Counts and times every request by route template; never lets one hang or
    end in a traceback page.

    On timeout the client gets a 503 at once, but the handler is *not*
    cancelled: a sync endpoint runs in a worker thread that cancellation cannot
    stop, and cancelling would close its database session under its feet. The
    handler finishes in the background (bounded by the database timeouts) and
    whatever it sends afterwards is dropped.
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: ShopMetrics,
        timeout_s: float,
        chaos: ChaosControls | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.timeout_s = timeout_s
        self.chaos = chaos

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACKED:
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = abandoned = False

        async def tracking_send(message: Message) -> None:
            nonlocal status, started
            if abandoned:
                return
            if message["type"] == "http.response.start":
                await self._slow_down(scope["path"], time.perf_counter() - start)
                status = message["status"]
                started = True
            await send(message)

        self.metrics.in_flight.inc()
        handler = asyncio.ensure_future(self.app(scope, receive, tracking_send))
        try:
            done, _ = await asyncio.wait((handler,), timeout=self.timeout_s)
            if not done:
                abandoned = True
                _ABANDONED.add(handler)
                handler.add_done_callback(_finish_abandoned)
                if not started:
                    status = 503
                    await _send_json(
                        send, 503, {"detail": "request timed out", "timeout_s": self.timeout_s}
                    )
            elif not handler.cancelled() and (exc := handler.exception()) is not None:
                error_log.error(
                    "unhandled error",
                    exc_info=exc,
                    extra={"path": scope["path"], "method": scope["method"]},
                )
                if not started:
                    status = 500
                    await _send_json(
                        send, 500, {"detail": "internal server error", "error": type(exc).__name__}
                    )
        except asyncio.CancelledError:
            handler.cancel()  # the server is shutting down or the client is gone
            raise
        finally:
            self.metrics.in_flight.dec()
            self._record(scope, status, time.perf_counter() - start)

    async def _slow_down(self, path: str, elapsed_s: float) -> None:
        """An active slowdown holds the answer back in proportion to the work done."""
        slowdown = self.chaos.slowdown if self.chaos is not None else None
        if slowdown is not None and slowdown.applies(path) and not path.startswith(NEVER_SLOWED):
            await asyncio.sleep(slowdown.extra_s(elapsed_s))

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        label = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(label, method, str(status)).inc()
        self.metrics.latency.labels(label, method).observe(elapsed)
        client = scope.get("client")
        state = scope.get("state")
        audit = state.get("audit") if isinstance(state, dict) else None
        if audit is not None:  # a keyed request or a login (target_app/auth.py)
            login = {k: audit[k] for k in ("account", "login") if k in audit}
            audit_log.info(
                "request",
                extra={
                    "key_id": audit.get("key_id"),
                    "client": client[0] if client else None,
                    "method": method,
                    "route": audit.get("route", label),
                    "status": status,
                    "rows": audit.get("rows", 0) if status < 400 else 0,
                    **login,
                },
            )
        access_log.info(
            "request",
            extra={
                "method": method,
                "path": scope["path"],
                "query": scope.get("query_string", b"").decode(errors="replace")[:200],
                "route": label,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": client[0] if client else None,
            },
        )
