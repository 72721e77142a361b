"""Alertmanager deliveries -> the engine's AlertFiring / AlertResolved.

An alert instance is known by its fingerprint (the hash of its labels): a
`firing` delivery of a fingerprint marks it firing, repeats change nothing, and
`resolved` ends it. Only alerts the engine knows map through: alertname one of
the builtin alert names (error_rate, latency_p99, availability, and the security
alerts canary_token_used, export_volume, login_failure_surge) and label severity one of critical /
high / medium; anything else a team's rules file sends is logged and skipped.
export_volume has a series per key_id: they are one alert, firing while any does.

What the engine sees is then the same as from the builtin detector: one
alert per name at its highest firing severity, lower severities inhibited
(`simulator.detection.inhibit`). Alertmanager has the same inhibit rules
(`config.alertmanager_config`), but it can let a lower severity through when
both arrive together, and a `--prometheus-url` Prometheus has no Alertmanager
at all: the tracker inhibits whatever it is sent.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scoring.names import ALERT_SEVERITIES
from simulator.detection.alerts import AlertFiring, AlertResolved, AlertTransition
from simulator.detection.inhibit import Inhibitor
from simulator.detection.rules import ALERT_SPECS, AlertRule
from simulator.detection.samples import SliSample
from simulator.detection.security import (
    CANARY_ALERT,
    CANARY_SLI,
    EXPORT_ALERT,
    EXPORT_SLI,
    LOGIN_ALERT,
    LOGIN_SLI,
)
from simulator.prometheus.webhook import WebhookAlert, WebhookPayload

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (alertname, severity)
# The SLI each known alert watches.
SLI_OF: dict[str, str] = {
    **{name: spec.sli for name, spec in ALERT_SPECS.items()},
    CANARY_ALERT: CANARY_SLI,
    EXPORT_ALERT: EXPORT_SLI,
    LOGIN_ALERT: LOGIN_SLI,
}


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
    sample the engine measured. Several fingerprints of one (name, severity)
    (a team rule per instance) are one alert, firing while any of them fires.
    """

    clock: Callable[[], float]
    rules: Sequence[AlertRule] = ()
    last_sample: Callable[[], SliSample | None] = lambda: None
    id_prefix: str = "P"
    raw: dict[str, AlertFiring] = field(default_factory=dict)  # by fingerprint
    skipped: set[Key] = field(default_factory=set)
    inhibitor: Inhibitor = field(init=False)

    def __post_init__(self) -> None:
        self.inhibitor = Inhibitor(self.id_prefix)

    @property
    def firing(self) -> dict[Key, AlertFiring]:
        """The alerts shown as firing now, by (name, severity)."""
        return self.inhibitor.firing

    def feed(self, payload: WebhookPayload) -> list[AlertTransition]:
        """The transitions one delivery causes (none for repeats and unknown alerts)."""
        now = self.clock()
        before = self._raw_keys()
        resolved_values: dict[Key, float | None] = {}
        for alert in payload.alerts:
            key = self._known(alert)
            if key is None:
                continue
            if alert.status == "resolved":
                if self.raw.pop(alert.key, None) is not None:
                    resolved_values[key] = parse_number(alert.annotations.get("value"))
            elif alert.key not in self.raw:
                self.raw[alert.key] = self._firing(alert, key, now)
        after = self._raw_keys()
        changes: list[AlertTransition] = [a for k, a in after.items() if k not in before]
        changes += [
            AlertResolved(a.alert_id, a.name, a.severity, resolved_values.get(k), now)
            for k, a in before.items()
            if k not in after
        ]
        sample = self.last_sample()
        current = (
            {} if sample is None else {s.sli: sample.value(s.sli) for s in ALERT_SPECS.values()}
        )
        return self.inhibitor.feed(changes, now, current)

    def _raw_keys(self) -> dict[Key, AlertFiring]:
        keys: dict[Key, AlertFiring] = {}
        for alert in self.raw.values():
            keys.setdefault((alert.name, alert.severity), alert)
        return keys

    def _known(self, alert: WebhookAlert) -> Key | None:
        name, severity = alert.labels.get("alertname", ""), alert.labels.get("severity", "")
        if name in SLI_OF and severity in ALERT_SEVERITIES:
            return name, severity
        if (name, severity) not in self.skipped:
            self.skipped.add((name, severity))
            log.warning(
                "alert %r severity %r is not one the drill knows (%s x %s); ignored",
                name,
                severity,
                "/".join(SLI_OF),
                "/".join(ALERT_SEVERITIES),
            )
        return None

    def _firing(self, alert: WebhookAlert, key: Key, now: float) -> AlertFiring:
        """The raw instance; the inhibitor gives the shown one its alert_id."""
        name, severity = key
        sli = SLI_OF[name]
        rule = next((r for r in self.rules if r.key == (name, severity)), None)
        return AlertFiring(
            alert_id=f"{name}-{severity}",
            name=name,
            severity=severity,
            sli=sli,
            value=self._value(alert, sli),
            threshold=self._threshold(alert, name, severity),
            t=now,
            team=alert.labels.get("team") or (rule.team if rule is not None else None),
        )

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
