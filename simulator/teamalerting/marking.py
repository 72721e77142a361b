"""The `[DRILL]` mark on every text a person reads in a drill's notifications.

Every alert of a drill carries the label `drill="true"` (Prometheus' external
label, so webhooks and anything that keeps labels can filter on it). A person
reading Slack, a PagerDuty incident, an Opsgenie alert or a mail sees text, not
labels, so the rewritten config puts `[DRILL] ` in front of that text: the
team's own template for the field if it set one, else Alertmanager's default
template for it (the names below are Alertmanager's, `notify/*` defaults).
The team's wording is kept; only the prefix is added.

    slack_configs      title, fallback (the push notification), text if set
    pagerduty_configs  description (the incident's summary)
    opsgenie_configs   message
    email_configs      headers.Subject
    webhook_configs    no text: the labels carry drill="true"
"""

from __future__ import annotations

from typing import Any

DRILL_MARK = "[DRILL]"
TEXT_KINDS = ("slack", "pagerduty", "opsgenie", "email")  # sinks whose text must be marked

# kind -> field -> Alertmanager's default template for it.
DEFAULTS: dict[str, dict[str, str]] = {
    "slack_configs": {
        "title": '{{ template "slack.default.title" . }}',
        "fallback": '{{ template "slack.default.fallback" . }}',
    },
    "pagerduty_configs": {"description": '{{ template "pagerduty.default.description" .}}'},
    "opsgenie_configs": {"message": '{{ template "opsgenie.default.message" . }}'},
}
EMAIL_SUBJECT = '{{ template "email.default.subject" . }}'


def marked(text: str) -> str:
    """`text` with the drill's prefix (once)."""
    return text if text.startswith(DRILL_MARK) else f"{DRILL_MARK} {text}"


def mark_drill(kind: str, settings: dict[str, Any]) -> None:
    """Prefix, in place, the texts one integration of `kind` shows a person."""
    for key, default in DEFAULTS.get(kind, {}).items():
        settings[key] = marked(str(settings.get(key) or default))
    if kind == "slack_configs" and settings.get("text"):
        settings["text"] = marked(str(settings["text"]))
    if kind == "email_configs":
        headers = {str(k): str(v) for k, v in (settings.get("headers") or {}).items()}
        # Alertmanager title-cases header names: `subject` and `Subject` are one header.
        subject = next((v for k, v in headers.items() if k.lower() == "subject"), EMAIL_SUBJECT)
        headers = {k: v for k, v in headers.items() if k.lower() != "subject"}
        settings["headers"] = {**headers, "Subject": marked(subject)}
