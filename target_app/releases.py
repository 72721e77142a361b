"""What other releases change besides prices (`pricing.py`): real bugs a release ships.

- 1.4.0 shipped a new storefront template that prints prices without their currency
  and links a stylesheet that was never deployed: the page renders wrong while the
  API and checkout work.
- 1.5.0 added product summaries (the description's first sentence, capitalised),
  which fail on the few products whose description is empty: an edge case.
Rolling back to an earlier release removes either bug.
"""

from __future__ import annotations

STOREFRONT_BUG_RELEASES = frozenset({"1.4.0"})
SUMMARY_RELEASES = frozenset({"1.5.0"})
STYLESHEET = "/static/shop.css"


def has_summaries(version: str) -> bool:
    return version in SUMMARY_RELEASES


def summary_of(description: str) -> str:
    """The description's first sentence with a capital letter."""
    first = description.split(".")[0].strip()
    return first[0].upper() + first[1:]  # IndexError on an empty description: the 1.5.0 bug


def storefront_price(price_cents: int, currency: str, version: str) -> str:
    """A price as the storefront prints it."""
    amount = f"{price_cents / 100:.2f}"
    if version in STOREFRONT_BUG_RELEASES:
        return amount  # the 1.4.0 template dropped the currency
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def stylesheet_href(version: str) -> str:
    # 1.4.0 links a file its build never produced: the page loads unstyled.
    return "/static/shop-1.4.0.css" if version in STOREFRONT_BUG_RELEASES else STYLESHEET
