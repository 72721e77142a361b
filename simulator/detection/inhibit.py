"""Inhibition, as Alertmanager's inhibit rules do it: one alert per name, at its
highest firing severity.

The rules this models (the same ones `simulator.prometheus.config` gives
Alertmanager):

    critical inhibits high and medium of the same alertname
    high inhibits medium of the same alertname

Input: the raw transitions of every (name, severity) instance, from the rule
state machines of `alerts` or from Prometheus / Alertmanager. Output: the
transitions of the alerts that are shown, which the engine logs:

- a name's first raw alert is shown at its severity;
- a more severe one of the same name fires: it is shown, and the one shown so
  far is resolved with reason "inhibited" and `inhibited_by` (Alertmanager marks
  it suppressed, `inhibitedBy`, and sends nothing more for it while the source
  fires);
- the shown one resolves while a less severe one still fires: it is resolved
  ("cleared") and the less severe one is shown, with a new id (Alertmanager
  un-suppresses it and notifies it);
- the last raw alert of a name resolves: the shown one is resolved ("cleared").

So an SLI has at most one alert firing at any time, every shown alert has its
own id, fires once and resolves once, and a name is shown exactly while any
of its severities fires raw: detection is never delayed by inhibition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from scoring.names import ALERT_SEVERITIES
from simulator.detection.transitions import (
    AlertFiring,
    AlertResolved,
    AlertTransition,
    ResolveReason,
)

RANK = {severity: rank for rank, severity in enumerate(ALERT_SEVERITIES)}  # 0: most severe


@dataclass
class Inhibitor:
    """Turns raw transitions into shown ones; pure, fed in time order."""

    id_prefix: str = ""
    _raw: dict[str, dict[str, AlertFiring]] = field(default_factory=dict)
    _shown: dict[str, AlertFiring] = field(default_factory=dict)
    _minted: int = 0

    @property
    def firing(self) -> dict[tuple[str, str], AlertFiring]:
        """The alerts shown as firing now, by (name, severity)."""
        return {(a.name, a.severity): a for a in self._shown.values()}

    @property
    def raw_firing(self) -> dict[tuple[str, str], AlertFiring]:
        """Every (name, severity) firing raw, inhibited or not."""
        return {(a.name, a.severity): a for by in self._raw.values() for a in by.values()}

    def feed(
        self,
        changes: Iterable[AlertTransition],
        t: float,
        current: Mapping[str, float | None] | None = None,
    ) -> list[AlertTransition]:
        """The shown transitions caused by one batch of raw `changes` at time `t`.

        A batch is everything seen at once (one sample, one delivery): alerts that
        resolve together never show a less severe one in between. `current` maps
        an SLI to its value now, for an alert that is shown again after a more
        severe one resolved (its raw value is from when it first fired).
        """
        touched: dict[str, float | None] = {}
        for change in changes:
            by_severity = self._raw.setdefault(change.name, {})
            if isinstance(change, AlertFiring):
                by_severity[change.severity] = change
                touched.setdefault(change.name, None)
            else:
                by_severity.pop(change.severity, None)
                touched[change.name] = change.value
        shown: list[AlertTransition] = []
        for name, resolved_value in touched.items():
            shown.extend(self._reconcile(name, t, resolved_value, current or {}))
        return shown

    def resolve_all(self, t: float) -> list[AlertResolved]:
        """Forget every raw alert and resolve every shown one (reason "stopped")."""
        resolved = [_resolved(a, t, None, "stopped") for a in self._shown.values()]
        self._raw.clear()
        self._shown.clear()
        return resolved

    def _reconcile(
        self, name: str, t: float, value: float | None, current: Mapping[str, float | None]
    ) -> list[AlertTransition]:
        raw = self._raw.get(name, {})
        top = min(raw.values(), key=lambda a: RANK.get(a.severity, len(RANK)), default=None)
        shown = self._shown.get(name)
        if top is None:
            if shown is None:
                return []
            del self._shown[name]
            return [_resolved(shown, t, value, "cleared")]
        if shown is not None and shown.severity == top.severity:
            return []
        self._minted += 1
        fresh = top.t == t  # fired in this batch: its own value; else the value now
        now_value = current.get(top.sli)
        fired = replace(
            top,
            alert_id=f"{self.id_prefix}{name}-{top.severity}-{self._minted}",
            value=top.value if fresh or now_value is None else now_value,
            t=t,
        )
        self._shown[name] = fired
        if shown is None:
            return [fired]
        if RANK.get(top.severity, len(RANK)) < RANK.get(shown.severity, len(RANK)):
            # Escalation: the new one first, so the SLI is never without an alert.
            return [fired, _resolved(shown, t, None, "inhibited", fired.alert_id)]
        # De-escalation: the severe one cleared; the one still breached shows again.
        return [_resolved(shown, t, value, "cleared"), fired]


def _resolved(
    alert: AlertFiring,
    t: float,
    value: float | None,
    reason: ResolveReason,
    by: str | None = None,
) -> AlertResolved:
    return AlertResolved(alert.alert_id, alert.name, alert.severity, value, t, reason, by)
