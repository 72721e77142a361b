"""Alert rules as data, built from the playbook's thresholds.

One rule per (SLI, severity), like Prometheus rules that carry a severity label:
at a 15 % error rate error_rate/critical, /high and /medium are all breached
(the evaluator then shows only critical: see `inhibit`). Rules are
plain data (name, sli, op, threshold, severity, for_s, clear_s) so that another
piece can render them as Prometheus rule files.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from scoring.names import ALERT_NAMES, ALERT_SEVERITIES

Op = Literal[">", "<"]
OPS: dict[str, Callable[[float, float], bool]] = {">": operator.gt, "<": operator.lt}


class ThresholdLevelsLike(Protocol):
    """The shape of `playbook.thresholds.<sli>`."""

    @property
    def critical(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def medium(self) -> float: ...


class ThresholdsLike(Protocol):
    """The shape of `playbook.thresholds`."""

    @property
    def error_rate(self) -> ThresholdLevelsLike: ...
    @property
    def latency_p99_ms(self) -> ThresholdLevelsLike: ...
    @property
    def availability(self) -> ThresholdLevelsLike: ...


class PlaybookLike(Protocol):
    @property
    def thresholds(self) -> ThresholdsLike: ...


@dataclass(frozen=True)
class RuleTiming:
    """Hysteresis of a rule: breached for `for_s` to fire, back inside for `clear_s` to resolve."""

    for_s: float = 0.0
    clear_s: float = 5.0


@dataclass(frozen=True)
class AlertSpec:
    """How an alert name maps to the playbook and to an SLI of the sample."""

    thresholds_field: str
    sli: str
    op: Op
    unit: str


# The registry of alerts the builtin detector knows, keyed by alert name.
ALERT_SPECS: dict[str, AlertSpec] = {
    "error_rate": AlertSpec("error_rate", "error_rate", ">", "ratio"),
    "latency_p99": AlertSpec("latency_p99_ms", "p99_ms", ">", "ms"),
    "availability": AlertSpec("availability", "availability", "<", "ratio"),
}
if tuple(ALERT_SPECS) != ALERT_NAMES:  # scoring/names.py is the contract
    raise RuntimeError("ALERT_SPECS must list exactly scoring.names.ALERT_NAMES, in order")

# Keys are an alert name (all its severities) or "name/severity". Measured with
# bench/detection_latency.py and a 150 s healthy soak on a busy 2-core machine:
# - error_rate: a healthy shop serves no 5xx, so the first breached sample fires.
# - latency_p99 high/critical fire at once (a 1.5 s fault is seen ~1.6-2.3 s after
#   it starts); medium (500 ms) sits near the healthy tail when the CPU is
#   contended, where one-second spikes fired it 4 times in 150 s, so it needs
#   three breached samples in a row.
# - availability is the share of this tick's liveness checks: a second failed
#   tick confirms it, so one slow /healthz never pages a P0.
# clear_s keeps a noisy recovery from flapping every alert.
DEFAULT_TIMING: dict[str, RuleTiming] = {
    "error_rate": RuleTiming(for_s=0.0),
    "latency_p99": RuleTiming(for_s=0.0),
    "latency_p99/medium": RuleTiming(for_s=2.0),
    "availability": RuleTiming(for_s=1.0),
}


def merge_timing(overrides: Mapping[str, RuleTiming] | None) -> dict[str, RuleTiming]:
    """DEFAULT_TIMING with `overrides` applied; an override for a whole alert name
    also replaces the defaults of its single severities."""
    merged = dict(DEFAULT_TIMING)
    for key, value in (overrides or {}).items():
        name, _, severity = key.partition("/")
        if name not in ALERT_SPECS:
            raise ValueError(
                f"timing for {key!r}: no alert named {name!r}; known alerts: "
                f"{', '.join(ALERT_SPECS)}"
            )
        if severity and severity not in ALERT_SEVERITIES:
            raise ValueError(
                f"timing for {key!r}: no severity {severity!r}; known: "
                f"{', '.join(ALERT_SEVERITIES)}"
            )
        if not severity:
            merged = {k: v for k, v in merged.items() if not k.startswith(f"{name}/")}
        merged[key] = value
    return merged


def timing_for(timing: Mapping[str, RuleTiming], name: str, severity: str) -> RuleTiming:
    """The timing of one alert instance: "name/severity", else "name", else the default."""
    return timing.get(f"{name}/{severity}") or timing.get(name) or RuleTiming()


@dataclass(frozen=True)
class AlertRule:
    """Fire `name`/`severity` when `sli` `op` `threshold` holds for `for_s` seconds."""

    name: str
    sli: str
    op: Op
    threshold: float
    severity: str
    for_s: float = 0.0
    clear_s: float = 5.0
    # The team the alert is routed to (a label in Prometheus), None for the SLI alerts.
    team: str | None = None
    # The rule's own PromQL condition, where `sli_expr` cannot write it (per-key limits).
    promql: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The identity of the alert instance: (name, severity)."""
        return (self.name, self.severity)

    def breached(self, value: float) -> bool:
        """Whether `value` is outside the threshold (equal to it is inside)."""
        return OPS[self.op](value, self.threshold)


def rules_from_thresholds(
    thresholds: ThresholdsLike, timing: Mapping[str, RuleTiming] | None = None
) -> list[AlertRule]:
    """One rule per alert name and severity, most severe first within each name.

    `timing` overrides DEFAULT_TIMING by "name" or "name/severity".
    """
    merged = merge_timing(timing)
    rules: list[AlertRule] = []
    for name, spec in ALERT_SPECS.items():
        levels = getattr(thresholds, spec.thresholds_field)
        for severity in ALERT_SEVERITIES:
            hold = timing_for(merged, name, severity)
            rules.append(
                AlertRule(
                    name=name,
                    sli=spec.sli,
                    op=spec.op,
                    threshold=float(getattr(levels, severity)),
                    severity=severity,
                    for_s=hold.for_s,
                    clear_s=hold.clear_s,
                )
            )
    return rules


def rules_from_playbook(
    playbook: PlaybookLike, timing: Mapping[str, RuleTiming] | None = None
) -> list[AlertRule]:
    """The detector's rules for a loaded playbook (`scoring.playbook.load_playbook()`)."""
    return rules_from_thresholds(playbook.thresholds, timing)
