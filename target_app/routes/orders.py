"""Orders: create (a real write that takes stock), list, show, pay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select

from target_app.deps import SessionDep, ShopDep
from target_app.models import Customer, Order, OrderItem, Payment, Product
from target_app.payments import PaymentRejected, PaymentUnavailable
from target_app.pricing import unit_price
from target_app.schemas import IdPath, IdQuery, OrderIn, OrderOut, PaymentOut

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("", response_model=OrderOut, status_code=201)
def create_order(body: OrderIn, session: SessionDep, shop: ShopDep) -> Order:
    customer = session.get(Customer, body.customer_id)
    if customer is None:
        raise HTTPException(404, detail=f"customer {body.customer_id} not found")
    order = Order(customer_id=customer.id, status="pending", total_cents=0)
    total = 0
    for item in body.items:
        product = session.get(Product, item.product_id)
        if product is None:
            raise HTTPException(404, detail=f"product {item.product_id} not found")
        if product.stock < item.quantity:
            raise HTTPException(409, detail=f"product {product.id} has only {product.stock} left")
        price = unit_price(product.price_cents, customer.country, shop.settings.app_version)
        product.stock -= item.quantity
        order.items.append(
            OrderItem(product_id=product.id, quantity=item.quantity, unit_price_cents=price)
        )
        total += price * item.quantity
    order.total_cents = total
    session.add(order)
    session.commit()
    return order


@router.get("", response_model=list[OrderOut])
def list_orders(
    session: SessionDep,
    customer_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Order]:
    query = select(Order).order_by(Order.id.desc()).limit(limit)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    return list(session.scalars(query))


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: IdPath, session: SessionDep) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise HTTPException(404, detail=f"order {order_id} not found")
    return order


@router.post("/{order_id}/pay", response_model=PaymentOut)
def pay_order(order_id: IdPath, session: SessionDep, shop: ShopDep) -> PaymentOut:
    order = session.get(Order, order_id)
    if order is None:
        raise HTTPException(404, detail=f"order {order_id} not found")
    if order.status == "paid":
        raise HTTPException(409, detail=f"order {order_id} is already paid")
    amount, currency = order.total_cents, order.currency
    # Give the connection back before the network call: a slow provider must not
    # also starve the database pool.
    session.commit()
    provider = shop.chaos.flags.payment_provider
    try:
        result = shop.payments.charge(provider, order_id, amount, currency)
    except PaymentUnavailable as exc:
        shop.metrics.payments.labels(provider, "unavailable").inc()
        raise HTTPException(503, detail=str(exc)) from exc
    except PaymentRejected as exc:
        shop.metrics.payments.labels(provider, "error").inc()
        raise HTTPException(502, detail=str(exc)) from exc
    shop.metrics.payments.labels(provider, result.status).inc()
    order.status = "paid" if result.status == "succeeded" else "payment_failed"
    session.add(
        Payment(
            order_id=order_id,
            provider=provider,
            amount_cents=amount,
            provider_charge_id=result.charge_id,
            status=result.status,
        )
    )
    session.commit()
    if result.status != "succeeded":
        raise HTTPException(402, detail=f"payment {result.status}")
    return PaymentOut(
        order_id=order_id, provider=provider, status=result.status, charge_id=result.charge_id
    )
