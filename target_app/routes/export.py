"""The customer export: a partner integration pages through every customer.

Needs an API key with the `customers:export` scope. Each page is counted per
key (`customer_export_rows_total`), and a page that holds a canary record counts
as a canary use (`canary_token_used_total{token="record"}`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from target_app.auth import audit_of, require_scope
from target_app.deps import Shop, ShopDep
from target_app.keys import CANARY_EMAIL_DOMAIN, KeyRecord
from target_app.models import Customer

router = APIRouter(prefix="/admin/customers", tags=["export"])
MAX_PAGE = 100


def _page(shop: Shop, after_id: int, limit: int) -> list[dict[str, Any]]:
    query = (
        select(Customer.id, Customer.name, Customer.email, Customer.country)
        .where(Customer.id > after_id)
        .order_by(Customer.id)
        .limit(limit)
    )
    with shop.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


@router.get("/export")
async def export_customers(
    request: Request,
    shop: ShopDep,
    key: Annotated[KeyRecord, Depends(require_scope("customers:export"))],
    after_id: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> dict[str, Any]:
    rows = await run_in_threadpool(_page, shop, after_id, limit)
    await run_in_threadpool(shop.keys.touch, key.id)
    audit = audit_of(request.scope)
    if audit is not None:
        audit["rows"] = len(rows)
    shop.metrics.export_rows.labels(key_id=key.id).inc(len(rows))
    if any(str(r["email"]).endswith("@" + CANARY_EMAIL_DOMAIN) for r in rows):
        shop.metrics.canary.labels(token="record").inc()
    return {"customers": rows, "next_after_id": rows[-1]["id"] if len(rows) == limit else None}
