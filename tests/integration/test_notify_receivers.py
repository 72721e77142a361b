"""Notifiers against a real local receiver: exact payloads, and a failing channel never
stops or slows a drill's event log."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from simulator.drill.eventlog import EventLog
from simulator.env.processes import free_port
from simulator.notify import Dispatcher, PagerDutyEvents, SlackWebhook

pytestmark = pytest.mark.integration


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST body."""

    status: int = 202
    delay_s: float = 0.0
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(box.delay_s)
            box.bodies.setdefault(self.path, []).append(body)
            self.send_response(box.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "success"}')

        def log_message(self, *_args: Any) -> None:
            pass

    box.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=box.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.server.shutdown()
        box.server.server_close()


def _drill(log: EventLog) -> None:
    """A drill's events as the engine and a trainee write them."""
    log.append("drill.started", {"scenario_id": "db-lock", "title": "Checkout hangs"})
    log.append("fault.injected", {"fault_id": "f-1", "kind": "db.lock", "params": {}})
    log.append(
        "alert.firing",
        {
            "alert_id": "A1",
            "name": "error_rate",
            "severity": "high",
            "value": 0.07,
            "threshold": 0.05,
        },
        "detector",
    )
    log.append(
        "page.sent",
        {
            "page_id": "PG-1",
            "alert_id": "A1",
            "level": 1,
            "target": "primary on-call engineer",
            "channel": "console",
        },
    )
    log.append(
        "incident.acknowledged",
        {"incident_id": "INC-20260101-120000", "page_id": "PG-1"},
        "trainee:alice",
    )
    log.append(
        "incident.severity_set",
        {"incident_id": "INC-20260101-120000", "severity": "P1"},
        "trainee:alice",
    )
    log.append(
        "incident.update_posted",
        {"incident_id": "INC-20260101-120000", "fields": {"summary": "orders fail"}},
        "trainee:alice",
    )
    log.append("fault.reverted", {"fault_id": "f-1", "kind": "db.lock", "reason": "remediated"})
    log.append("incident.resolved", {"incident_id": "INC-20260101-120000"}, "trainee:alice")
    log.append("drill.finished", {"outcome": "resolved"})


def test_pagerduty_trigger_acknowledge_resolve_share_a_dedup_key(
    receiver: Receiver, tmp_path: Path
) -> None:
    log = EventLog(tmp_path / "events.db", "db-lock-20260101-120000")
    dispatcher = Dispatcher([PagerDutyEvents("ROUTING-KEY", f"{receiver.url}/v2/enqueue")], log)
    _drill(log)
    dispatcher.close()
    sent = receiver.bodies["/v2/enqueue"]
    assert [b["event_action"] for b in sent] == ["trigger", "acknowledge", "resolve"]
    trigger, ack, resolve = sent
    assert set(trigger) == {"routing_key", "event_action", "dedup_key", "payload", "client"}
    assert trigger["routing_key"] == "ROUTING-KEY"
    payload = trigger["payload"]
    assert set(payload) == {
        "summary",
        "source",
        "severity",
        "timestamp",
        "component",
        "group",
        "class",
        "custom_details",
    }
    assert payload["severity"] == "error"  # a high alert
    assert payload["source"] == "chaosdrill"
    assert "Page level 1 to primary on-call engineer: error_rate high" in payload["summary"]
    assert set(ack) == set(resolve) == {"routing_key", "event_action", "dedup_key"}
    assert trigger["dedup_key"] == ack["dedup_key"] == resolve["dedup_key"]
    assert resolve["dedup_key"].startswith("chaosdrill-")
    everything = json.dumps(sent)
    assert "db-lock" not in everything and "db.lock" not in everything  # people read these


def test_slack_hears_pages_and_incident_changes_but_not_faults(
    receiver: Receiver, tmp_path: Path
) -> None:
    log = EventLog(tmp_path / "events.db", "db-lock-20260101-120000")
    dispatcher = Dispatcher([SlackWebhook(f"{receiver.url}/hooks/T1")], log)
    _drill(log)
    dispatcher.close()
    sent = receiver.bodies["/hooks/T1"]
    texts = [b["text"] for b in sent]
    assert all(set(b) == {"text", "blocks"} for b in sent)
    assert sent[0]["blocks"] == [{"type": "section", "text": {"type": "mrkdwn", "text": texts[0]}}]
    assert texts[0].startswith(":rotating_light: *[drill]* Page level 1")
    assert any("Page acknowledged" in t and "trainee:alice" in t for t in texts)
    assert any("Severity set to P1" in t for t in texts)
    assert any("orders fail" in t for t in texts)
    assert any("INC-20260101-120000" in t for t in texts)
    assert (
        texts[-1]
        == ":information_source: *[drill]* Drill ended: resolved\nINC-20260101-120000 | engine"
    )
    assert not any("db.lock" in t or "fault" in t for t in texts)


def test_a_failing_notifier_never_stops_the_drill(receiver: Receiver, tmp_path: Path) -> None:
    receiver.status = 500
    log = EventLog(tmp_path / "events.db", "drill-1")
    dead = f"http://127.0.0.1:{free_port()}/nobody"  # nothing listens there
    dispatcher = Dispatcher(
        [SlackWebhook(dead), PagerDutyEvents("KEY", f"{receiver.url}/v2/enqueue")], log
    )
    _drill(log)  # returns although every delivery fails
    dispatcher.close()
    failed = log.of_type("notification.failed")
    assert {e.data["notifier"] for e in failed} == {"slack", "pagerduty"}
    # Six messages to Slack, three incident changes to PagerDuty: every one failed.
    assert dispatcher.failed == len(failed) == 9
    assert any("HTTP 500" in e.data["error"] for e in failed)
    assert log.of_type("drill.finished")


def test_a_slow_notifier_does_not_hold_up_the_log(receiver: Receiver, tmp_path: Path) -> None:
    receiver.delay_s = 0.3
    log = EventLog(tmp_path / "events.db", "drill-1")
    dispatcher = Dispatcher([SlackWebhook(f"{receiver.url}/slow")], log)
    _drill(log)
    # Every event is in the log while the first delivery is still on the wire.
    assert len(log.events()) == 10 and not receiver.bodies
    dispatcher.close(timeout_s=30)
    assert len(receiver.bodies["/slow"]) == 6  # page, ack, severity, update, resolved, ended
