"""PagerDuty Events API v2: trigger on the first page, acknowledge, resolve (one dedup_key)."""

from __future__ import annotations

import httpx

from simulator.notify.base import Notification

__all__ = ["DEFAULT_URL", "PagerDutyEvents", "pagerduty_payload"]

DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue"
TIMEOUT_S = 5.0
SOURCE = "chaosdrill"


def pagerduty_payload(note: Notification, routing_key: str) -> dict[str, object] | None:
    """The Events v2 body for a notification, or None (PagerDuty only tracks the incident)."""
    if note.action == "info":
        return None
    body: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": note.action,
        "dedup_key": note.dedup_key,
    }
    if note.action == "trigger":
        body["payload"] = {
            "summary": f"[drill] {note.title}"[:1024],
            "source": SOURCE,
            "severity": note.severity,
            "timestamp": note.timestamp.isoformat(),
            "component": "shop",
            "group": "chaosdrill",
            "class": "drill",
            "custom_details": note.details,
        }
        body["client"] = "chaosdrill"
    return body


class PagerDutyEvents:
    """Sends trigger / acknowledge / resolve to an Events v2 endpoint."""

    name = "pagerduty"

    def __init__(
        self, routing_key: str, url: str = DEFAULT_URL, client: httpx.Client | None = None
    ) -> None:
        self.routing_key = routing_key
        self.url = url
        self._client = client or httpx.Client(timeout=TIMEOUT_S)

    def send(self, note: Notification) -> None:
        body = pagerduty_payload(note, self.routing_key)
        if body is None:
            return
        response = self._client.post(self.url, json=body)
        if response.status_code >= 300:
            raise RuntimeError(f"PagerDuty answered HTTP {response.status_code}: {response.text}")
