"""A team's own service exports its own metrics, not the shop's: the drill queries the
SLIs' PromQL the team names (scenario `target.slis`, `--sli-queries FILE`), checked
against its Prometheus before anything is injected. Against the fake Kubernetes API
(tests/kube_fake.py) and the fake query API of test_kubernetes_drill, whose Prometheus
here knows only the team's metric names.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scoring.events import read_jsonl
from simulator.cli.main import cli
from simulator.drill import autopilot
from simulator.faults.registry import check_params
from simulator.prometheus import query_slis, remote, sli_queries
from simulator.scenario.loader import ScenarioError, load_scenario
from tests.unit.test_kubernetes_drill import SCENARIO, TEAM, _Cluster, _Prometheus
from tests.unit.test_kubernetes_drill import cluster as cluster

BUCKETS = "sum by (le) (rate(checkout_latency_seconds_bucket[1m]))"
TEAM_SLIS = {
    "rps": "sum(rate(checkout_requests_total[1m]))",
    "error_rate": 'sum(rate(checkout_requests_total{code=~"5.."}[1m])) / '
    "sum(rate(checkout_requests_total[1m]))",
    "availability": 'avg_over_time(up{job="checkout"}[1m])',
    "p50_ms": f"histogram_quantile(0.5, {BUCKETS}) * 1000",
    "p99_ms": f"histogram_quantile(0.99, {BUCKETS}) * 1000",
}
# The scenario names three; the file the latencies (and an rps the scenario overrides).
IN_SCENARIO = ("rps", "error_rate", "availability")
SLIS_YAML = "".join(f"    {sli}: '{TEAM_SLIS[sli]}'\n" for sli in IN_SCENARIO)
FILE_YAML = (
    f"p50_ms: '{TEAM_SLIS['p50_ms']}'\np99_ms: '{TEAM_SLIS['p99_ms']}'\n"
    "rps: sum(rate(no_such_metric[1m]))\n"
)
OWN = SCENARIO.replace("  selector: {app: checkout}\n", "  selector: {app: checkout}\n  slis:\n")
OWN = OWN.replace("  slis:\n", "  slis:\n" + SLIS_YAML)


def _team_answer(cluster: _Cluster, query: str) -> float | None:
    """The team's Prometheus: its own metric names only (the shop's have no series)."""
    hung = cluster.hung()
    answers = {
        "rps": 25.0,
        "error_rate": 0.6 if hung else 0.0,
        "availability": 0.4 if hung else 1.0,
        "p50_ms": 20.0,
        "p99_ms": 45.0,
    }
    return next((answers[sli] for sli, expr in TEAM_SLIS.items() if expr == query), None)


@pytest.fixture
def team_prometheus(cluster: _Cluster) -> Iterator[tuple[str, list[str]]]:
    asked: list[str] = []

    def answer(kube: _Cluster, query: str) -> float | None:
        asked.append(query)
        return _team_answer(kube, query)

    handler = type("TeamPrometheus", (_Prometheus,), {"cluster": cluster})
    handler.answer = staticmethod(answer)  # type: ignore[assignment]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(autopilot, "SETTLE_S", 1.0)
    monkeypatch.setattr(remote, "POLL_S", 0.3)
    monkeypatch.setattr(query_slis, "INTERVAL_S", 0.3)
    monkeypatch.setattr(sli_queries, "SERIES_WAIT_S", 0.6)
    monkeypatch.setattr(sli_queries, "RETRY_S", 0.2)
    monkeypatch.delenv("DRILL_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # the drill's state and history


def _drill(tmp_path: Path, cluster: _Cluster, url: str, text: str, *extra: str) -> Any:
    path = tmp_path / "team-checkout-hang.yaml"
    path.write_text(text)
    args = ["run", str(path), "--autopilot", "--backend", "kubernetes", "--api-url", cluster.url]
    args += ["--no-load", "--detector", "prometheus", "--prometheus-url", url]
    args += ["--report-dir", str(tmp_path / "report"), *extra]
    return CliRunner().invoke(cli, args, env={"CHAOSDRILL_K8S_NAMESPACES": "team-*"})


def _line(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.usefixtures("quick")
def test_a_whole_drill_on_the_teams_own_metrics_recovers_and_scores(
    cluster: _Cluster, team_prometheus: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, asked = team_prometheus
    slis = tmp_path / "slis.yaml"
    slis.write_text(FILE_YAML)
    result = _drill(tmp_path, cluster, url, OWN, "--sli-queries", str(slis))
    assert result.exit_code == 0, result.output
    assert "Outcome: resolved" in result.output
    events = read_jsonl(tmp_path / "report" / "events.jsonl")
    by_type = {e.type: e for e in reversed(events)}
    steady = by_type["steady_state.reached"].data["slis"]
    assert (steady["rps"], steady["p99_ms"], steady["availability"]) == (25.0, 45.0, 1.0)
    assert by_type["alert.firing"].data["name"] == "availability"
    assert by_type["fault.reverted"].data["reason"] == "remediated"
    assert cluster.objects("podchaos") == {}
    # Only the team's queries were asked: the scenario's rps won over the file's.
    assert set(asked) == set(TEAM_SLIS.values())
    score = float(result.output.split("Score:")[1].split("/")[0])
    assert score >= 90, result.output


@pytest.mark.usefixtures("quick")
@pytest.mark.parametrize(
    ("sli", "wrong", "says"),
    [
        ("rps", "sum(rate(checkout_request_total[1m]))", "the rps query answers no series"),
        ("error_rate", "sum(rate(checkout_requests_total[1m])", "the Prometheus at http"),
    ],
    ids=["wrong-metric-name", "does-not-parse"],
)
def test_a_query_the_prometheus_cannot_answer_is_refused_before_any_fault(
    cluster: _Cluster,
    team_prometheus: tuple[str, list[str]],
    tmp_path: Path,
    sli: str,
    wrong: str,
    says: str,
) -> None:
    url, _ = team_prometheus
    text = OWN.replace(TEAM_SLIS[sli], wrong)
    result = _drill(tmp_path, cluster, url, text)
    path = tmp_path / "team-checkout-hang.yaml"
    where = f"{path}:{_line(text, f'    {sli}: ')}: target.slis.{sli}: {says}"
    # One sentence at the command: nothing was asked of the cluster, nothing created.
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"chaosdrill: {where}"), result.output
    assert result.output.count("\n") == 1
    assert cluster.requests == []
    assert not (tmp_path / "report").exists()


@pytest.mark.usefixtures("quick")
def test_the_shops_queries_on_a_teams_service_name_where_to_put_its_own(
    cluster: _Cluster, team_prometheus: tuple[str, list[str]], tmp_path: Path
) -> None:
    url, _ = team_prometheus
    result = _drill(tmp_path, cluster, url, SCENARIO)
    assert result.exit_code == 2
    assert result.output.startswith("chaosdrill: slis.rps (the shop's default): "), result.output
    assert "name your service's own in the scenario's target.slis.rps or in --sli-queries" in (
        result.output
    )
    assert cluster.requests == []


def test_at_drill_start_a_query_may_wait_for_its_first_series_but_not_forever(
    cluster: _Cluster, team_prometheus: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The detector's check, after the environment is up: a shop deployed a moment ago
    has no series yet; asked again (bounded), then refused in one sentence."""
    url, asked = team_prometheus
    monkeypatch.setattr(sli_queries, "RETRY_S", 0.05)
    team = [sli_queries.SliQuery(sli, e, f"f.yaml:1: {sli}") for sli, e in TEAM_SLIS.items()]
    sli_queries.check(url, team, series_wait_s=1.0)
    assert len(asked) == len(TEAM_SLIS)  # each asked once: all answered
    typo = sli_queries.SliQuery("rps", "sum(rate(checkout_requests[1m]))", "f.yaml:2: rps")
    with pytest.raises(sli_queries.PrometheusError, match=r"^f.yaml:2: rps: the rps query an"):
        sli_queries.check(url, [typo], series_wait_s=0.5)
    assert asked.count(typo.expr) > 2  # asked again while waiting


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (("    rps: '", "    rps: 5\n    x: '"), "target.slis.rps: expected text (got 5)"),
        (("    rps:", "    requests:"), "target.slis: unknown key 'requests'; expected one of rps"),
        (("  backend: kubernetes\n", ""), None),
    ],
    ids=["not-a-string", "unknown-sli", "not-on-a-cluster"],
)
def test_a_scenarios_slis_are_checked_with_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], says: str | None
) -> None:
    path = tmp_path / "team.yaml"
    text = OWN.replace(*edit)
    if says is None:  # slis without backend kubernetes (namespace is reported first)
        text = text.replace(f"  namespace: {TEAM}\n  deployment: checkout\n", "")
        text = text.replace("  selector: {app: checkout}\n", "")
        says = "target.slis: slis are queried from a cluster's Prometheus"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, check_params=check_params)
    line = _line(
        text, "requests:" if "requests" in says else says.split(":")[0].rsplit(".")[-1] + ":"
    )
    assert str(info.value).startswith(f"{path}:{line}: {says}"), info.value


def test_an_sli_queries_file_is_checked_before_anything(tmp_path: Path) -> None:
    slis = tmp_path / "slis.yaml"
    slis.write_text("rps: sum(rate(x[1m]))\np999_ms: 3\n")
    args = ["run", "app-crash", "--autopilot", "--backend", "kubernetes", "--no-load"]
    args += ["--detector", "prometheus", "--prometheus-url", "http://127.0.0.1:9"]
    result = CliRunner().invoke(cli, [*args, "--sli-queries", str(slis)])
    assert result.exit_code == 2
    said = f"chaosdrill: {slis}:2: top level: unknown key 'p999_ms'; did you mean 'p99_ms'?"
    assert result.output == said + "\n"
    local = CliRunner().invoke(cli, ["run", "app-crash", "--autopilot", "--sli-queries", str(slis)])
    assert local.exit_code == 2
    assert "--sli-queries names the SLIs queried from a cluster's Prometheus" in local.output
