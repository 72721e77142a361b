"""The one feature-route table (simulator/remediation/table.py) matches the shop.

The engine never imports the shop (it talks to it as an operator would), so the
table is kept in the simulator and this test holds it to the shop's routers.
"""

from __future__ import annotations

import importlib

from fastapi.routing import APIRoute

from simulator.remediation.table import FEATURE_ROUTES, ends
from target_app.routes import catalog, chaos, customers, health, orders

OTHER_ROUTERS = (catalog, chaos, customers, health, orders)


def test_each_feature_is_a_shop_router_and_owns_exactly_its_routes() -> None:
    for feature, prefixes in FEATURE_ROUTES.items():
        router = importlib.import_module(f"target_app.routes.{feature}").router
        paths = [route.path for route in router.routes if isinstance(route, APIRoute)]
        assert paths and all(path.startswith(prefixes) for path in paths)
        assert prefixes == (router.prefix,)
        for other in OTHER_ROUTERS:
            for route in other.router.routes:
                assert not getattr(route, "path", "").startswith(prefixes), (feature, route)


def test_disabling_a_feature_ends_only_faults_inside_its_routes() -> None:
    inside = {"routes": ["/recommendations/{customer_id}"]}
    mixed = {"routes": ["/recommendations/{customer_id}", "/orders"]}
    assert ends("feature.disable", "recommendations", "app.error_rate", inside, "app")
    assert not ends("feature.disable", "recommendations", "app.error_rate", mixed, "app")
