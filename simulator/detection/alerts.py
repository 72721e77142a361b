"""Alert evaluation: a pure state machine over SLI samples, with hysteresis and
inhibition.

Per rule: INACTIVE -> (breached) PENDING -> (breached for `for_s`) FIRING ->
(inside again) CLEARING -> (inside for `clear_s`) resolved, back to INACTIVE.
A breach while CLEARING returns to FIRING, so a noisy recovery does not flap.
A sample without a value (no traffic, failed scrape) confirms nothing: a
pending breach is dropped and a clearing timer restarts.

Those per-rule ("raw") transitions then go through an `Inhibitor`: what the
evaluator returns is one alert per name at its highest firing severity, lower
severities inhibited while it fires (see `simulator.detection.inhibit`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from simulator.detection.inhibit import Inhibitor
from simulator.detection.rules import AlertRule
from simulator.detection.samples import SliSample
from simulator.detection.transitions import (
    AlertFiring,
    AlertResolved,
    AlertTransition,
    ResolveReason,
)

__all__ = [
    "AlertEvaluator",
    "AlertFiring",
    "AlertResolved",
    "AlertTransition",
    "ResolveReason",
]

# Sample times jitter with check latency; a hold time that misses by that still counts.
TIMING_SLACK_S = 0.1


@dataclass
class _RuleState:
    pending_since: float | None = None
    firing: AlertFiring | None = None
    clear_since: float | None = None


class AlertEvaluator:
    """Evaluates rules over successive samples; returns the shown alerts' transitions."""

    def __init__(self, rules: Iterable[AlertRule], id_prefix: str = "") -> None:
        self.rules = list(rules)
        keys = [rule.key for rule in self.rules]
        if len(set(keys)) != len(keys):
            raise ValueError("two rules share a (name, severity); each alert instance needs one")
        self._states = {rule.key: _RuleState() for rule in self.rules}
        self.inhibitor = Inhibitor(id_prefix)

    @property
    def firing(self) -> dict[tuple[str, str], AlertFiring]:
        """The alerts firing now, by (name, severity): one per name, the most severe."""
        return self.inhibitor.firing

    @property
    def raw_firing(self) -> dict[tuple[str, str], AlertFiring]:
        """Every rule firing now, inhibited or not, by (name, severity)."""
        return {key: s.firing for key, s in self._states.items() if s.firing is not None}

    def evaluate(self, sample: SliSample) -> list[AlertTransition]:
        """Advance every rule by one sample; the shown alerts that fired or resolved at it."""
        raw: list[AlertTransition] = []
        for rule in self.rules:
            change = self._step(rule, self._states[rule.key], sample)
            if change is not None:
                raw.append(change)
        current = {rule.sli: sample.value(rule.sli) for rule in self.rules}
        return self.inhibitor.feed(raw, sample.t, current)

    def resolve_all(self, t: float) -> list[AlertResolved]:
        """Resolve every firing alert (the detector is stopping for good)."""
        for state in self._states.values():
            state.pending_since = state.clear_since = None
            state.firing = None
        return self.inhibitor.resolve_all(t)

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
            # The raw instance; the inhibitor gives the shown one its alert_id.
            state.firing = AlertFiring(
                alert_id=f"{rule.name}-{rule.severity}",
                name=rule.name,
                severity=rule.severity,
                sli=rule.sli,
                value=value,
                threshold=rule.threshold,
                t=t,
                team=rule.team,
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
