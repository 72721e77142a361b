"""Who and what is affected: the customers behind the failing requests, and the
storefront page as a browser would load it (a synthetic HTML check).

Both read the target the way support staff or a synthetic monitor would: the
shop's access log, the customers table of its database, its HTML page and the
stylesheets that page links.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import psycopg

from simulator.drill.accesslog import access_log
from simulator.env.http import client
from simulator.env.state import EnvState

PRICE = re.compile(r'<span class="price">([^<]*)</span>')
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')
WITH_CURRENCY = re.compile(r"^[$€£]\s?\d|\d\s?[A-Z]{3}$")


def customer_of(entry: dict[str, Any]) -> int | None:
    """The customer a request was made for, where the request names one."""
    query = parse_qs(str(entry.get("query") or ""))
    if "customer_id" in query and query["customer_id"][0].isdigit():
        return int(query["customer_id"][0])
    path = str(entry.get("path") or "")
    if path.startswith("/recommendations/") and path.rsplit("/", 1)[-1].isdigit():
        return int(path.rsplit("/", 1)[-1])
    return None


def countries(state: EnvState, ids: set[int]) -> dict[int, str]:
    """The customers' countries, read from the shop's database."""
    if not ids:
        return {}
    marks = ",".join(str(int(i)) for i in sorted(ids))  # ints only: safe to inline
    sql = f"SELECT id, country FROM customers WHERE id IN ({marks})"
    try:
        if state.database_kind == "postgres":
            url = (state.database_direct_url or state.database_url).replace(
                "postgresql+psycopg://", "postgresql://"
            )
            with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
                rows = conn.execute(sql).fetchall()
        else:
            db_file = Path(state.database_url.removeprefix("sqlite:///")).resolve()
            # closing(): sqlite3's own context manager commits but never closes, and a
            # file left open by us would look like a lock holder to the responder.
            with closing(sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=1)) as conn:
                rows = conn.execute(sql).fetchall()
    except (psycopg.Error, sqlite3.Error):
        return {}
    return {int(r[0]): str(r[1]) for r in rows}


def customers(state: EnvState, window_s: float = 20.0) -> dict[str, Any]:
    """Customers seen in the window's requests, those who got a 5xx, and the
    countries of both: is it everyone, a segment, or a few?"""
    seen: set[int] = set()
    failing: set[int] = set()
    for entry in access_log(state, time.time() - window_s):
        if entry.get("logger") != "shop.access":
            continue
        who = customer_of(entry)
        if who is None:
            continue
        seen.add(who)
        if int(entry.get("status", 0)) >= 500:
            failing.add(who)
    country = countries(state, seen)
    seen_by = Counter(country.get(c, "?") for c in seen)
    failing_by = Counter(country.get(c, "?") for c in failing)
    return {
        "window_s": window_s,
        "customers_seen": len(seen),
        "customers_with_errors": len(failing),
        "share_with_errors": round(len(failing) / len(seen), 3) if seen else 0.0,
        "with_errors_by_country": dict(sorted(failing_by.items())),
        "share_with_errors_by_country": {
            c: round(failing_by.get(c, 0) / n, 3) for c, n in sorted(seen_by.items())
        },
    }


def check_storefront(base_url: str) -> dict[str, Any]:
    """Load the storefront page and what it links, and check what a customer would see."""
    start = time.perf_counter()
    http = client()
    try:
        page = http.get(f"{base_url}/", timeout=2.0)
    except httpx.HTTPError as exc:
        return {"ok": False, "problems": [f"the storefront did not load ({type(exc).__name__})"]}
    problems = []
    if page.status_code != 200:
        problems.append(f"the storefront answered HTTP {page.status_code}")
    prices = PRICE.findall(page.text)
    bare = [p for p in prices if not WITH_CURRENCY.search(p.strip())]
    if bare:
        problems.append(
            f"{len(bare)} of {len(prices)} prices are shown without a currency (e.g. {bare[0]!r})"
        )
    sheets: dict[str, int | None] = {}
    for href in STYLESHEET.findall(page.text):
        try:
            sheets[href] = http.get(f"{base_url}{href}", timeout=2.0).status_code
        except httpx.HTTPError:
            sheets[href] = None
        if sheets[href] != 200:
            problems.append(f"the stylesheet {href} does not load (HTTP {sheets[href]})")
    return {
        "ok": not problems,
        "status": page.status_code,
        "ms": round((time.perf_counter() - start) * 1000),
        "prices_checked": len(prices),
        "stylesheets": sheets,
        "problems": problems,
    }


def storefront(state: EnvState) -> dict[str, Any]:
    """The synthetic HTML check of the storefront, run now."""
    return check_storefront(state.shop.url)
