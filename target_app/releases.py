"""New features behind feature flags, each shipped with a real bug.

- `storefront_v2` is a new storefront template that prints prices without their
  currency and links a stylesheet its build never produced: the page renders
  wrong while the API and checkout work.
- `product_summaries` adds a summary to each product (the description's first
  sentence, capitalised), which fails on the few products whose description is
  empty: an edge case.
Switching the flag off removes either bug.
"""

from __future__ import annotations

STYLESHEET = "/static/shop.css"


def summary_of(description: str) -> str:
    """The description's first sentence with a capital letter."""
    first = description.split(".")[0].strip()
    return first[0].upper() + first[1:]  # IndexError on an empty description: the bug


def storefront_price(price_cents: int, currency: str, v2: bool) -> str:
    """A price as the storefront prints it."""
    amount = f"{price_cents / 100:.2f}"
    if v2:
        return amount  # the v2 template dropped the currency
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def stylesheet_href(v2: bool) -> str:
    # v2 links a file its build never produced: the page loads unstyled.
    return "/static/shop-v2.css" if v2 else STYLESHEET
