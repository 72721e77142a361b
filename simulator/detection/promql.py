"""The builtin detector's SLIs written as PromQL, for rule files and dashboards.

The route exclusions come from `sli` so the builtin detector and Prometheus
rules measure the same traffic. Prometheus anchors label regexes, so
`route!~"..."` must match the whole route template to exclude it.
"""

from __future__ import annotations

import re

from simulator.detection.sli import EXCLUDED_PREFIXES, EXCLUDED_ROUTES


def excluded_route_regex() -> str:
    """A PromQL label regex matching exactly the routes that are not user traffic."""
    exact = [re.escape(route) for route in sorted(EXCLUDED_ROUTES)]
    prefixes = [re.escape(prefix) + ".*" for prefix in EXCLUDED_PREFIXES]
    return "|".join(exact + prefixes)


def sli_expr(sli: str, window: str = "1m", job: str = "shop") -> str:
    """The PromQL expression of an SLI of SliSample (`error_rate`, `p99_ms`, ...)."""
    user = f'route!~"{excluded_route_regex()}"'
    requests = f"sum(rate(http_requests_total{{{user}}}[{window}]))"
    buckets = f"sum by (le) (rate(http_request_duration_seconds_bucket{{{user}}}[{window}]))"
    expressions = {
        "rps": requests,
        "error_rate": (
            f'sum(rate(http_requests_total{{{user},status=~"5.."}}[{window}])) / {requests}'
        ),
        "p50_ms": f"histogram_quantile(0.5, {buckets}) * 1000",
        "p99_ms": f"histogram_quantile(0.99, {buckets}) * 1000",
        # Prometheus's own scrape is the liveness check there.
        "availability": f'avg_over_time(up{{job="{job}"}}[{window}])',
    }
    if sli not in expressions:
        raise KeyError(f"no PromQL for SLI {sli!r}; known: {', '.join(expressions)}")
    return expressions[sli]
