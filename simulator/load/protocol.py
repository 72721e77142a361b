"""The JSON lines the Locust process writes to its parent, one message per line.

    {"type": "started", "pid": 123}
    {"type": "tick", "t": 3.0, "dt": 1.0, "users": 10, "final": false,
     "endpoints": [{"method": "GET", "name": "/products", "requests": 41,
                    "failures": 0, "hist": {"3": 30, "4": 11}}],
     "errors": [{"method": "GET", "name": "/products", "error": "...", "count": 2}]}
    {"type": "end", "exit_code": 0}

A tick carries what happened since the previous tick (deltas, not totals): the
requests and failures of each endpoint and the histogram of their response
times in milliseconds (Locust's rounded buckets). `t` is seconds since the test
started, `dt` the length of the interval. The last tick (`final`) covers the
piece of a second between the last full tick and the end of the run.

Pure: both sides import it; the Locust side only calls `encode`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "EndMessage",
    "EndpointTick",
    "ErrorTick",
    "Message",
    "ProtocolError",
    "StartedMessage",
    "TickMessage",
    "encode",
    "parse_message",
]


class ProtocolError(ValueError):
    """A line from the Locust process that is not one of our messages."""


@dataclass(frozen=True)
class StartedMessage:
    pid: int
    type: str = "started"


@dataclass(frozen=True)
class EndpointTick:
    method: str
    name: str
    requests: int
    failures: int
    # Response time bucket (ms) -> number of requests in this interval.
    hist: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ErrorTick:
    method: str
    name: str
    error: str
    count: int


@dataclass(frozen=True)
class TickMessage:
    t: float
    dt: float
    users: int
    endpoints: list[EndpointTick]
    errors: list[ErrorTick] = field(default_factory=list)
    final: bool = False
    type: str = "tick"


@dataclass(frozen=True)
class EndMessage:
    exit_code: int
    type: str = "end"


Message = StartedMessage | TickMessage | EndMessage


def encode(message: Message) -> str:
    """One line of JSON (with its newline) for `message`."""
    return json.dumps(asdict(message), separators=(",", ":")) + "\n"


def parse_message(line: str) -> Message:
    """Turn one line back into its message; raise ProtocolError if it is not one."""
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {line[:120]!r}") from exc
    if not isinstance(data, dict):
        raise ProtocolError(f"not a JSON object: {line[:120]!r}")
    kind = data.get("type")
    try:
        if kind == "started":
            return StartedMessage(pid=int(data["pid"]))
        if kind == "end":
            return EndMessage(exit_code=int(data["exit_code"]))
        if kind == "tick":
            return _parse_tick(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"malformed {kind} message ({exc!r}): {line[:120]!r}") from exc
    raise ProtocolError(f"unknown message type {kind!r}")


def _parse_tick(data: dict[str, Any]) -> TickMessage:
    endpoints = [
        EndpointTick(
            method=str(e["method"]),
            name=str(e["name"]),
            requests=int(e["requests"]),
            failures=int(e["failures"]),
            hist={int(k): int(v) for k, v in e.get("hist", {}).items()},
        )
        for e in data["endpoints"]
    ]
    errors = [
        ErrorTick(
            method=str(e["method"]),
            name=str(e["name"]),
            error=str(e["error"]),
            count=int(e["count"]),
        )
        for e in data.get("errors", [])
    ]
    return TickMessage(
        t=float(data["t"]),
        dt=float(data["dt"]),
        users=int(data["users"]),
        endpoints=endpoints,
        errors=errors,
        final=bool(data.get("final", False)),
    )
