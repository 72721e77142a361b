"""The five triage faults (issue 16) seen from outside, each in its playbook band.

A plain httpx client measures what a customer would: the slowdown ratio of a
route against its own unharmed latency (blocks of requests with and without the
fault, interleaved, so a busy machine drifts both alike), the failing segment,
the few failing products, the broken storefront page. Each fault is then shown
to survive a wrong fix and to end with the right one, as its scenario says.
The measured figures are printed (pytest -s) for the README's table.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.faults.manager import FaultManager
from simulator.remediation.apply import apply
from tests.integration.faults_env import current, eventually, healthy

pytestmark = pytest.mark.integration

TTL_S = 60.0
BLOCK = 15  # requests per block
CYCLES = 7  # pairs of blocks without and with the fault
BAND_P2 = (1.20, 1.50)  # performance degraded by 20-50 %
BAND_P1 = 1.50  # degraded by more than 50 %


@pytest.fixture
def faults(env_dir: Path) -> Iterator[FaultManager]:
    manager = FaultManager(env_dir)
    assert eventually(lambda: healthy(env_dir), 20)
    yield manager
    manager.revert_all(reason="teardown")
    assert eventually(lambda: healthy(env_dir), 20)


def shop(env_dir: Path) -> str:
    return current(env_dir).shop.url


def timed_ms(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    client.get(url, timeout=5.0).raise_for_status()
    return (time.perf_counter() - start) * 1000


def median_ms(client: httpx.Client, url: str, n: int = BLOCK) -> float:
    return statistics.median(timed_ms(client, url) for _ in range(n))


def net_ms(client: httpx.Client, url: str, floor_url: str) -> float:
    """The route's own time: its median minus the median of a request that does no work
    (`/healthz`, never slowed), so what every request costs on a loaded machine (the
    client's own turn on the CPU, the server's queue) does not water the ratio down."""
    return max(1.0, median_ms(client, url) - median_ms(client, floor_url))


def slowdown(faults: FaultManager, url: str, params: dict[str, object]) -> float:
    """How many times slower `url` is with the fault than without: short blocks with
    and without it, alternating, each pair a ratio (whatever else loads the machine
    drifts slowly, so it weighs on both blocks of a pair alike); the median pair."""
    ratios = []
    floor = url.split("/", 3)[0] + "//" + url.split("/", 3)[2] + "/healthz"
    with httpx.Client() as client:
        median_ms(client, url, 10)  # warm the connection and the route
        for _ in range(CYCLES):
            before = net_ms(client, url, floor)
            entry = faults.inject("app.latency", params, TTL_S)
            during = net_ms(client, url, floor)
            faults.revert(entry.id, "operator")
            ratios.append(during / before)
    return statistics.median(ratios)


# A ratio of latencies seen from outside: measured alone, on a machine the suite does
# not load (`make test-all` runs the quiet tests after the parallel part).
@pytest.mark.quiet
def test_slow_search_is_degraded_20_to_50_percent_and_only_its_flag_fixes_it(
    env_dir: Path, faults: FaultManager
) -> None:
    url = f"{shop(env_dir)}/products/search?q=lamp"
    params = {"factor": 1.35, "routes": ["/products/search"]}
    measured = slowdown(faults, url, params)
    print(f"\nslow-search: search {100 * (measured - 1):.0f} % slower (factor 1.35)")
    assert BAND_P2[0] <= measured <= BAND_P2[1]
    entry = faults.inject("app.latency", params, TTL_S)
    wrong = apply(env_dir, "service.scale_up")  # more capacity does not fix one slow path
    assert entry.id not in {e.id for e in wrong.ended}
    assert eventually(lambda: healthy(env_dir), 20)
    assert (
        "slowdown"
        in httpx.get(
            f"{shop(env_dir)}/chaos",
            headers={"X-Chaos-Token": current(env_dir).chaos_token},
        ).json()
    )
    right = apply(env_dir, "feature.disable", "search_ranking")
    assert entry.id in {e.id for e in right.ended}
    assert (
        "slowdown"
        not in httpx.get(
            f"{shop(env_dir)}/chaos", headers={"X-Chaos-Token": current(env_dir).chaos_token}
        ).json()
    )


# A ratio of latencies seen from outside: measured alone, on a machine the suite does
# not load (`make test-all` runs the quiet tests after the parallel part).
@pytest.mark.quiet
def test_slow_site_is_degraded_over_50_percent_and_scaling_up_fixes_it(
    env_dir: Path, faults: FaultManager
) -> None:
    base_url = shop(env_dir)
    figures = {
        path: slowdown(faults, f"{base_url}{path}", {"factor": 2.5})
        for path in ("/products?limit=20", "/products/search?q=lamp", "/products/7")
    }
    print(
        "\nslow-site: "
        + ", ".join(f"{p} {100 * (r - 1):.0f} % slower" for p, r in figures.items())
        + " (factor 2.5)"
    )
    assert all(r > BAND_P1 for r in figures.values())
    entry = faults.inject("app.latency", {"factor": 2.5}, TTL_S)
    wrong = apply(env_dir, "feature.disable", "search_ranking")
    assert entry.id not in {e.id for e in wrong.ended}
    right = apply(env_dir, "service.scale_up")
    assert entry.id in {e.id for e in right.ended}
    assert eventually(lambda: healthy(env_dir), 20)
    assert (
        "slowdown"
        not in httpx.get(
            f"{shop(env_dir)}/chaos",
            headers={"X-Chaos-Token": current(env_dir).chaos_token},
        ).json()
    )


def failing_customers(base_url: str, customers: range) -> tuple[set[int], dict[int, str]]:
    with httpx.Client() as client:
        country = {c: client.get(f"{base_url}/customers/{c}").json()["country"] for c in customers}
        failing = {
            c
            for c in customers
            if client.get(f"{base_url}/products/{1 + c % 50}?customer_id={c}").status_code >= 500
        }
    return failing, country


def test_segment_errors_fail_exactly_one_country_and_a_rollback_fixes_it(
    env_dir: Path, faults: FaultManager
) -> None:
    customers = range(1, 81)
    entry = faults.inject("deploy.bad_release", {"version": "1.3.0"}, TTL_S)
    assert eventually(lambda: healthy(env_dir), 20)
    failing, country = failing_customers(shop(env_dir), customers)
    japan = {c for c in customers if country[c] == "JP"}
    print(
        f"\nsegment-errors: {len(failing)} of {len(customers)} customers fail"
        f" ({100 * len(failing) / len(customers):.0f} %), all from JP; every JP customer fails"
    )
    assert failing == japan and 0 < len(failing) < len(customers) / 2
    wrong = apply(env_dir, "service.restart")
    assert entry.id not in {e.id for e in wrong.ended}
    assert eventually(lambda: healthy(env_dir), 20)
    assert failing_customers(shop(env_dir), range(1, 21))[0] == {c for c in japan if c <= 20}
    right = apply(env_dir, "deploy.rollback")
    assert entry.id in {e.id for e in right.ended}
    assert eventually(lambda: healthy(env_dir), 20)
    assert failing_customers(shop(env_dir), customers)[0] == set()


def failing_products(base_url: str) -> set[int]:
    with httpx.Client() as client:
        return {
            p for p in range(1, 201) if client.get(f"{base_url}/products/{p}").status_code >= 500
        }


def test_the_edge_case_fails_two_products_of_200_and_only_its_flag_fixes_it(
    env_dir: Path, faults: FaultManager
) -> None:
    entry = faults.inject("feature.enable", {"feature": "product_summaries"}, TTL_S)
    failing = failing_products(shop(env_dir))
    print(f"\nedge-case-bug: {len(failing)} of 200 product pages fail ({sorted(failing)})")
    assert failing == {67, 134}  # the products with an empty description
    wrong = apply(env_dir, "service.restart")
    assert entry.id not in {e.id for e in wrong.ended}
    assert eventually(lambda: healthy(env_dir), 20)
    assert failing_products(shop(env_dir)) == {67, 134}
    right = apply(env_dir, "feature.disable", "product_summaries")
    assert entry.id in {e.id for e in right.ended}
    assert failing_products(shop(env_dir)) == set()


def storefront(base_url: str) -> tuple[int, int, int]:
    """(prices shown, prices without a currency, HTTP status of the linked stylesheet)."""
    page = httpx.get(f"{base_url}/", timeout=5.0)
    prices = re.findall(r'<span class="price">([^<]*)</span>', page.text)
    bare = [p for p in prices if not re.match(r"^[$€£]", p)]
    (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    return len(prices), len(bare), httpx.get(f"{base_url}{href}", timeout=5.0).status_code


def test_the_ui_glitch_breaks_the_page_not_the_api_and_only_its_flag_fixes_it(
    env_dir: Path, faults: FaultManager
) -> None:
    base_url = shop(env_dir)
    assert storefront(base_url)[1:] == (0, 200)
    entry = faults.inject("feature.enable", {"feature": "storefront_v2"}, TTL_S)
    shown, bare, css = storefront(base_url)
    print(f"\nui-glitch: {bare} of {shown} prices without currency, stylesheet HTTP {css}")
    assert (bare, css) == (shown, 404) and shown > 0
    order = {"customer_id": 1, "items": [{"product_id": 2, "quantity": 1}]}
    assert httpx.get(f"{base_url}/products?limit=5").status_code == 200  # the API works
    assert httpx.post(f"{base_url}/orders", json=order).status_code == 201
    wrong = apply(env_dir, "service.restart")
    assert entry.id not in {e.id for e in wrong.ended}
    assert eventually(lambda: healthy(env_dir), 20)
    assert storefront(shop(env_dir))[1:] == (shown, 404)
    right = apply(env_dir, "feature.disable", "storefront_v2")
    assert entry.id in {e.id for e in right.ended}
    assert storefront(shop(env_dir))[1:] == (0, 200)
