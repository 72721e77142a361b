"""Alertmanager deliveries -> the engine's AlertFiring / AlertResolved.

An alert instance is known by its fingerprint (the hash of its labels): the
first `firing` delivery of a fingerprint fires it with a new alert_id, repeats
are ignored, and `resolved` resolves it with the same alert_id. Only alerts
the engine knows map through: alertname one of the builtin alert names
(error_rate, latency_p99, availability) and label severity one of critical /
high / medium; anything else a team's rules file sends is logged and skipped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scoring.names import ALERT_SEVERITIES
from simulator.detection.alerts import AlertFiring, AlertResolved, AlertTransition
from simulator.detection.rules import ALERT_SPECS, AlertRule
from simulator.detection.samples import SliSample
from simulator.prometheus.webhook import WebhookAlert, WebhookPayload

log = logging.getLogger(__name__)


def parse_number(text: str | None) -> float | None:
    """A finite float from an annotation, or None."""
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass
class AlertTracker:
    """Turns deliveries into transitions at the engine's clock time of receipt.

    `value` and `threshold` come from the alert's annotations (the exported
    rules write both); a team's rule without them gets the threshold of the
    playbook rule of the same (name, severity) and the SLI's value in the last
    sample the engine measured.
    """

    clock: Callable[[], float]
    rules: Sequence[AlertRule] = ()
    last_sample: Callable[[], SliSample | None] = lambda: None
    id_prefix: str = "P"
    active: dict[str, AlertFiring] = field(default_factory=dict)
    skipped: set[tuple[str, str]] = field(default_factory=set)
    _fired: int = 0

    def feed(self, payload: WebhookPayload) -> list[AlertTransition]:
        """The transitions one delivery causes (none for repeats and unknown alerts)."""
        transitions: list[AlertTransition] = []
        now = self.clock()
        for alert in payload.alerts:
            change = self._one(alert, now)
            if change is not None:
                transitions.append(change)
        return transitions

    def _one(self, alert: WebhookAlert, now: float) -> AlertTransition | None:
        name, severity = alert.labels.get("alertname", ""), alert.labels.get("severity", "")
        if name not in ALERT_SPECS or severity not in ALERT_SEVERITIES:
            if (name, severity) not in self.skipped:
                self.skipped.add((name, severity))
                log.warning(
                    "alert %r severity %r is not one the drill knows (%s x %s); ignored",
                    name,
                    severity,
                    "/".join(ALERT_SPECS),
                    "/".join(ALERT_SEVERITIES),
                )
            return None
        if alert.status == "resolved":
            firing = self.active.pop(alert.key, None)
            if firing is None:
                return None
            value = parse_number(alert.annotations.get("value"))
            return AlertResolved(firing.alert_id, name, severity, value, now)
        if alert.key in self.active:
            return None  # a repeat of a firing alert
        self._fired += 1
        sli = ALERT_SPECS[name].sli
        firing = AlertFiring(
            alert_id=f"{self.id_prefix}{name}-{severity}-{self._fired}",
            name=name,
            severity=severity,
            sli=sli,
            value=self._value(alert, sli),
            threshold=self._threshold(alert, name, severity),
            t=now,
        )
        self.active[alert.key] = firing
        return firing

    def _threshold(self, alert: WebhookAlert, name: str, severity: str) -> float:
        given = parse_number(alert.annotations.get("threshold"))
        if given is not None:
            return given
        rule = next((r for r in self.rules if r.key == (name, severity)), None)
        return rule.threshold if rule is not None else 0.0

    def _value(self, alert: WebhookAlert, sli: str) -> float:
        given = parse_number(alert.annotations.get("value"))
        if given is not None:
            return given
        sample = self.last_sample()
        measured = sample.value(sli) if sample is not None else None
        return measured if measured is not None else 0.0
