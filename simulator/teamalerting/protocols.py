"""What each receiver's service accepts, checked field by field, and what it answers.

Pure functions: a request body in, a `Checked` out (the status code and body the
real service would answer, the problems found, and what the notification says).
The fields are the services' documented ones:

- webhook: Alertmanager's v4 payload (version, groupKey, truncatedAlerts, status,
  receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts[]
  with status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint).
- slack: an incoming webhook takes a JSON object with `text`, `attachments` or
  `blocks`; anything else is `400 no_text`; success is `200 ok`.
- pagerduty: Events API v2 `POST /v2/enqueue`: routing_key, event_action
  (trigger | acknowledge | resolve), dedup_key up to 255 characters; a trigger
  needs payload.summary (up to 1024), payload.source and payload.severity (critical
  | error | warning | info). Success is 202 with status "success"; an invalid
  event is 400 with status "invalid event" and its errors.
- opsgenie: Alert API v2 `POST v2/alerts` (message up to 130 characters, alias up
  to 512, priority P1-P5, header `Authorization: GenieKey KEY`) and
  `POST v2/alerts/{alias}/close`; accepted is 202, a bad alert 422, no key 401.
- email: a message with From, To and Subject (the SMTP sink hands it over).

Which alerts a notification carries is in the payload only for webhooks (labels);
for the others the verdict takes Alertmanager's own routing (its API) and this
module says whether the notification is a firing or a resolved one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

WEBHOOK_FIELDS = (
    "version",
    "groupKey",
    "truncatedAlerts",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
)
WEBHOOK_ALERT_FIELDS = (
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
)
PD_SEVERITIES = ("critical", "error", "warning", "info")
PD_ACTIONS = ("trigger", "acknowledge", "resolve")
OG_PRIORITIES = ("P1", "P2", "P3", "P4", "P5")


@dataclass
class Checked:
    """The answer a service would give, and what the notification carried."""

    status: int
    body: str
    firing: bool = True
    problems: list[str] = field(default_factory=list)
    alerts: list[dict[str, str]] = field(default_factory=list)  # label sets (webhook)
    text: str = ""  # what a person reads: title, summary, subject


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def webhook(body: bytes) -> Checked:
    """An Alertmanager v4 webhook payload."""
    data = _json(body)
    if not isinstance(data, dict):
        return Checked(400, "bad payload", problems=["the body is not a JSON object"])
    problems = [f"missing field {name}" for name in WEBHOOK_FIELDS if name not in data]
    if data.get("version") != "4":
        problems.append(f"version is {data.get('version')!r}, not '4'")
    alerts: list[Any] = data["alerts"] if isinstance(data.get("alerts"), list) else []
    labels: list[dict[str, str]] = []
    for index, alert in enumerate(alerts):
        missing = [f for f in WEBHOOK_ALERT_FIELDS if f not in alert]
        problems += [f"alerts[{index}]: missing field {f}" for f in missing]
        if alert.get("status") == "firing":
            labels.append({str(k): str(v) for k, v in (alert.get("labels") or {}).items()})
    return Checked(
        200 if not problems else 400,
        "ok" if not problems else "bad payload",
        firing=data.get("status") == "firing",
        problems=problems,
        alerts=labels,
        text=str((data.get("commonLabels") or {}).get("alertname", "")),
    )


def slack(body: bytes) -> Checked:
    """A Slack incoming-webhook message."""
    data = _json(body)
    if not isinstance(data, dict):
        return Checked(400, "invalid_payload", problems=["the body is not a JSON object"])
    attachments = [a for a in data.get("attachments") or [] if isinstance(a, dict)]
    texts = [str(data.get("text") or "")]
    texts += [str(a.get(k) or "") for a in attachments for k in ("title", "text", "fallback")]
    shown = " ".join(t for t in texts if t)
    if not shown and not data.get("blocks"):
        return Checked(400, "no_text", problems=["no text, attachments or blocks"])
    colours = {str(a.get("color", "")) for a in attachments}
    resolved = "RESOLVED" in shown.upper() or colours == {"good"}
    return Checked(200, "ok", firing=not resolved, text=shown)


def pagerduty(body: bytes) -> Checked:
    """A PagerDuty Events API v2 event."""
    data = _json(body)
    if not isinstance(data, dict):
        return _pd_invalid(["the body is not a JSON object"])
    problems = []
    if not data.get("routing_key"):
        problems.append("'routing_key' is missing")
    action = data.get("event_action")
    if action not in PD_ACTIONS:
        problems.append(f"'event_action' is {action!r}, not one of {', '.join(PD_ACTIONS)}")
    if len(str(data.get("dedup_key") or "")) > 255:
        problems.append("'dedup_key' is longer than 255 characters")
    payload: dict[str, Any] = data["payload"] if isinstance(data.get("payload"), dict) else {}
    if action == "trigger":
        for name in ("summary", "source", "severity"):
            if not payload.get(name):
                problems.append(f"'payload.{name}' is missing")
        if len(str(payload.get("summary") or "")) > 1024:
            problems.append("'payload.summary' is longer than 1024 characters")
        severity = payload.get("severity")
        if severity and severity not in PD_SEVERITIES:
            problems.append(
                f"'payload.severity' is {severity!r} (must be one of: {', '.join(PD_SEVERITIES)})"
            )
    if problems:
        return _pd_invalid(problems)
    answer = {"status": "success", "message": "Event processed", "dedup_key": data.get("dedup_key")}
    return Checked(
        202, json.dumps(answer), firing=action == "trigger", text=str(payload.get("summary", ""))
    )


def _pd_invalid(problems: list[str]) -> Checked:
    answer = {"status": "invalid event", "message": "Event object is invalid", "errors": problems}
    return Checked(400, json.dumps(answer), problems=problems)


def opsgenie(path: str, headers: dict[str, str], body: bytes) -> Checked:
    """An Opsgenie Alert API v2 request (`path` is what follows the api_url)."""
    answer = {"result": "Request will be processed", "took": 0.0, "requestId": "drill"}
    if not headers.get("authorization", "").startswith("GenieKey "):
        return Checked(401, json.dumps({"message": "Could not authenticate"}), problems=["no key"])
    data = _json(body)
    if not isinstance(data, dict):
        return Checked(422, json.dumps({"message": "Invalid JSON"}), problems=["not JSON"])
    if path.endswith("/close"):
        return Checked(202, json.dumps(answer), firing=False)
    if path.rstrip("/") != "v2/alerts":  # update of message/description (update_alerts)
        return Checked(202, json.dumps(answer), firing=False, text="update")
    problems = []
    message = str(data.get("message") or "")
    if not message:
        problems.append("Message can not be empty.")
    if len(message) > 130:
        problems.append("message is longer than 130 characters")
    if len(str(data.get("alias") or "")) > 512:
        problems.append("alias is longer than 512 characters")
    if data.get("priority") and data["priority"] not in OG_PRIORITIES:
        problems.append(f"priority {data['priority']!r} is not one of {', '.join(OG_PRIORITIES)}")
    if problems:
        return Checked(422, json.dumps({"message": problems[0]}), problems=problems)
    return Checked(202, json.dumps(answer), text=message)


def email(message: EmailMessage) -> Checked:
    """A message the SMTP sink received."""
    problems = [f"no {h} header" for h in ("From", "To", "Subject") if not message.get(h)]
    subject = str(message.get("Subject", ""))
    return Checked(
        250, "OK", firing="RESOLVED" not in subject.upper(), problems=problems, text=subject
    )
