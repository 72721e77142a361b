"""Request and response bodies of the shop API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

# Ids fit PostgreSQL's `integer`; a bigger one is a client error (422), not a 500.
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class ProductOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    sku: str
    name: str
    description: str
    category: str
    price_cents: int
    currency: str
    stock: int
    summary: str | None = None  # releases with product summaries only


class CustomerIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$")


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    email: str
    country: str


class OrderItemIn(BaseModel):
    product_id: Id
    quantity: int = Field(gt=0, le=100)


class OrderIn(BaseModel):
    customer_id: Id
    items: list[OrderItemIn] = Field(min_length=1, max_length=20)


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    status: str
    total_cents: int
    currency: str
    created_at: datetime
    items: list[OrderItemOut]


class PaymentOut(BaseModel):
    order_id: int
    provider: str
    status: str
    charge_id: str | None
