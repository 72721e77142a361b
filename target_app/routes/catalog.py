"""Catalog: list, search and show products."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from target_app.deps import SessionDep, ShopDep
from target_app.models import Customer, Product
from target_app.pricing import unit_price
from target_app.schemas import IdPath, IdQuery, ProductOut

router = APIRouter(prefix="/products", tags=["catalog"])


@router.get("", response_model=list[ProductOut])
def list_products(
    session: SessionDep,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Product]:
    query = select(Product).order_by(Product.id).limit(limit).offset(offset)
    if category:
        query = query.where(Product.category == category)
    return list(session.scalars(query))


@router.get("/search", response_model=list[ProductOut])
def search_products(
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Product]:
    pattern = f"%{q.lower()}%"
    query = select(Product).where(Product.name.ilike(pattern)).order_by(Product.id).limit(limit)
    return list(session.scalars(query))


@router.get("/{product_id}", response_model=ProductOut)
def get_product(
    product_id: IdPath,
    session: SessionDep,
    shop: ShopDep,
    customer_id: IdQuery = None,
) -> ProductOut:
    product = session.get(Product, product_id)
    if product is None:
        raise HTTPException(404, detail=f"product {product_id} not found")
    out = ProductOut.model_validate(product)
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise HTTPException(404, detail=f"customer {customer_id} not found")
        out.price_cents = unit_price(
            product.price_cents, customer.country, shop.settings.app_version
        )
    return out
