"""The storefront: the HTML page customers' browsers load, and its stylesheet.

Not behind the API's chaos gate (it is the front end, not the API); a slowdown
of the whole site still reaches it through the middleware.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from target_app.deps import Shop, ShopDep
from target_app.models import Product
from target_app.releases import STYLESHEET, storefront_price, stylesheet_href

router = APIRouter(tags=["storefront"])
FEATURED = 12
CSS = "body{font-family:sans-serif;margin:2em}.price{font-weight:bold}li{margin:.3em 0}\n"


def _featured(shop: Shop) -> list[tuple[int, str, int, str]]:
    query = select(Product.id, Product.name, Product.price_cents, Product.currency)
    with shop.engine.connect() as conn:
        rows = conn.execute(query.order_by(Product.id).limit(FEATURED)).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


@router.get("/", response_class=HTMLResponse)
async def storefront(shop: ShopDep) -> HTMLResponse:
    v2 = shop.chaos.flags.storefront_v2_enabled
    items = "".join(
        f'<li data-product="{pid}">{escape(name)} '
        f'<span class="price">{escape(storefront_price(cents, currency, v2))}</span></li>'
        for pid, name, cents, currency in await run_in_threadpool(_featured, shop)
    )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>'
        f'<link rel="stylesheet" href="{stylesheet_href(v2)}"></head>'
        f"<body><h1>Featured products</h1><ul>{items}</ul></body></html>"
    )
    return HTMLResponse(page)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    if f"/static/{name}" != STYLESHEET:
        raise HTTPException(404, detail=f"no static file {name}")
    return Response(CSS, media_type="text/css")
