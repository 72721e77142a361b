"""A whole autopilot drill on --backend kubernetes, through the composition root, against
the fake Kubernetes API (tests/kube_fake.py, the one allowed mock) and a fake of the
team's Prometheus query API on 127.0.0.1 whose answers follow the fake cluster: while a
PodChaos `pod-failure` exists the checkout's pods are not ready, its error rate is high
and the availability alert fires; once the resource is gone all is normal again.

What this shows is chaosdrill's wiring on a cluster (scenario target, allow-list,
queried SLIs, no load, diagnostics, remediation, fault ends, scorecard); what Chaos Mesh
and a real Prometheus do with it is verified only on a real cluster (docs/kubernetes.md).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from scoring.events import read_jsonl
from scoring.playbook import load_playbook
from simulator.cli.main import cli
from simulator.drill import autopilot
from simulator.drill.reach import Reach
from simulator.drill.run import run_drill
from simulator.env.lifecycle import EnvOptions
from simulator.faults.manager import FaultManager
from simulator.faults.registry import check_params
from simulator.platform import environment
from simulator.prometheus import query_slis, remote
from simulator.prometheus.select import detector_factory
from simulator.prometheus.sli_queries import default_queries
from simulator.remediation.apply import apply
from simulator.scenario.loader import load_scenario
from tests.kube_fake import FakeKube, FakeKubeServer, fast_platform

TEAM = "team-staging"
SELECTOR = {"app": "checkout", "tier": "web"}
ALLOWED = ("team-*",)
SCENARIO = f"""\
id: team-checkout-hang
title: The team's checkout stops answering
briefing: The checkout service in staging stops answering; find out why and fix it.
target:
  backend: kubernetes
  namespace: {TEAM}
  deployment: checkout
  selector: {{app: checkout}}
load: {{users: 1}}
steady_state: {{max_error_rate: 0.01, max_p99_ms: 500, min_rps: 5, timeout: 20s}}
faults:
  - {{at: 1s, kind: app.hang, until: remediated, ttl: 2m}}
expected:
  alerts:
    - {{name: availability, severity: critical, within: 15s}}
  severity: P0
  team: sre
  root_cause: The checkout's containers were replaced by a paused one (PodChaos pod-failure).
  root_cause_area: infrastructure
  remediations: [service.restart]
  harmful: [db.restore]
confirm_recovery_s: 2
time_limit_s: 60
"""


class _Cluster(FakeKube):
    """The fake API with the checkout's pods: ready unless a PodChaos `pod-failure`
    (not being deleted) selects them, as Chaos Mesh's pause container leaves them."""

    def hung(self) -> bool:
        return any(
            chaos["spec"].get("action") == "pod-failure"
            and not chaos["metadata"].get("deletionTimestamp")
            for chaos in self.objects("podchaos").values()
        )

    def handle(
        self, method: str, raw_path: str, body: Any, content_type: str = ""
    ) -> tuple[int, Any]:
        if method == "GET" and urlsplit(raw_path).path == f"/api/v1/namespaces/{TEAM}/pods":
            self.requests.append(_request(method, raw_path))
            ready = not self.hung()
            items = [_pod(f"checkout-{n}", ready) for n in range(3)]
            return 200, {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": items}
        return super().handle(method, raw_path, body, content_type)


def _request(method: str, raw_path: str) -> Any:
    from tests.kube_fake import Request

    parts = urlsplit(raw_path)
    return Request(method, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}, None)


def _pod(name: str, ready: bool) -> dict[str, Any]:
    status = {
        "name": "api",
        "ready": ready,
        "restartCount": 0,
        "image": "registry.example/checkout:4.2.0",
        "imageID": "",
        "state": {"running": {}} if ready else {"waiting": {"reason": "PodFailure"}},
    }
    return {
        "metadata": {"name": name, "namespace": TEAM, "labels": dict(SELECTOR)},
        "status": {"phase": "Running", "containerStatuses": [status]},
    }


def _checkout(image: str) -> dict[str, Any]:
    container = {"name": "api", "image": image, "ports": [{"containerPort": 9090}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "checkout"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": dict(SELECTOR)},
            "template": {
                "metadata": {"labels": dict(SELECTOR)},
                "spec": {"containers": [container]},
            },
        },
    }


def _answer(cluster: _Cluster, query: str) -> float | None:
    """The team's Prometheus: its SLI queries answered from the cluster's state."""
    hung = cluster.hung()
    shop = default_queries()
    if query == shop["error_rate"]:
        return 0.6 if hung else 0.0
    if query == shop["availability"]:
        return 0.4 if hung else 1.0
    if query in (shop["p50_ms"], shop["p99_ms"]):
        return 30.0
    return 25.0  # requests a second: the team's own traffic


