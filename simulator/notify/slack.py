"""Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat accept this shape)."""

from __future__ import annotations

import httpx

from simulator.notify.base import Notification

__all__ = ["SlackWebhook", "slack_payload"]

TIMEOUT_S = 5.0
ICONS = {"trigger": ":rotating_light:", "acknowledge": ":eyes:", "resolve": ":white_check_mark:"}


def slack_payload(note: Notification) -> dict[str, object]:
    """The webhook body: `text` (the fallback every client shows) and one section block."""
    icon = ICONS.get(note.action, ":information_source:")
    incident = note.details.get("incident_id")
    who = note.details.get("actor", "")
    head = f"{icon} *[drill]* {note.title}"
    context = " | ".join(str(part) for part in (incident, who) if part)
    text = f"{head}\n{context}" if context else head
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


class SlackWebhook:
    """POSTs every notification to one incoming-webhook URL."""

    name = "slack"

    def __init__(self, url: str, client: httpx.Client | None = None) -> None:
        self.url = url
        self._client = client or httpx.Client(timeout=TIMEOUT_S)

    def send(self, note: Notification) -> None:
        response = self._client.post(self.url, json=slack_payload(note))
        if response.status_code >= 300:
            raise RuntimeError(f"the Slack webhook answered HTTP {response.status_code}")
