"""The provider's API: charge, look up a charge, health."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field


class ChargeIn(BaseModel):
    order_id: int
    amount_cents: int = Field(gt=0)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    idempotency_key: str = Field(min_length=1, max_length=100)


def create_provider_app(name: str = "primary") -> FastAPI:
    """`name` tells primary and backup apart in every answer."""
    app = FastAPI(title=f"payment provider ({name})")
    charges: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "provider": name}

    @app.post("/v1/charges")
    def charge(body: ChargeIn) -> dict[str, Any]:
        with lock:
            if body.idempotency_key in charges:
                return charges[body.idempotency_key]
            digest = hashlib.sha256(f"{name}:{body.idempotency_key}".encode()).hexdigest()
            # A small, deterministic share of cards is declined, as in real life.
            status = "declined" if body.amount_cents % 97 == 0 else "succeeded"
            record = {
                "id": f"ch_{digest[:24]}",
                "status": status,
                "provider": name,
                "amount_cents": body.amount_cents,
                "currency": body.currency,
            }
            charges[body.idempotency_key] = record
            return record

    @app.get("/v1/charges/{charge_id}")
    def get_charge(charge_id: str) -> dict[str, Any]:
        with lock:
            for record in charges.values():
                if record["id"] == charge_id:
                    return record
        raise HTTPException(404, detail=f"charge {charge_id} not found")

    return app