class _Prometheus(BaseHTTPRequestHandler):
    """Its query API answers `answer(cluster, query)` (None: no series); a query with
    unbalanced parentheses is refused as Prometheus refuses one it cannot parse."""

    cluster: _Cluster
    answer: Callable[[_Cluster, str], float | None] = staticmethod(_answer)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        body: Any
        status = 200
        if parts.path == "/-/ready":
            body = "Prometheus Server is Ready."
        elif parts.path == "/api/v1/query":
            query = parse_qs(parts.query)["query"][0]
            if query.count("(") != query.count(")"):
                status, body = (
                    400,
                    {
                        "status": "error",
                        "errorType": "bad_data",
                        "error": "1:1: parse error: unclosed left parenthesis",
                    },
                )
            else:
                value = type(self).answer(self.cluster, query)
                result = (
                    [] if value is None else [{"metric": {}, "value": [time.time(), str(value)]}]
                )
                body = {"status": "success", "data": {"resultType": "vector", "result": result}}
        elif parts.path == "/api/v1/alerts":
            alerts = []
            if self.cluster.hung():
                labels = {"alertname": "availability", "severity": "critical", "job": "checkout"}
                alerts = [
                    {
                        "labels": labels,
                        "annotations": {"value": "0.4", "threshold": "0.99"},
                        "state": "firing",
                        "activeAt": "2024-01-01T00:00:00Z",
                    }
                ]
            body = {"status": "success", "data": {"alerts": alerts}}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Cluster]:
    fast_platform(monkeypatch)
    kube = _Cluster()
    server = FakeKubeServer(kube)
    deployments = f"/apis/apps/v1/namespaces/{TEAM}/deployments"
    kube.handle("POST", deployments, _checkout("registry.example/checkout:4.1.0"))
    # a second revision, so that a rollback (a wrong fix here) has one to go back to
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "api", "image": "registry.example/checkout:4.2.0"}]
                }
            }
        }
    }
    kube.handle("PATCH", f"{deployments}/checkout", patch)
    kube.requests.clear()
    yield kube
    server.close()


@pytest.fixture
def prometheus(cluster: _Cluster) -> Iterator[str]:
    handler = type("Prometheus", (_Prometheus,), {"cluster": cluster})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _witness(url: str) -> tuple[float, bool]:
    """What a plain client of the team's Prometheus sees: the error rate, and whether
    the availability alert fires."""
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        query = client.get(f"{url}/api/v1/query", params={"query": default_queries()["error_rate"]})
        alerts = client.get(f"{url}/api/v1/alerts").json()["data"]["alerts"]
    return float(query.json()["data"]["result"][0]["value"][1]), bool(alerts)


class _Watcher:
    """A plain client polling the team's Prometheus through the drill (bounded)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.seen: list[tuple[float, float, float, bool]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for _ in range(1200):  # at most 2 minutes
            if self._stop.wait(0.1):
                return
            began = time.time()
            rate, alert = _witness(self.url)
            self.seen.append((began, time.time(), rate, alert))

    def stop(self) -> list[tuple[float, float, float, bool]]:
        self._stop.set()
        self._thread.join(timeout=5)
        return list(self.seen)


def test_a_whole_autopilot_drill_on_a_teams_deployment(
    cluster: _Cluster, prometheus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(autopilot, "SETTLE_S", 1.0)
    monkeypatch.setattr(remote, "POLL_S", 0.3)
    monkeypatch.setattr(query_slis, "INTERVAL_S", 0.3)
    path = tmp_path / "team-checkout-hang.yaml"
    path.write_text(SCENARIO)
    playbook = load_playbook(None)
    scenario = load_scenario(path, check_params=check_params, playbook=playbook)
    reach = Reach({"api_url": cluster.url, "allowed_namespaces": ALLOWED}, no_load=True)
    factory = detector_factory("prometheus", None, prometheus, queried_slis=True)
    watcher = _Watcher(prometheus)
    result = run_drill(
        scenario,
        playbook,
        tmp_path / "report",
        state_root=tmp_path / ".chaosdrill",
        store_history=False,
        backend="kubernetes",
        detector_factory=factory,
        detector="prometheus",
        reach=reach,
    )
    seen = watcher.stop()
    events = read_jsonl(result.files["log"])
    types = [e.type for e in events]
    by_type = {e.type: e for e in reversed(events)}  # the first of each type
    assert by_type["drill.finished"].data["outcome"] == "resolved"
    started = by_type["drill.started"].data
    assert (started["backend"], started["detector"]) == ("kubernetes", "prometheus")
    assert "baseline.skipped" in types  # no access log on this host: said, not faked
    injected = by_type["fault.injected"]
    assert injected.data["kind"] == "app.hang"
    firing = by_type["alert.firing"].data
    assert (firing["name"], firing["severity"]) == ("availability", "critical")
    executed = [e for e in events if e.type == "action.executed"]
    assert [(e.data["action"], e.data["result"]) for e in executed] == [("service.restart", "ok")]
    reverted = by_type["fault.reverted"].data
    assert reverted["reason"] == "remediated"
    assert reverted["action_id"] == executed[0].data["action_id"]
    assert types.index("fault.injected") < types.index("alert.firing")
    assert types.index("fault.reverted") < types.index("service.recovered")
    # The team's own service: nothing applied, the PodChaos selected its pods, all gone.
    assert cluster.calls("POST", "/deployments") == []
    chaos = [r.body for r in cluster.calls("POST", "/podchaos")]
    assert len(chaos) == 1 and chaos[0]["spec"]["selector"]["labelSelectors"] == {"app": "checkout"}
    assert cluster.objects("podchaos") == {}
    assert cluster.calls("PATCH", "/deployments/checkout")  # the restart's rollout
    # The witness: what a plain client saw, against the scorecard.
    t_inject = injected.wall.timestamp()  # the PodChaos exists from before this
    t_fix = by_type["action.started"].wall.timestamp()  # and until after this
    t_revert = by_type["fault.reverted"].wall.timestamp()
    during = [s for s in seen if t_inject < s[0] and s[1] < t_fix]  # (began, ended, ...)
    after = [s for s in seen if s[0] > t_revert]
    assert during and all(rate > 0.5 and alert for _, _, rate, alert in during)
    assert after and all(rate == 0.0 and not alert for _, _, rate, alert in after)
    card = result.scorecard
    assert card.outcome_detail == "resolved"
    assert card.team.criterion("remediation").points > 0
    assert [a.passed for a in card.alerts] == [True]
    assert card.team.total >= 90, card.team


def _team_options(cluster: _Cluster, tmp_path: Path, selector: dict[str, str]) -> EnvOptions:
    """The environment of the team's own Deployment `checkout`, picked by `selector`."""
    return EnvOptions(
        state_dir=tmp_path / "env",
        backend="kubernetes",
        namespace=TEAM,
        api_url=cluster.url,
        own_deployment="checkout",
        own_selector=selector,
        allowed_namespaces=ALLOWED,
    )


