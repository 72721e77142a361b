"""Deterministic demo data: the same seed always yields the same shop."""

from __future__ import annotations

import random

from faker import Faker
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from target_app.models import Base, Customer, Product

CATEGORIES = ("books", "games", "garden", "kitchen", "music", "outdoor", "tools", "toys")
# Countries customers live in; `pricing.REGIONAL_MULTIPLIERS` knows only some of them.
NOUNS = ("lamp", "kit", "set", "guide", "board", "mug", "kettle", "drill", "rake", "album")
COUNTRIES = ("US", "GB", "DE", "FR", "NL", "SE", "BR", "IN", "JP", "ZA")
# Every 67th product has no description yet (an edge case real catalogs have).
NO_DESCRIPTION_EVERY = 67


def prepare_database(
    engine: Engine, *, seed: int, products: int, customers: int, reset: bool = False
) -> None:
    """Create the schema and seed it once; an existing shop is left as it is."""
    if reset:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        if session.scalar(select(func.count()).select_from(Product)):
            return
        seed_shop(session, seed=seed, products=products, customers=customers)
        session.commit()
        if engine.dialect.name == "postgresql":
            _advance_sequences(session)
            session.commit()


def _advance_sequences(session: Session) -> None:
    # The seed inserts explicit ids (products 1..N are part of the contract);
    # PostgreSQL's sequences do not see them, so the next new row would collide.
    for table in (Product.__tablename__, Customer.__tablename__):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )


def _description(sentence: str, product_id: int) -> str:
    # The sentence is drawn either way, so the rest of the seeded data never shifts.
    return "" if product_id % NO_DESCRIPTION_EVERY == 0 else sentence


def seed_shop(session: Session, *, seed: int, products: int, customers: int) -> None:
    """Add `products` products and `customers` customers, derived only from `seed`."""
    fake = Faker()
    fake.seed_instance(seed)
    rng = random.Random(seed)
    for i in range(1, products + 1):
        session.add(
            Product(
                id=i,
                sku=f"SKU-{i:05d}",
                name=f"{fake.color_name()} {fake.word().title()} {rng.choice(NOUNS)}",
                description=_description(fake.sentence(nb_words=12), i),
                category=rng.choice(CATEGORIES),
                price_cents=rng.randint(199, 19999),
                stock=rng.randint(1_000, 100_000),
            )
        )
    for i in range(1, customers + 1):
        session.add(
            Customer(
                id=i,
                name=fake.name(),
                email=f"customer{i}@{fake.domain_name()}",
                country=rng.choice(COUNTRIES),
            )
        )
