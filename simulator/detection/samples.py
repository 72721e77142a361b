"""What the detector observes and hands to the engine: checks and SLI samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """One synthetic check of the target: the scrape of /metrics or a probe.

    `ok` is the check's verdict; `status` is None when no HTTP answer came back
    (refused, reset, timed out) and `error` then says why.
    """

    name: str
    t: float
    ok: bool
    status: int | None
    latency_ms: float
    error: str | None = None


@dataclass(frozen=True)
class SliSample:
    """The SLIs at monotonic time `t`, over the windows of `SliConfig`.

    A value is None when it is undefined (no traffic: no error rate, no
    quantile) or unknown (the last scrape failed). `requests` is how many
    requests the traffic window held and `window_s` how long it was.
    """

    t: float
    rps: float | None
    error_rate: float | None
    p50_ms: float | None
    p99_ms: float | None
    availability: float | None
    requests: float = 0.0
    window_s: float = 0.0
    scrape_ok: bool = False
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)
    # The security signals (`simulator.detection.security`): canary uses in the
    # security window, and the highest export rate of a key as a share of its limit
    # (above 1: unusual), with that key. Not part of `sli.sample` events.
    canary_uses: float | None = None
    export_ratio: float | None = None
    export_key: str | None = None
    login_failure_rate: float | None = None  # failed logins per second in the window

    def value(self, sli: str) -> float | None:
        """The value of the SLI named `sli` (a field of this sample)."""
        if sli not in SLI_FIELDS and sli not in SECURITY_FIELDS:
            known = ", ".join(SLI_FIELDS + SECURITY_FIELDS)
            raise KeyError(f"unknown SLI {sli!r}; known: {known}")
        result: float | None = getattr(self, sli)
        return result

    def event_data(self) -> dict[str, Any]:
        """The `sli.sample` event's data (see scoring/events.py)."""
        return {name: _round(getattr(self, name)) for name in SLI_FIELDS}


SLI_FIELDS: tuple[str, ...] = ("rps", "error_rate", "p50_ms", "p99_ms", "availability")
SECURITY_FIELDS: tuple[str, ...] = ("canary_uses", "export_ratio", "login_failure_rate")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