def test_a_wrong_fix_leaves_the_fault_and_the_right_one_ends_it(
    cluster: _Cluster, prometheus: str, tmp_path: Path
) -> None:
    options = _team_options(cluster, tmp_path, {"app": "checkout"})
    state = environment.up(options)
    state_dir = Path(state.state_dir)
    assert _witness(prometheus) == (0.0, False)
    entry = FaultManager(state_dir).inject("app.hang", {}, ttl_s=120)
    assert _witness(prometheus) == (0.6, True)
    wrong = apply(state_dir, "deploy.rollback", action_id="a-1")
    assert wrong.ended == [] and cluster.hung()
    assert _witness(prometheus) == (0.6, True)  # a rollback does not end a hang
    right = apply(state_dir, "service.restart", action_id="a-2")
    assert [e.id for e in right.ended] == [entry.id]
    assert _witness(prometheus) == (0.0, False)
    environment.down(state_dir)


def test_a_selector_that_is_not_the_deployments_is_refused(
    cluster: _Cluster, tmp_path: Path
) -> None:
    options = _team_options(cluster, tmp_path, {"app": "payments"})
    with pytest.raises(Exception, match="does not select the pods of deployment/checkout"):
        environment.up(options)
    assert cluster.calls("POST") == []


def _run(args: list[str], env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["run", *args, "--autopilot"], env=env)


@pytest.mark.parametrize(
    "extra",
    [[], ["--no-load"], ["--detector", "prometheus", "--no-load"]],
    ids=["nothing", "no-prometheus", "no-prometheus-url"],
)
def test_without_the_teams_prometheus_and_load_a_whole_drill_is_refused(
    extra: list[str],
) -> None:
    result = _run(["app-crash", "--backend", "kubernetes", *extra])
    assert result.exit_code == 2
    assert "a whole drill on --backend kubernetes needs the team's Prometheus" in result.output
    assert result.output.count("\n") == 1


def test_a_scenario_target_off_the_allow_list_is_refused_before_anything(
    cluster: _Cluster, prometheus: str, tmp_path: Path
) -> None:
    path = tmp_path / "team-checkout-hang.yaml"
    path.write_text(SCENARIO.replace(f"namespace: {TEAM}", "namespace: production"))
    args = [str(path), "--backend", "kubernetes", "--api-url", cluster.url, "--no-load"]
    args += ["--detector", "prometheus", "--prometheus-url", prometheus]
    result = _run(args, env={"CHAOSDRILL_K8S_NAMESPACES": "team-*"})
    assert result.exit_code == 2
    assert f"{path}:6: target.namespace: namespace 'production' is not on the allow-list" in (
        result.output
    )
    assert result.output.count("\n") == 1
    assert cluster.requests == []


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (("  namespace: team-staging\n", ""), "6: target.deployment: a team's Deployment needs"),
        (("  backend: kubernetes\n", ""), "5: target.namespace: namespace names a team's service"),
        (("  deployment: checkout\n", ""), "7: target.selector: selector picks pods"),
        (("app: checkout}", "app: 'check out'}"), "8: target.selector.app: "),
    ],
)
def test_a_scenario_target_is_checked_with_file_line_and_field(
    tmp_path: Path, edit: tuple[str, str], where: str
) -> None:
    from simulator.scenario.loader import ScenarioError

    path = tmp_path / "team.yaml"
    path.write_text(SCENARIO.replace(*edit))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, check_params=check_params)
    assert str(info.value).startswith(f"{path}:{where}"), str(info.value)
