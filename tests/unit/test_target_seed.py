"""The demo data is a pure function of the seed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session

from target_app.models import Customer, Product
from target_app.seed import prepare_database


def _shop_rows(path: Path, seed: int, *, reset: bool = False) -> list[tuple[Any, ...]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        prepare_database(engine, seed=seed, products=50, customers=40, reset=reset)
        with Session(engine) as session:
            products = session.execute(
                select(Product.id, Product.name, Product.category, Product.price_cents)
            ).all()
            customers = session.execute(
                select(Customer.id, Customer.name, Customer.email, Customer.country)
            ).all()
        return [tuple(r) for r in products] + [tuple(r) for r in customers]
    finally:
        engine.dispose()


def test_same_seed_same_shop(tmp_path: Path) -> None:
    first = _shop_rows(tmp_path / "a.db", seed=7)
    second = _shop_rows(tmp_path / "b.db", seed=7)
    assert first == second
    assert [r[0] for r in first[:50]] == list(range(1, 51))
    assert [r[0] for r in first[50:]] == list(range(1, 41))


def test_different_seed_different_shop(tmp_path: Path) -> None:
    first = _shop_rows(tmp_path / "a.db", seed=7)
    other = _shop_rows(tmp_path / "b.db", seed=8)
    differing = sum(1 for a, b in zip(first, other, strict=True) if a[1:] != b[1:])
    assert differing > len(first) * 0.9


def test_existing_shop_is_kept_and_reset_reseeds(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    seeded = _shop_rows(path, seed=7)
    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        session.execute(update(Product).where(Product.id == 1).values(name="changed"))
        session.commit()
    engine.dispose()
    assert _shop_rows(path, seed=7)[0][1] == "changed"
    assert _shop_rows(path, seed=7, reset=True) == seeded
