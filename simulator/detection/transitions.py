"""What an alert does: fire or resolve. The data of the `alert.firing` and
`alert.resolved` events (see scoring/events.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Why a shown alert stopped firing: its SLI is back inside the threshold for the
# clear time ("cleared"), a more severe alert of the same SLI fires now
# ("inhibited", see `inhibit`), or the detector stopped for good ("stopped").
ResolveReason = Literal["cleared", "inhibited", "stopped"]


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
    team: str | None = None  # where the alert is routed (the security alerts)

    def event_data(self) -> dict[str, Any]:
        """The `alert.firing` event's data (`team` only on an alert routed to one)."""
        data: dict[str, Any] = {
            "alert_id": self.alert_id,
            "name": self.name,
            "severity": self.severity,
            "sli": self.sli,
            "value": round(self.value, 6),
            "threshold": self.threshold,
        }
        if self.team is not None:
            data["team"] = self.team
        return data


@dataclass(frozen=True)
class AlertResolved:
    """A firing alert instance resolved at monotonic time `t`."""

    alert_id: str
    name: str
    severity: str
    value: float | None
    t: float
    reason: ResolveReason = "cleared"
    inhibited_by: str | None = None  # the alert_id of the more severe alert

    def event_data(self) -> dict[str, Any]:
        """The `alert.resolved` event's data: the alert_id, name and severity of the
        alert that fired, why it stopped, and what inhibited it if something did."""
        data: dict[str, Any] = {
            "alert_id": self.alert_id,
            "name": self.name,
            "severity": self.severity,
            "reason": self.reason,
        }
        if self.inhibited_by is not None:
            data["inhibited_by"] = self.inhibited_by
        return data


AlertTransition = AlertFiring | AlertResolved
