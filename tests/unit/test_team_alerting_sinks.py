"""The team config's rewrite (nothing dials off 127.0.0.1) and the sinks' protocol
checks (a payload the service would refuse is refused), without any server."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from simulator.teamalerting import protocols
from simulator.teamalerting.amconfig import load_config, outside_loopback, rewrite

REPO = Path(__file__).resolve().parents[2]


def test_every_receiver_of_the_example_is_rewritten_to_a_local_sink() -> None:
    config = load_config(REPO / "examples" / "team-alerting" / "alertmanager.yml")
    assert outside_loopback(config.document)  # the team's real endpoints...
    document = rewrite(config, "http://127.0.0.1:9", 25)
    assert outside_loopback(document) == []  # ...none of them survives
    text = yaml.safe_dump(document)
    assert "not-a-real-secret" not in text and "shop.example:587" not in text
    assert document["route"] == config.document["route"]  # routing untouched
    assert document["inhibit_rules"] == config.document["inhibit_rules"]


def test_pagerduty_v2_refuses_a_severity_outside_its_four_like_pagerduty() -> None:
    event = {
        "routing_key": "0" * 32,
        "event_action": "trigger",
        "dedup_key": "k",
        "payload": {"summary": "ShopDown", "source": "am", "severity": "high"},
    }
    refused = protocols.pagerduty(json.dumps(event).encode())
    assert refused.status == 400
    assert json.loads(refused.body)["status"] == "invalid event"
    assert refused.problems == [
        "'payload.severity' is 'high' (must be one of: critical, error, warning, info)"
    ]
    event["payload"]["severity"] = "critical"  # type: ignore[index]
    accepted = protocols.pagerduty(json.dumps(event).encode())
    assert (accepted.status, accepted.firing, accepted.text) == (202, True, "ShopDown")


def test_every_text_a_person_reads_gets_the_drill_mark_and_keeps_the_teams_words() -> None:
    config = load_config(REPO / "examples" / "team-alerting" / "alertmanager.yml")
    config.document["receivers"][0]["email_configs"][0]["headers"] = {"subject": "DB {{ .Status }}"}
    config.document["receivers"][1]["slack_configs"][0]["text"] = "{{ .CommonAnnotations.summary }}"
    receivers = {r["name"]: r for r in rewrite(config, "http://127.0.0.1:9", 25)["receivers"]}
    (mail,) = receivers["team-mail"]["email_configs"]
    assert mail["headers"] == {"Subject": "[DRILL] DB {{ .Status }}"}  # one Subject header
    (slack,) = receivers["web-slack"]["slack_configs"]
    assert slack["title"] == '[DRILL] {{ template "slack.default.title" . }}'
    assert slack["fallback"] == '[DRILL] {{ template "slack.default.fallback" . }}'
    assert slack["text"] == "[DRILL] {{ .CommonAnnotations.summary }}"
    (pager,) = receivers["sre-pager"]["pagerduty_configs"]
    assert pager["description"] == '[DRILL] {{ template "pagerduty.default.description" .}}'
    (genie,) = receivers["dba-opsgenie"]["opsgenie_configs"]
    assert genie["message"] == '[DRILL] {{ template "opsgenie.default.message" . }}'
    (hook,) = receivers["sre-hook"]["webhook_configs"]
    assert set(hook) == {"url"}  # no text: the labels carry drill="true"
