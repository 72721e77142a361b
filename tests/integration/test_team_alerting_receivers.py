"""Each receiver sink gets the exact payload Debian's Alertmanager sends, field by field
against the service's documented fields, and every text a person reads says [DRILL].

No drill: the team's config (one receiver with all five integrations) is run by
`TeamAlertmanager` exactly as `verify` runs it, and one alert is posted to its API.
The static checks (`amtool config routes test`) are here too: they need only amtool.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from simulator.teamalerting.amconfig import load_config
from simulator.teamalerting.deliveries import load_deliveries
from simulator.teamalerting.observer import TeamAlertmanager
from simulator.teamalerting.sinks import Notification
from simulator.teamalerting.static import route_cases

pytestmark = [pytest.mark.prometheus, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "team-alerting"
WAIT_S = 30.0

CONFIG = {
    "global": {"smtp_from": "alertmanager@shop.example"},
    "route": {"receiver": "everyone", "group_by": ["alertname"], "group_wait": "0s"},
    "receivers": [
        {
            "name": "everyone",
            "webhook_configs": [{"url": "https://hooks.shop.example/am"}],
            "slack_configs": [
                {"api_url": "https://hooks.slack.com/services/T/B/X", "channel": "#drills"}
            ],
            "pagerduty_configs": [{"routing_key": "0" * 32, "severity": "critical"}],
            "opsgenie_configs": [{"api_key": "k", "priority": "P1"}],
            "email_configs": [
                {"to": "dba@shop.example", "headers": {"subject": "DB: {{ .Status }}"}}
            ],
        }
    ],
}
# The services' documented request fields: nothing else may be sent.
SLACK_FIELDS = {"text", "channel", "username", "icon_emoji", "icon_url", "link_names"}
SLACK_FIELDS |= {"attachments", "blocks", "mrkdwn"}
SLACK_ATTACHMENT_FIELDS = {"fallback", "color", "pretext", "author_name", "author_link"}
SLACK_ATTACHMENT_FIELDS |= {"author_icon", "title", "title_link", "text", "fields", "footer"}
SLACK_ATTACHMENT_FIELDS |= {"image_url", "thumb_url", "footer_icon", "ts", "mrkdwn_in"}
SLACK_ATTACHMENT_FIELDS |= {"callback_id", "actions", "short_fields"}
PD_FIELDS = {"routing_key", "event_action", "dedup_key", "payload", "images", "links"}
PD_FIELDS |= {"client", "client_url"}
PD_PAYLOAD_FIELDS = {"summary", "source", "severity", "timestamp", "component", "group"}
PD_PAYLOAD_FIELDS |= {"class", "custom_details"}
OG_FIELDS = {"message", "alias", "description", "responders", "visibleTo", "actions", "tags"}
OG_FIELDS |= {"details", "entity", "source", "priority", "user", "note"}
LABELS = {"alertname": "DatabaseDown", "severity": "critical", "team": "dba", "drill": "true"}
ANNOTATIONS = {"summary": "The shop's database does not answer", "description": "pg down"}


@pytest.fixture(scope="module")
def received(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Notification]:
    """integration -> the firing notification it got for one alert."""
    root = tmp_path_factory.mktemp("receivers")
    (root / "am.yml").write_text(yaml.safe_dump(CONFIG))
    run = TeamAlertmanager(load_config(root / "am.yml"), time.monotonic, root / "out")
    run.launch()

    async def main() -> None:
        await run.start()
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                url = f"http://{run.target}/api/v2/alerts"
                alert = {"labels": LABELS, "annotations": ANNOTATIONS, "generatorURL": "http://x/"}
                (await client.post(url, json=[alert])).raise_for_status()
            deadline = time.monotonic() + WAIT_S
            while len({n.integration for n in run.notifications}) < 5:
                assert time.monotonic() < deadline, [n.describe() for n in run.notifications]
                await asyncio.sleep(0.2)
        finally:
            await run.stop()

    asyncio.run(main())
    return {n.integration: n for n in run.notifications if n.firing}


def test_every_sink_accepts_what_alertmanager_sent(received: dict[str, Notification]) -> None:
    assert sorted(received) == ["email", "opsgenie", "pagerduty", "slack", "webhook"]
    for note in received.values():
        assert note.accepted, (note.integration, note.problems)
        assert note.receiver == "everyone" and note.index == 0
    assert {k: n.status for k, n in received.items()} == {
        "webhook": 200,
        "slack": 200,
        "pagerduty": 202,
        "opsgenie": 202,
        "email": 250,
    }


def test_webhook_gets_the_v4_payload(received: dict[str, Notification]) -> None:
    body: dict[str, Any] = received["webhook"].payload
    assert set(body) == {
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
    }
    assert (body["version"], body["status"], body["receiver"]) == ("4", "firing", "everyone")
    assert body["truncatedAlerts"] == 0
    assert body["groupLabels"] == {"alertname": "DatabaseDown"}
    assert body["commonLabels"] == LABELS  # drill="true" is how a webhook tells a drill
    assert body["commonAnnotations"] == ANNOTATIONS
    (alert,) = body["alerts"]
    assert set(alert) == {
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    }
    assert (alert["status"], alert["labels"], alert["generatorURL"]) == (
        "firing",
        LABELS,
        "http://x/",
    )


def test_slack_gets_an_incoming_webhook_message_marked_drill(
    received: dict[str, Notification],
) -> None:
    body: dict[str, Any] = received["slack"].payload
    assert set(body) <= SLACK_FIELDS, set(body) - SLACK_FIELDS
    assert body["channel"] == "#drills"
    (attachment,) = body["attachments"]
    assert set(attachment) <= SLACK_ATTACHMENT_FIELDS, set(attachment) - SLACK_ATTACHMENT_FIELDS
    assert attachment["title"] == "[DRILL] [FIRING:1] DatabaseDown (true critical dba)"
    assert attachment["fallback"].startswith("[DRILL] ")
    assert attachment["color"] == "danger"
    assert received["slack"].text.startswith("[DRILL] ")


def test_pagerduty_gets_an_events_api_v2_trigger_marked_drill(
    received: dict[str, Notification],
) -> None:
    body: dict[str, Any] = received["pagerduty"].payload
    assert set(body) <= PD_FIELDS, set(body) - PD_FIELDS
    assert set(body["payload"]) <= PD_PAYLOAD_FIELDS, set(body["payload"]) - PD_PAYLOAD_FIELDS
    assert (body["routing_key"], body["event_action"]) == ("0" * 32, "trigger")
    assert 0 < len(body["dedup_key"]) <= 255
    payload = body["payload"]
    assert payload["summary"] == "[DRILL] [FIRING:1] DatabaseDown (true critical dba)"
    assert payload["severity"] == "critical" and payload["source"]
    assert payload["custom_details"]["firing"]  # Alertmanager's rendering of the alerts


def test_opsgenie_gets_an_alert_api_v2_alert_marked_drill(
    received: dict[str, Notification],
) -> None:
    body: dict[str, Any] = received["opsgenie"].payload
    assert set(body) <= OG_FIELDS, set(body) - OG_FIELDS
    assert body["message"] == "[DRILL] [FIRING:1] DatabaseDown (true critical dba)"
    assert len(body["message"]) <= 130 and 0 < len(body["alias"]) <= 512
    assert body["priority"] == "P1" and body["source"]
    assert body["details"]["drill"] == "true"  # the labels are the alert's details


def test_email_gets_a_mail_with_the_teams_subject_marked_drill(
    received: dict[str, Notification],
) -> None:
    headers: dict[str, str] = received["email"].payload["headers"]
    assert headers["Subject"] == "[DRILL] DB: firing"  # the team's own template, kept
    assert (headers["To"], headers["From"]) == ("dba@shop.example", "alertmanager@shop.example")
    assert "DatabaseDown" in received["email"].payload["text"]


def test_a_route_that_misses_the_expected_receiver_is_a_diff_before_any_fault(
    tmp_path: Path,
) -> None:
    config = yaml.safe_load((EXAMPLE / "alertmanager.yml").read_text())
    # Meant for "web" and "www"; it also matches team="sre" (and comes first).
    config["route"]["routes"].insert(0, {"matchers": ['team=~"s.*|w.*"'], "receiver": "web-slack"})
    (tmp_path / "am.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "deliveries.yml").write_text(
        yaml.safe_dump(
            {
                "scenarios": {
                    "app-crash": [
                        {"alert": "ShopDown", "receiver": "sre-pager", "not_to": ["web-slack"]},
                        {"alert": "error_rate", "receiver": "web-slack"},
                    ]
                }
            }
        )
    )
    team = load_config(tmp_path / "am.yml")
    deliveries = load_deliveries(tmp_path / "deliveries.yml", list(team.receivers), ["app-crash"])
    cases = {c.name: c for c in route_cases(team.path, deliveries, EXAMPLE / "rules.yml")}
    missed = cases["app-crash: ShopDown routes to sre-pager (amtool config routes test)"]
    assert not missed.passed
    assert missed.message == (
        '`ShopDown` {alertname="ShopDown",drill="true",severity="critical",team="sre"} goes to '
        '`web-slack`, expected `sre-pager`; matched route: {team=~"s.*|w.*"}'
    )
    leaked = cases["app-crash: ShopDown does not route to web-slack (amtool config routes test)"]
    assert not leaked.passed and "which must not be notified" in leaked.message
    # error_rate's three rules (critical, high, medium) all reach web-slack.
    assert cases["app-crash: error_rate routes to web-slack (amtool config routes test)"].passed
