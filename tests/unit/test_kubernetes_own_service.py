"""Bring your own service: a drill on a team's own Deployment in an allow-listed
namespace (`env up --backend kubernetes --own-deployment NAME`), against the fake API.
Nothing is applied; faults select the Deployment's own pods; remediations roll it out;
`env down` deletes only chaosdrill's Chaos Mesh resources; a namespace off the
allow-list is refused before any request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.env.errors import EnvError
from simulator.env.lifecycle import EnvOptions
from simulator.env.state import EnvState
from simulator.faults.errors import TargetRefused
from simulator.faults.manager import FaultManager
from simulator.platform import environment
from simulator.remediation.apply import apply
from tests.kube_fake import FakeKube, FakeKubeServer, fast_platform

TEAM = "team-staging"
SELECTOR = {"app": "checkout", "tier": "web"}


def _checkout() -> dict[str, object]:
    template = {
        "metadata": {"labels": dict(SELECTOR)},
        "spec": {
            "containers": [
                {
                    "name": "api",
                    "image": "registry.example/checkout:4.2.0",
                    "ports": [{"containerPort": 9090}],
                }
            ]
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "checkout", "labels": {"team": "payments"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": dict(SELECTOR)}, "template": template},
    }


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKube]:
    fast_platform(monkeypatch)
    kube = FakeKube()
    server = FakeKubeServer(kube)
    kube.handle("POST", f"/apis/apps/v1/namespaces/{TEAM}/deployments", _checkout())
    kube.requests.clear()
    yield kube
    server.close()


def _options(fake: FakeKube, tmp_path: Path, namespace: str = TEAM) -> EnvOptions:
    return EnvOptions(
        state_dir=tmp_path / "env",
        backend="kubernetes",
        namespace=namespace,
        api_url=fake.url,
        own_deployment="checkout",
        allowed_namespaces=("team-*",),
    )


@pytest.fixture
def env(fake: FakeKube, tmp_path: Path) -> EnvState:
    return environment.up(_options(fake, tmp_path))


def test_nothing_is_applied_and_the_record_names_the_teams_deployment(
    fake: FakeKube, env: EnvState
) -> None:
    assert fake.calls("POST") == []
    assert env.cluster["deployment"] == "checkout" and env.cluster["container"] == "api"
    assert env.targets() == ["database", "disk", "shop"]


def test_a_namespace_off_the_allow_list_is_refused_before_any_request(
    fake: FakeKube, tmp_path: Path
) -> None:
    with pytest.raises(EnvError, match="namespace 'production' is not on the allow-list"):
        environment.up(_options(fake, tmp_path, namespace="production"))
    assert fake.requests == []


def test_faults_select_the_teams_pods_and_leave_with_env_down(
    fake: FakeKube, env: EnvState
) -> None:
    entry = FaultManager(Path(env.state_dir)).inject("app.latency", {"ms": 400}, ttl_s=60)
    chaos = fake.objects("httpchaos")[f"chaosdrill-{entry.id}"]
    assert chaos["spec"]["selector"] == {"namespaces": [TEAM], "labelSelectors": SELECTOR}
    assert chaos["spec"]["port"] == 9090  # the team's container port, not the shop's
    environment.down(Path(env.state_dir))
    assert fake.objects("httpchaos") == {}
    assert "checkout" in fake.objects("deployments")  # the team's own: never deleted


def test_faults_on_what_the_team_did_not_name_are_refused(fake: FakeKube, env: EnvState) -> None:
    with pytest.raises(TargetRefused, match="acts only on the deployment checkout"):
        FaultManager(Path(env.state_dir)).inject("db.down", {}, ttl_s=60)
    assert fake.calls("POST") == []


def test_remediations_roll_out_the_teams_deployment(fake: FakeKube, env: EnvState) -> None:
    state_dir = Path(env.state_dir)
    checkout = fake.objects("deployments")["checkout"]
    release = FaultManager(state_dir).inject("deploy.bad_release", {"version": "4.3.0"}, 300)
    image = checkout["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example/checkout:4.3.0"
    result = apply(state_dir, "deploy.rollback", action_id="a-1")
    assert [e.id for e in result.ended] == [release.id]
    image = checkout["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example/checkout:4.2.0"
    apply(state_dir, "service.scale_up", action_id="a-2")
    assert checkout["spec"]["replicas"] == 6


def test_a_dry_run_on_the_environment_prints_what_inject_would_create(env: EnvState) -> None:
    from click.testing import CliRunner

    from simulator.cli.main import cli

    args = ["fault", "inject", "app.crash", "--state-dir", env.state_dir, "--dry-run"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "namespace: team-staging" in result.output
    assert f"chaosdrill.io/env: {env.cluster['env_id']}" in result.output
    assert "app: checkout" in result.output
