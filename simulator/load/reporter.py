"""Turns Locust's cumulative request stats into per-interval tick messages.

Runs inside the Locust process (the locustfile calls it once a second), but it
only reads plain attributes of Locust's objects and never imports Locust, so it
stays importable anywhere. Locust's `StatsEntry` is cumulative: we keep the
previous totals and histogram of every endpoint and send the difference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from simulator.load.protocol import EndpointTick, ErrorTick, TickMessage

__all__ = ["StatsDeltas", "error_text"]


class StatsDeltas:
    """Remembers what was already reported and produces the next tick."""

    def __init__(self) -> None:
        self._requests: dict[tuple[str, str], int] = {}
        self._failures: dict[tuple[str, str], int] = {}
        self._hists: dict[tuple[str, str], dict[int, int]] = {}
        self._errors: dict[str, int] = {}

    def tick(
        self,
        entries: Mapping[tuple[str, str], Any],
        errors: Mapping[str, Any],
        *,
        t: float,
        dt: float,
        users: int,
        final: bool = False,
    ) -> TickMessage:
        """The tick covering everything logged since the previous call.

        `entries` is `RequestStats.entries` ((name, method) -> StatsEntry) and
        `errors` is `RequestStats.errors` (key -> StatsError).
        """
        endpoints: list[EndpointTick] = []
        for (name, method), entry in list(entries.items()):
            key = (str(name), str(method))
            requests = int(entry.num_requests)
            failures = int(entry.num_failures)
            hist = {int(ms): int(n) for ms, n in dict(entry.response_times).items()}
            d_requests = _delta(requests, self._requests.get(key, 0))
            d_failures = _delta(failures, self._failures.get(key, 0))
            previous = self._hists.get(key, {})
            d_hist = {ms: n - previous.get(ms, 0) for ms, n in hist.items()}
            if any(n < 0 for n in d_hist.values()):  # stats were reset under us
                d_hist = hist
            self._requests[key], self._failures[key], self._hists[key] = requests, failures, hist
            if d_requests or d_failures:
                endpoints.append(
                    EndpointTick(
                        method=key[1],
                        name=key[0],
                        requests=d_requests,
                        failures=d_failures,
                        hist={ms: n for ms, n in sorted(d_hist.items()) if n > 0},
                    )
                )
        return TickMessage(
            t=round(t, 3),
            dt=round(dt, 3),
            users=users,
            endpoints=endpoints,
            errors=self._error_deltas(errors),
            final=final,
        )

    def _error_deltas(self, errors: Mapping[str, Any]) -> list[ErrorTick]:
        out: list[ErrorTick] = []
        for key, error in list(errors.items()):
            occurrences = int(error.occurrences)
            delta = _delta(occurrences, self._errors.get(key, 0))
            self._errors[key] = occurrences
            if delta:
                method, name = str(error.method), str(error.name)
                text = str(error.to_name()).removeprefix(f"{method} {name}: ")
                out.append(ErrorTick(method=method, name=name, error=error_text(text), count=delta))
        return out


def error_text(text: str) -> str:
    """A short, uniform error text: "HTTP 500" whichever client call raised it."""
    text = _BAD_STATUS.sub(lambda m: f"HTTP {m.group(1)}", text)
    return text[:300]


_BAD_STATUS = re.compile(r"\w*BadStatusCode\(code=(\d+)\)")


def _delta(current: int, previous: int) -> int:
    # A smaller total means Locust reset its stats; count from zero again.
    return current - previous if current >= previous else current
