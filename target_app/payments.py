"""Client of the payment provider: explicit timeouts, primary or backup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from target_app.config import Settings


class PaymentUnavailable(Exception):
    """The provider could not be reached or did not answer in time."""


class PaymentRejected(Exception):
    """The provider answered with an error status."""


@dataclass
class ChargeResult:
    provider: str
    charge_id: str | None
    status: str


class PaymentClient:
    def __init__(self, settings: Settings) -> None:
        timeout = httpx.Timeout(
            settings.payment_read_timeout_s, connect=settings.payment_connect_timeout_s
        )
        self.urls = {
            "primary": settings.payment_provider_url,
            "backup": settings.payment_backup_url,
        }
        self._client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def charge(
        self, provider: str, order_id: int, amount_cents: int, currency: str
    ) -> ChargeResult:
        url = f"{self.urls[provider]}/v1/charges"
        body = {
            "order_id": order_id,
            "amount_cents": amount_cents,
            "currency": currency,
            "idempotency_key": f"order-{order_id}",
        }
        try:
            response = self._client.post(url, json=body)
        except httpx.HTTPError as exc:
            raise PaymentUnavailable(f"{provider} payment provider: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise PaymentRejected(f"{provider} payment provider answered {response.status_code}")
        data: dict[str, Any] = response.json()
        return ChargeResult(provider, data.get("id"), str(data.get("status", "failed")))

    def health(self, provider: str, timeout_s: float) -> bool:
        try:
            response = self._client.get(f"{self.urls[provider]}/healthz", timeout=timeout_s)
        except httpx.HTTPError:
            return False
        return response.status_code == 200
