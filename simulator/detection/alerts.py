"""Alert evaluation: a pure state machine over SLI samples, with hysteresis.

Per rule: INACTIVE -> (breached) PENDING -> (breached for `for_s`) FIRING ->
(inside again) CLEARING -> (inside for `clear_s`) resolved, back to INACTIVE.
A breach while CLEARING returns to FIRING with the same alert_id, so a noisy
recovery does not flap. A sample without a value (no traffic, failed scrape)
confirms nothing: a pending breach is dropped and a clearing timer restarts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from simulator.detection.rules import AlertRule
from simulator.detection.samples import SliSample

# Sample times jitter with check latency; a hold time that misses by that still counts.
TIMING_SLACK_S = 0.1


@dataclass(frozen=True)
class AlertFiring:
    """An alert instance started firing at monotonic time `t`."""

    alert_id: str
    name: str
    severity: str
    sli: str
    value: float
    threshold: float
    t: float

    def event_data(self) -> dict[str, Any]:
        """The `alert.firing` event's data (see scoring/events.py)."""
        return {
            "alert_id": self.alert_id,
            "name": self.name,
            "severity": self.severity,
            "sli": self.sli,
            "value": round(self.value, 6),
            "threshold": self.threshold,
        }


@dataclass(frozen=True)
class AlertResolved:
    """A firing alert instance resolved at monotonic time `t`."""

    alert_id: str
    name: str
    severity: str
    value: float | None
    t: float

    def event_data(self) -> dict[str, Any]:
        """The `alert.resolved` event's data (alert_id, name; severity for convenience)."""
        return {"alert_id": self.alert_id, "name": self.name, "severity": self.severity}


AlertTransition = AlertFiring | AlertResolved


@dataclass
class _RuleState:
    pending_since: float | None = None
    firing: AlertFiring | None = None
    clear_since: float | None = None


class AlertEvaluator:
    """Evaluates rules over successive samples; returns the transitions of each."""

    def __init__(self, rules: Iterable[AlertRule], id_prefix: str = "") -> None:
        self.rules = list(rules)
        keys = [rule.key for rule in self.rules]
        if len(set(keys)) != len(keys):
            raise ValueError("two rules share a (name, severity); each alert instance needs one")
        self._states = {rule.key: _RuleState() for rule in self.rules}
        self._id_prefix = id_prefix
        self._fired = 0

    @property
    def firing(self) -> dict[tuple[str, str], AlertFiring]:
        """The alerts firing now, by (name, severity)."""
        return {key: s.firing for key, s in self._states.items() if s.firing is not None}

    def evaluate(self, sample: SliSample) -> list[AlertTransition]:
        """Advance every rule by one sample; the alerts that fired or resolved at it."""
        transitions: list[AlertTransition] = []
        for rule in self.rules:
            change = self._step(rule, self._states[rule.key], sample)
            if change is not None:
                transitions.append(change)
        return transitions

    def resolve_all(self, t: float) -> list[AlertResolved]:
        """Resolve every firing alert (the detector is stopping for good)."""
        resolved = []
        for state in self._states.values():
            if state.firing is not None:
                firing = state.firing
                resolved.append(
                    AlertResolved(firing.alert_id, firing.name, firing.severity, None, t)
                )
            state.pending_since = state.clear_since = None
            state.firing = None
        return resolved

    def _step(
        self, rule: AlertRule, state: _RuleState, sample: SliSample
    ) -> AlertTransition | None:
        t, value = sample.t, sample.value(rule.sli)
        if value is None:
            state.pending_since = state.clear_since = None
            return None
        breached = rule.breached(value)
        if state.firing is None:
            if not breached:
                state.pending_since = None
                return None
            if state.pending_since is None:
                state.pending_since = t
            if t - state.pending_since + TIMING_SLACK_S < rule.for_s:
                return None
            self._fired += 1
            state.firing = AlertFiring(
                alert_id=f"{self._id_prefix}{rule.name}-{rule.severity}-{self._fired}",
                name=rule.name,
                severity=rule.severity,
                sli=rule.sli,
                value=value,
                threshold=rule.threshold,
                t=t,
            )
            state.pending_since = None
            return state.firing
        if breached:
            state.clear_since = None
            return None
        if state.clear_since is None:
            state.clear_since = t
        if t - state.clear_since + TIMING_SLACK_S < rule.clear_s:
            return None
        firing, state.firing, state.clear_since = state.firing, None, None
        return AlertResolved(firing.alert_id, firing.name, firing.severity, value, t)
