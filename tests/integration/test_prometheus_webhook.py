"""The engine's Alertmanager webhook endpoint over a real socket (no Prometheus needed)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from simulator.prometheus.webhook import WebhookPayload, WebhookReceiver, listening_socket

pytestmark = pytest.mark.integration

DELIVERY = {
    "version": "4",
    "groupKey": '{}:{alertname="error_rate"}',
    "status": "firing",
    "receiver": "chaosdrill-engine",
    "groupLabels": {"alertname": "error_rate"},
    "commonLabels": {"alertname": "error_rate", "severity": "high"},
    "externalURL": "http://127.0.0.1:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "error_rate", "severity": "high"},
            "annotations": {"value": "0.12", "threshold": "0.05"},
            "startsAt": "2024-05-01T10:00:00.123Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:9090/graph",
            "fingerprint": "5a1b",
        }
    ],
}


def test_receiver_parses_deliveries_and_rejects_the_rest() -> None:
    received: list[WebhookPayload] = []

    async def main() -> list[int]:
        receiver = WebhookReceiver(received.append, listening_socket())
        await receiver.start()
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                url = receiver.url
                codes = [(await client.post(url, json=DELIVERY)).status_code]
                codes.append((await client.post(url, content=b"{not json")).status_code)
                codes.append((await client.post(url + "x", json=DELIVERY)).status_code)
                codes.append((await client.get(url)).status_code)
                resolved = {**DELIVERY, "status": "resolved"}
                resolved["alerts"] = [{**DELIVERY["alerts"][0], "status": "resolved"}]  # type: ignore[index]
                codes.append((await client.post(url, content=json.dumps(resolved))).status_code)
                return codes
        finally:
            await receiver.stop()

    assert asyncio.run(main()) == [200, 400, 404, 405, 200]
    assert [p.status for p in received] == ["firing", "resolved"]
    alert = received[0].alerts[0]
    assert (alert.labels["alertname"], alert.key, alert.annotations["value"]) == (
        "error_rate",
        "5a1b",
        "0.12",
    )


def test_a_broken_consumer_still_answers_200() -> None:
    def broken(_payload: WebhookPayload) -> None:
        raise RuntimeError("consumer bug")

    async def main() -> int:
        receiver = WebhookReceiver(broken, listening_socket())
        await receiver.start()
        try:
            async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
                return (await client.post(receiver.url, json=DELIVERY)).status_code
        finally:
            await receiver.stop()

    assert asyncio.run(main()) == 200
