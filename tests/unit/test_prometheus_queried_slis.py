"""SLIs from a team's Prometheus query API (`--prometheus-url` for a target this host
cannot scrape, a cluster's service), against a fake of `/api/v1/query` on 127.0.0.1
(a real Prometheus runs in the tests marked `prometheus`)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from scoring.playbook import load_playbook
from simulator.detection.samples import SliSample
from simulator.prometheus.query_slis import PrometheusSlis
from simulator.prometheus.select import detector_factory

# What the fake answers per SLI, found by a fragment of its PromQL; None: no series.
ANSWERS: dict[str, str | None] = {
    'status=~"5.."': "0.25",  # error_rate (checked before the plain request rate)
    "histogram_quantile(0.99": "NaN",  # no traffic in the buckets: undefined
    "histogram_quantile(0.5": "0.042",
    "avg_over_time(up": None,
    "sum(rate(http_requests_total": "12.5",
}


class _Prometheus(BaseHTTPRequestHandler):
    queries: list[str]
    broken: list[bool]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/-/ready":
            body: Any = "Prometheus Server is Ready."
        elif parts.path == "/api/v1/query" and not self.broken[0]:
            query = parse_qs(parts.query)["query"][0]
            self.queries.append(query)
            value = next(v for fragment, v in ANSWERS.items() if fragment in query)
            result = [] if value is None else [{"metric": {}, "value": [1.0, value]}]
            body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        else:
            self.send_response(503)
            self.end_headers()
            return
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def prometheus() -> Iterator[tuple[str, list[str], list[bool]]]:
    queries: list[str] = []
    broken = [False]
    handler = type("H", (_Prometheus,), {"queries": queries, "broken": broken})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", queries, broken
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


async def _tick(slis: PrometheusSlis) -> SliSample:
    async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
        return await slis.tick(client)


def test_each_sli_is_its_promql_answer_and_a_missing_one_is_unknown(
    prometheus: tuple[str, list[str], list[bool]],
) -> None:
    url, queries, broken = prometheus
    slis = PrometheusSlis(url, lambda: 7.0, job="checkout")
    seen: list[object] = []
    slis.add_listener(seen.append)
    sample = asyncio.run(_tick(slis))
    assert (sample.rps, sample.error_rate, sample.p50_ms) == (12.5, 0.25, 0.042)
    assert sample.p99_ms is None and sample.availability is None  # NaN, no series
    assert sample.scrape_ok and sample.t == 7.0 and seen == [sample]
    assert any('up{job="checkout"}' in q for q in queries)  # the team's job
    broken[0] = True  # Prometheus answers 503: every SLI unknown, never "fine"
    sample = asyncio.run(_tick(slis))
    assert not sample.scrape_ok and sample.rps is None and sample.error_rate is None


def test_the_remote_detector_takes_its_slis_from_the_query_api_when_asked(
    prometheus: tuple[str, list[str], list[bool]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _, _ = prometheus
    monkeypatch.setitem(ANSWERS, "avg_over_time(up", "1")  # every SLI answers at launch
    factory = detector_factory("prometheus", None, url, queried_slis=True)
    assert factory is not None
    detector = factory("http://127.0.0.1:0", load_playbook(None), lambda: 0.0)
    assert isinstance(getattr(detector, "samples", None), PrometheusSlis)
    plain = detector_factory("prometheus", None, url)
    assert plain is not None
    assert not isinstance(plain("x", load_playbook(None), lambda: 0.0).samples, PrometheusSlis)
