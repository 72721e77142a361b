"""The SLI queries a drill on a cluster sends, against a real Prometheus (Debian's): the
shop's defaults parse there, a team's own PromQL answers series, and one Prometheus
cannot parse is refused in one sentence with its own parse error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.env.processes import free_port, start_process, wait_http
from simulator.prometheus.config import write_yaml
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.servers import find_binary
from simulator.prometheus.sli_queries import SliQuery, check, default_queries, precheck

pytestmark = [pytest.mark.prometheus, pytest.mark.integration]


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    """A Prometheus scraping itself every second (job `self`)."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [
            {"job_name": "self", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        ],
    }
    argv = [
        find_binary("prometheus"),
        f"--config.file={write_yaml(tmp_path / 'prometheus.yml', config)}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    proc = start_process("prometheus", argv, tmp_path / "prometheus.log", port)
    try:
        wait_http(f"{proc.url}/-/ready", 30.0, proc.popen, proc.log_path)
        yield proc.url
    finally:
        proc.stop()


def test_default_and_custom_promql_parse_and_answer_on_a_real_prometheus(
    prometheus: str,
) -> None:
    shop = [SliQuery(sli, expr, "default") for sli, expr in default_queries().items()]
    precheck(prometheus, shop, running=False)  # the shop's queries parse (no shop here)
    team = [
        SliQuery("rps", "sum(rate(prometheus_http_requests_total[1m]))", "f.yaml:1: rps"),
        SliQuery("availability", 'avg_over_time(up{job="self"}[1m])', "f.yaml:2: availability"),
    ]
    check(prometheus, team, series_wait_s=20.0)  # answered once it has scraped itself
    wrong = SliQuery("p99_ms", "histogram_quantile(0.99, sum(rate(x[1m]))", "f.yaml:3: p99_ms")
    with pytest.raises(PrometheusError, match=r"^f.yaml:3: p99_ms: the Prometheus at .* parse"):
        precheck(prometheus, [wrong], running=False)
    missing = SliQuery("rps", "sum(rate(no_such_metric_total[1m]))", "f.yaml:4: rps")
    with pytest.raises(PrometheusError, match=r"the rps query answers no series"):
        precheck(prometheus, [missing], running=True)
