"""Customers: create and show."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from target_app.deps import SessionDep
from target_app.models import Customer
from target_app.schemas import CustomerIn, CustomerOut, IdPath

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: IdPath, session: SessionDep) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise HTTPException(404, detail=f"customer {customer_id} not found")
    return customer


@router.post("", response_model=CustomerOut, status_code=201)
def create_customer(body: CustomerIn, session: SessionDep) -> Customer:
    if session.scalar(select(Customer.id).where(Customer.email == body.email)) is not None:
        raise HTTPException(409, detail=f"a customer with email {body.email} exists")
    customer = Customer(name=body.name, email=body.email, country=body.country)
    session.add(customer)
    session.commit()
    return customer
