"""Client of the payment provider: explicit timeouts, primary or backup."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from target_app.config import Settings

HEALTH_TIMEOUT_S = 0.7  # inside readyz's 0.8 s budget, so the reason is specific


class PaymentUnavailable(Exception):
    """The provider could not be reached or did not answer in time."""


class PaymentRejected(Exception):
    """The provider answered, but not with a charge we can use."""


@dataclass
class ChargeResult:
    provider: str
    charge_id: str | None
    status: str


class PaymentClient:
    """One HTTP client (thread-safe connection pool) for both providers."""

    def __init__(self, settings: Settings) -> None:
        timeout = httpx.Timeout(
            settings.payment_read_timeout_s, connect=settings.payment_connect_timeout_s
        )
        self.urls = {
            "primary": settings.payment_provider_url.rstrip("/"),
            "backup": settings.payment_backup_url.rstrip("/"),
        }
        self._client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def charge(
        self, provider: str, order_id: int, amount_cents: int, currency: str
    ) -> ChargeResult:
        """Charge an order (idempotent per order); raises PaymentUnavailable or PaymentRejected."""
        body = {
            "order_id": order_id,
            "amount_cents": amount_cents,
            "currency": currency,
            "idempotency_key": f"order-{order_id}",
        }
        try:
            response = self._client.post(f"{self.urls[provider]}/v1/charges", json=body)
        except httpx.HTTPError as exc:
            raise PaymentUnavailable(f"{provider} payment provider: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise PaymentRejected(f"{provider} payment provider answered {response.status_code}")
        try:
            data = response.json()
            return ChargeResult(provider, str(data["id"]), str(data["status"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise PaymentRejected(f"{provider} payment provider sent an unreadable charge") from exc

    def check(self, provider: str) -> None:
        """Raise unless `provider` answers its health check in time."""
        response = self._client.get(f"{self.urls[provider]}/healthz", timeout=HEALTH_TIMEOUT_S)
        if response.status_code != 200:
            raise ConnectionError(f"{provider} payment provider answered {response.status_code}")
