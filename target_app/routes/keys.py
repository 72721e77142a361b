"""Token-protected, loopback-only credential controls: keys, deny list, canary record."""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import delete, func, select
from starlette.concurrency import run_in_threadpool

from target_app.deps import Shop, ShopDep, require_chaos_token
from target_app.keys import CANARY_EMAIL_DOMAIN, UnknownKey
from target_app.models import Customer

router = APIRouter(
    prefix="/admin", tags=["credentials"], dependencies=[Depends(require_chaos_token)]
)


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str = Field(min_length=1, max_length=60)


class BlockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str

    @field_validator("address")
    @classmethod
    def _is_address(cls, value: str) -> str:
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address (e.g. 127.0.0.2)") from None


@router.get("/keys")
async def list_keys(shop: ShopDep) -> dict[str, Any]:
    return {"keys": await run_in_threadpool(shop.keys.rows)}


@router.post("/keys/{key_id}/revoke")
async def revoke_key(key_id: str, shop: ShopDep) -> dict[str, Any]:
    try:
        record = await run_in_threadpool(shop.keys.revoke, key_id)
    except UnknownKey as exc:
        raise HTTPException(404, detail=str(exc)) from None
    return {"revoked": record.id, "owner": record.owner}


@router.post("/keys/rotate")
async def rotate_keys(body: RotateIn, shop: ShopDep) -> dict[str, Any]:
    try:
        fresh = await run_in_threadpool(shop.keys.rotate, body.owner)
    except UnknownKey as exc:
        raise HTTPException(404, detail=str(exc)) from None
    # The new secrets are shown once, to the operator who rotated them.
    return {"owner": body.owner, "rotated": fresh}


@router.get("/blocks")
async def list_blocks(shop: ShopDep) -> dict[str, Any]:
    return {"blocked": shop.keys.blocked()}


@router.post("/blocks")
async def block_client(body: BlockIn, shop: ShopDep) -> dict[str, Any]:
    await run_in_threadpool(shop.keys.block, body.address)
    return {"blocked": shop.keys.blocked()}


@router.delete("/blocks/{address}")
async def unblock_client(address: str, shop: ShopDep) -> dict[str, Any]:
    was = await run_in_threadpool(shop.keys.unblock, address)
    return {"was_blocked": was, "blocked": shop.keys.blocked()}


def _plant(shop: Shop, label: str) -> int:
    with shop.sessions() as session:
        record = Customer(
            id=(session.scalar(select(func.max(Customer.id))) or 0) + 1,
            name=f"[DRILL] Canary {label}",
            email=f"{label}@{CANARY_EMAIL_DOMAIN}",
            country="US",
        )
        session.add(record)
        session.commit()
        return record.id


def _remove(shop: Shop) -> int:
    with shop.sessions() as session:
        canaries = Customer.email.endswith("@" + CANARY_EMAIL_DOMAIN)
        gone = len(list(session.scalars(select(Customer.id).where(canaries))))
        session.execute(delete(Customer).where(canaries))
        session.commit()
        return gone


@router.put("/canary-record/{label}")
async def plant_canary(label: str, shop: ShopDep) -> dict[str, Any]:
    """Plant a canary customer record (after every real one); no legitimate client reads it."""
    if not label.isalnum() or len(label) > 40:
        raise HTTPException(422, detail="a canary label is 1-40 letters or digits")
    return {"customer_id": await run_in_threadpool(_plant, shop, label)}


@router.delete("/canary-record")
async def remove_canaries(shop: ShopDep) -> dict[str, int]:
    return {"removed": await run_in_threadpool(_remove, shop)}
