"""Which PromQL a drill on a cluster queries for its SLIs, and whether the team's
Prometheus can answer it.

A team's own service does not export the shop's metrics, so the team names its own
queries: in the scenario (`target: {..., slis: {rps: '...', ...}}`) and/or in a file
(`--sli-queries FILE`, the same mapping). Per SLI the scenario wins, then the file,
then the shop's query (`default_queries`). Each query keeps where it came from, so a
problem is one sentence naming the file, line and field to fix.

`precheck` runs at the command, before anything is created: every query parses, and
for a team's Deployment, which runs already, answers a series. `check` runs again when
the drill starts its detector (the environment is up), before anything is injected: one
that does not parse is refused at once; one that answers no series (a wrong metric
name, or no traffic yet) is asked again for a bounded time (a shop the drill has just
deployed has no series yet) and then refused, rather than leaving that SLI unknown
for the whole drill.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from scoring.playbook import LocatedYaml, describe_validation_error, load_located_yaml
from simulator.detection.promql import sli_expr
from simulator.prometheus.errors import PrometheusError
from simulator.scenario.model import Scenario, SliQueries

__all__ = [
    "SLI_NAMES",
    "SliQuery",
    "check",
    "default_queries",
    "load_sli_file",
    "precheck",
    "resolve",
]

SLI_NAMES = ("rps", "error_rate", "p50_ms", "p99_ms", "availability")
TIMEOUT_S = 5.0  # one query
# How long a query may answer no series before the drill is refused: a shop deployed a
# moment ago needs a scrape or two; the engine waits here (its setup is synchronous).
SERIES_WAIT_S = 30.0
RETRY_S = 2.0
DEFAULT = "default"


@dataclass(frozen=True)
class SliQuery:
    sli: str
    expr: str
    origin: str  # where it was named: `file:line: field`, or DEFAULT

    @property
    def default(self) -> bool:
        return self.origin == DEFAULT

    @property
    def where(self) -> str:
        return f"slis.{self.sli} (the shop's default)" if self.default else self.origin


def default_queries(job: str = "shop", window: str = "1m") -> dict[str, str]:
    """The shop's SLIs as the builtin detector measures them. The error rate answers 0
    when nothing failed: the 5xx series exists only after the first error."""
    queries = {sli: sli_expr(sli, window, job) for sli in SLI_NAMES}
    errors, requests = queries["error_rate"].split(" / ")
    queries["error_rate"] = f"({errors} or vector(0)) / {requests}"
    return queries


def load_sli_file(path: Path) -> dict[str, SliQuery]:
    """`--sli-queries FILE`: a mapping of SLI name to PromQL, checked like a scenario."""
    located = load_located_yaml(path, PrometheusError, what="--sli-queries")
    if not isinstance(located.data, dict):
        raise PrometheusError(
            f"{path}:1: --sli-queries must be a mapping of SLI to PromQL ({', '.join(SLI_NAMES)})"
        )
    try:
        named = SliQueries.model_validate(located.data)
    except ValidationError as exc:
        raise PrometheusError(describe_validation_error(exc, located, SliQueries)) from None
    return _named(named, located, ())


def resolve(scenario: Scenario, sli_file: Path | None = None) -> list[SliQuery]:
    """Every SLI's query: the scenario's target.slis, else the file's, else the default."""
    chosen = {sli: SliQuery(sli, expr, DEFAULT) for sli, expr in default_queries().items()}
    if sli_file is not None:
        chosen.update(load_sli_file(sli_file))
    if scenario.target.slis is not None:
        located = None
        if scenario.source is not None:
            located = load_located_yaml(Path(scenario.source), PrometheusError, what="scenario")
        chosen.update(_named(scenario.target.slis, located, ("target", "slis"), scenario.id))
    return [chosen[sli] for sli in SLI_NAMES]


def _named(
    slis: SliQueries, located: LocatedYaml | None, prefix: tuple[str, ...], name: str = ""
) -> dict[str, SliQuery]:
    found: dict[str, SliQuery] = {}
    for sli in SLI_NAMES:
        expr = getattr(slis, sli)
        if expr is None:
            continue
        field = ".".join((*prefix, sli))
        where = f"{located.path}:{located.line_of((*prefix, sli))}" if located else name
        found[sli] = SliQuery(sli, expr, f"{where}: {field}")
    return found


def precheck(url: str, queries: list[SliQuery], *, running: bool) -> None:
    """At the command, before anything is created: every query parses; and when the
    target runs already (a team's Deployment), every one answers a series now."""
    check(url, queries, series_wait_s=0.0, series=running)


def check(
    url: str, queries: list[SliQuery], *, series_wait_s: float | None = None, series: bool = True
) -> None:
    """Every query parses and (`series`) answers at least one series on the Prometheus at
    `url`, or one PrometheusError sentence. Bounded: one request per query per round,
    rounds until `series_wait_s`."""
    wait = SERIES_WAIT_S if series_wait_s is None else series_wait_s
    base = url.rstrip("/")
    deadline = time.monotonic() + wait
    pending = list(queries)
    with httpx.Client(timeout=TIMEOUT_S, trust_env=False) as client:
        for _ in range(1 + int(wait / RETRY_S) + 1):  # bounded in count as well as time
            pending = [q for q in pending if not _answers(client, base, q) and series]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(min(RETRY_S, max(0.0, deadline - time.monotonic())))
    if pending:
        raise PrometheusError(_no_series(base, pending[0], wait))


def _answers(client: httpx.Client, url: str, query: SliQuery) -> bool:
    """Whether it answered a series; a query Prometheus refuses raises at once."""
    try:
        response = client.get(f"{url}/api/v1/query", params={"query": query.expr})
    except httpx.HTTPError as exc:
        raise PrometheusError(
            f"--prometheus-url: no Prometheus answers at {url} (asked for the {query.sli} "
            f"SLI): {exc}"
        ) from None
    body = _json(response)
    if response.status_code != 200 or body.get("status") != "success":
        error = str(body.get("error") or f"HTTP {response.status_code}").strip()
        raise PrometheusError(
            f"{query.where}: the Prometheus at {url} refuses this {query.sli} query: "
            f"{error}; fix the PromQL{_where_to_name(query)}"
        )
    data = body.get("data") or {}
    result = data.get("result")
    if data.get("resultType") == "scalar":  # e.g. `vector(1)` without a metric: a value
        return isinstance(result, list) and len(result) == 2 and _finite(result[1])
    if data.get("resultType") != "vector":
        raise PrometheusError(
            f"{query.where}: the {query.sli} query answers a {data.get('resultType')}, "
            f"not one number; make it an instant vector (e.g. sum(rate(...[1m])))"
        )
    return bool(result)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _finite(value: object) -> bool:
    try:
        return not math.isnan(float(str(value)))
    except ValueError:
        return False


def _no_series(url: str, query: SliQuery, wait_s: float) -> str:
    return (
        f"{query.where}: the {query.sli} query answers no series on the Prometheus at "
        f"{url} (after {wait_s:g}s): no metric by those names and labels there, or no "
        f"traffic yet; check the names in its /graph{_where_to_name(query)}"
    )


def _where_to_name(query: SliQuery) -> str:
    if not query.default:
        return ""
    return (
        " (this is the shop's query: name your service's own in the scenario's "
        f"target.slis.{query.sli} or in --sli-queries FILE)"
    )
