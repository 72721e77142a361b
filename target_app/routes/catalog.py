"""Catalog: list, search and show products.

The catalog is the hot path, so each handler is `async def` and makes exactly
one worker-thread hop that borrows a pooled connection, reads plain rows and
gives the connection back. A sync handler with a session dependency costs
three hops (session setup, handler, teardown) and builds ORM objects only to
serialise them again.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import Select, select
from starlette.concurrency import run_in_threadpool

from target_app.deps import Shop, ShopDep
from target_app.models import Customer, Product
from target_app.pricing import unit_price
from target_app.releases import summary_of
from target_app.schemas import IdPath, IdQuery, ProductOut

router = APIRouter(prefix="/products", tags=["catalog"])
PRODUCT_COLUMNS = tuple(Product.__table__.c)
RANK_MIN_SCORE = 0.9  # a near-miss this close still ranks
Row = dict[str, Any]


def _rows(shop: Shop, query: Select[Any]) -> list[Row]:
    with shop.catalog_reads.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


@router.get("", response_model=list[ProductOut])
async def list_products(
    shop: ShopDep,
    category: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[Row]:
    query = select(*PRODUCT_COLUMNS).order_by(Product.id).limit(limit).offset(offset)
    if category:
        query = query.where(Product.category == category)
    return await run_in_threadpool(_rows, shop, query)


@router.get("/search", response_model=list[ProductOut])
async def search_products(
    shop: ShopDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Row]:
    if shop.chaos.flags.search_ranking_enabled:
        return await run_in_threadpool(_ranked, shop, q, limit)
    pattern = f"%{q.lower()}%"
    query = (
        select(*PRODUCT_COLUMNS)
        .where(Product.name.ilike(pattern))
        .order_by(Product.id)
        .limit(limit)
    )
    return await run_in_threadpool(_rows, shop, query)


def _ranked(shop: Shop, q: str, limit: int) -> list[Row]:
    """Relevance ranking: every product scored by how closely its name and description
    match the query (so near-misses rank too), best first. Real work per search: it
    is what makes search the shop's most expensive read."""
    words = q.lower()
    scored = []
    for row in _rows(shop, select(*PRODUCT_COLUMNS)):
        name, text = row["name"].lower(), row["description"].lower()
        score = (
            SequenceMatcher(None, words, name).ratio()
            + 0.5 * SequenceMatcher(None, words, text).ratio()
        )
        if words in name or score >= RANK_MIN_SCORE:
            scored.append((-(score + (1.0 if words in name else 0.0)), row["id"], row))
    return [row for *_, row in sorted(scored, key=lambda s: (s[0], s[1]))[:limit]]


def _product_for(shop: Shop, product_id: int, customer_id: int | None) -> Row:
    with shop.catalog_reads.connect() as conn:
        product = conn.execute(select(*PRODUCT_COLUMNS).where(Product.id == product_id))
        row = product.mappings().first()
        if row is None:
            raise HTTPException(404, detail=f"product {product_id} not found")
        out = dict(row)
        if customer_id is not None:
            country = conn.execute(
                select(Customer.country).where(Customer.id == customer_id)
            ).scalar()
            if country is None:
                raise HTTPException(404, detail=f"customer {customer_id} not found")
            out["price_cents"] = unit_price(out["price_cents"], country, shop.settings.app_version)
    if shop.chaos.flags.product_summaries_enabled:
        out["summary"] = summary_of(out["description"])
    return out


@router.get("/{product_id}", response_model=ProductOut, response_model_exclude_none=True)
async def get_product(product_id: IdPath, shop: ShopDep, customer_id: IdQuery = None) -> Row:
    return await run_in_threadpool(_product_for, shop, product_id, customer_id)
