"""Recommendations: a non-critical feature served from an in-process cache."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from target_app.deps import SessionDep, ShopDep
from target_app.models import Customer, Product
from target_app.pricing import unit_price
from target_app.schemas import IdPath
from target_app.seed import CATEGORIES

router = APIRouter(prefix="/recommendations", tags=["recommendations"])


@router.get("/{customer_id}")
def recommendations(customer_id: IdPath, session: SessionDep, shop: ShopDep) -> dict[str, Any]:
    if not shop.chaos.flags.recommendations_enabled:
        return {"customer_id": customer_id, "items": [], "disabled": True}
    cached = shop.cache.get(customer_id)
    if cached is not None:
        return {"customer_id": customer_id, "items": cached, "cached": True}
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise HTTPException(404, detail=f"customer {customer_id} not found")
    category = CATEGORIES[customer_id % len(CATEGORIES)]
    query = (
        select(Product).where(Product.category == category).order_by(Product.stock.desc()).limit(5)
    )
    items = [
        {
            "product_id": p.id,
            "name": p.name,
            "price_cents": unit_price(p.price_cents, customer.country, shop.settings.app_version),
        }
        for p in session.scalars(query)
    ]
    shop.cache.put(customer_id, items)
    return {"customer_id": customer_id, "items": items, "cached": False}
