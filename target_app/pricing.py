"""Prices as each release computes them.

Release 1.1.0 introduced regional pricing with a lookup table that misses some
of the countries our customers live in: a real bug that raises for those
customers, which is what the `deploy.bad_release` fault ships. Release 1.3.0
fails for Japanese customers only (a segment). Other releases behave correctly.
"""

from __future__ import annotations

REGIONAL_MULTIPLIERS = {"US": 1.0, "GB": 1.05, "DE": 1.08, "FR": 1.08, "NL": 1.07, "SE": 1.1}
FALLBACK_MULTIPLIER = 1.0
BUGGY_RELEASES = frozenset({"1.1.0"})
# 1.3.0 added the missing countries but keyed Japan as "JA" (its language code), so
# only customers from Japan hit the bug: one segment fails, everyone else is fine.
SEGMENT_BUG_RELEASES = frozenset({"1.3.0"})
MULTIPLIERS_1_3_0 = {**REGIONAL_MULTIPLIERS, "BR": 1.0, "IN": 1.0, "JA": 1.0, "ZA": 1.0}


def _parse(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in version.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def has_regional_pricing(version: str) -> bool:
    return _parse(version) >= (1, 1, 0)


def unit_price(price_cents: int, country: str | None, version: str) -> int:
    """The price a customer from `country` pays under release `version`."""
    if country is None or not has_regional_pricing(version):
        return price_cents
    if version in BUGGY_RELEASES:
        multiplier = REGIONAL_MULTIPLIERS[country]  # KeyError for BR, IN, JP, ZA
    elif version in SEGMENT_BUG_RELEASES:
        multiplier = MULTIPLIERS_1_3_0[country]  # KeyError for JP only
    else:
        multiplier = REGIONAL_MULTIPLIERS.get(country, FALLBACK_MULTIPLIER)
    return round(price_cents * multiplier)
