"""The Kubernetes platform's calls against a fake of the Kubernetes API (tests/kube_fake.py,
HTTP on 127.0.0.1): env up applies and waits, faults land (Selected, AllInjected) and
leave (deleted, AllRecovered), a fault that never lands or an API error leaves nothing
behind, cleanup after a kill deletes everything with the owner label, and remediations
are rollouts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kubernetes_validate
import pytest

from simulator.env.lifecycle import EnvOptions
from simulator.env.state import EnvState, load_state
from simulator.faults.cleanup import cleanup_environment
from simulator.faults.errors import FaultError
from simulator.faults.journal import load_journal
from simulator.faults.manager import FaultManager
from simulator.kubernetes import rollout, sql_jobs
from simulator.kubernetes.labels import (
    KUBERNETES_VERSION,
    MANAGED_BY,
    OWNER_LABEL,
    owner_labels,
)
from simulator.platform import environment
from simulator.remediation.apply import apply
from tests.kube_fake import FakeKube, FakeKubeServer, fast_platform

NAMESPACE = "chaosdrill"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKube]:
    fast_platform(monkeypatch)
    kube = FakeKube()
    server = FakeKubeServer(kube)
    yield kube
    server.close()


@pytest.fixture
def env(fake: FakeKube, tmp_path: Path) -> EnvState:
    options = EnvOptions(
        state_dir=tmp_path / "env", backend="kubernetes", namespace=NAMESPACE, api_url=fake.url
    )
    return environment.up(options)


def _owned(fake: FakeKube, state: EnvState) -> list[str]:
    return fake.labelled(OWNER_LABEL, state.cluster["env_id"])


def test_env_up_applies_every_object_and_env_down_removes_exactly_those(
    fake: FakeKube, tmp_path: Path
) -> None:
    foreign = {"metadata": {"name": "team-api", "labels": {"app": "team-api"}}}
    fake.store[("apps/v1", NAMESPACE, "deployments")] = {"team-api": foreign}
    options = EnvOptions(
        state_dir=tmp_path / "env", backend="kubernetes", namespace=NAMESPACE, api_url=fake.url
    )
    state = environment.up(options)
    assert state.backend == "kubernetes" and state.cluster["namespace"] == NAMESPACE
    created = _owned(fake, state)
    assert "deployments/shop" in created and "statefulsets/postgres" in created
    assert "roles/chaosdrill" in created and "secrets/chaosdrill-secrets" in created
    # waited for the rollouts: each Deployment read back after creation
    assert fake.calls("GET", "/deployments/shop")
    stopped = environment.down(Path(state.state_dir))
    assert _owned(fake, state) == []
    assert len(stopped) == len(created)
    assert "team-api" in fake.objects("deployments")  # not ours: left alone
    assert load_state(Path(state.state_dir)) is None


def test_env_up_that_fails_midway_deletes_what_it_created(fake: FakeKube, tmp_path: Path) -> None:
    fake.fail("POST", "/deployments", skip=2)  # the third Deployment is refused
    options = EnvOptions(
        state_dir=tmp_path / "env", backend="kubernetes", namespace=NAMESPACE, api_url=fake.url
    )
    with pytest.raises(Exception, match="refused to create Deployment/") as info:
        environment.up(options)
    assert "everything created was deleted again" in str(info.value)
    assert fake.labelled(MANAGED_BY, "chaosdrill") == []


def test_inject_waits_for_all_injected_and_revert_for_all_recovered(
    fake: FakeKube, env: EnvState
) -> None:
    manager = FaultManager(Path(env.state_dir))
    entry = manager.inject("db.latency", {"ms": 300}, ttl_s=60)
    resource = fake.objects("networkchaos")[f"chaosdrill-{entry.id}"]
    assert resource["spec"]["duration"] == "60s"  # the cluster's own TTL
    assert resource["metadata"]["labels"][OWNER_LABEL] == env.cluster["env_id"]
    # looked for a stale one (none), created, read back Selected + AllInjected
    assert [r.method for r in fake.requests if "networkchaos" in r.path] == ["GET", "POST", "GET"]
    assert manager.is_active(entry)

    manager.revert(entry.id, "manual")
    chaos_calls = [r.method for r in fake.requests if "networkchaos" in r.path]
    assert chaos_calls[-2:] == ["DELETE", "GET"]  # deleted, then AllRecovered read back
    assert fake.objects("networkchaos") == {}
    ended = load_journal(Path(env.state_dir)).get(entry.id)
    assert ended is not None and not ended.open


def test_a_fault_that_never_lands_fails_in_one_sentence_and_is_deleted(
    fake: FakeKube, env: EnvState
) -> None:
    fake.chaos_policy = "never"
    with pytest.raises(FaultError) as info:
        FaultManager(Path(env.state_dir)).inject("app.hang", {}, ttl_s=60)
    message = str(info.value)
    assert "did not inject podchaos/" in message and "AllInjected=False" in message
    assert "\n" not in message
    assert fake.calls("DELETE", "/podchaos/")
    assert fake.objects("podchaos") == {}
    assert FaultManager(Path(env.state_dir)).active() == []


@pytest.mark.parametrize(("method", "skip"), [("POST", 1), ("GET", 0)])
def test_an_api_error_mid_inject_leaves_nothing_behind(
    fake: FakeKube, env: EnvState, method: str, skip: int
) -> None:
    # Two routes: two HTTPChaos; the second creation, or the first status read, fails.
    fake.fail(method, "/httpchaos", skip=skip)
    with pytest.raises(FaultError, match="500"):
        FaultManager(Path(env.state_dir)).inject(
            "app.error_rate", {"routes": ["/a", "/b"]}, ttl_s=60
        )
    assert fake.objects("httpchaos") == {}
    assert FaultManager(Path(env.state_dir)).active() == []


def test_cleanup_after_a_kill_deletes_everything_with_the_owner_label(
    fake: FakeKube, env: EnvState
) -> None:
    state_dir = Path(env.state_dir)
    FaultManager(state_dir).inject("app.cpu_burn", {}, ttl_s=60)
    FaultManager(state_dir).inject("dependency.down", {}, ttl_s=60)
    # Killed between creating a resource and journalling it as active: only the
    # owner label knows about this one.
    stray = {
        "metadata": {"name": "chaosdrill-f-killed", "labels": owner_labels(env.cluster["env_id"])}
    }
    fake.store[("chaos-mesh.org/v1alpha1", NAMESPACE, "iochaos")] = {"chaosdrill-f-killed": stray}
    assert len(_owned(fake, env)) > 3

    lines = cleanup_environment(state_dir)
    assert any("reverted 2 fault(s)" in line for line in lines), lines
    assert _owned(fake, env) == []
    assert fake.labelled(MANAGED_BY, "chaosdrill") == []
    assert load_state(state_dir) is None


def test_restart_rollback_scale_and_failover_are_rollouts(fake: FakeKube, env: EnvState) -> None:
    state_dir = Path(env.state_dir)
    shop = fake.objects("deployments")["shop"]
    image = shop["spec"]["template"]["spec"]["containers"][0]["image"]

    release = FaultManager(state_dir).inject("deploy.bad_release", {"version": "1.1.0"}, 300)
    assert shop["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.1.0")
    result = apply(state_dir, "deploy.rollback", action_id="a-1")
    assert shop["spec"]["template"]["spec"]["containers"][0]["image"] == image
    assert [e.id for e in result.ended] == [release.id]

    hang = FaultManager(state_dir).inject("app.hang", {}, ttl_s=60)
    result = apply(state_dir, "service.restart", action_id="a-2")
    annotations = shop["spec"]["template"]["metadata"]["annotations"]
    assert rollout.RESTARTED_AT in annotations
    assert [e.id for e in result.ended] == [hang.id] and fake.objects("podchaos") == {}

    apply(state_dir, "service.scale_up", action_id="a-3")
    assert shop["spec"]["replicas"] == 4

    down = FaultManager(state_dir).inject("dependency.down", {}, ttl_s=60)
    result = apply(state_dir, "dependency.switch_backup", action_id="a-4")
    payment = fake.objects("services")["payment"]
    assert payment["spec"]["selector"] == {"app.kubernetes.io/name": "payment-backup"}
    assert [e.id for e in result.ended] == [down.id]


def test_an_action_with_no_cluster_form_is_unavailable_in_one_sentence(
    fake: FakeKube, env: EnvState
) -> None:
    with pytest.raises(FaultError, match=r"^db\.restore is not available on kubernetes"):
        apply(Path(env.state_dir), "db.restore", action_id="a-1")


def test_a_restart_recreates_faults_whose_cause_it_does_not_remove(
    fake: FakeKube, env: EnvState
) -> None:
    # Chaos Mesh selects pods once: after a rollout, app.latency's HTTPChaos would miss
    # the new pods, so it is deleted (recovered) and created again.
    entry = FaultManager(Path(env.state_dir)).inject("app.latency", {"ms": 200}, ttl_s=60)
    result = apply(Path(env.state_dir), "service.restart", action_id="a-1")
    assert [e.id for e in result.reasserted] == [entry.id]
    name = f"chaosdrill-{entry.id}"
    assert [r.method for r in fake.requests if r.path.endswith(f"/httpchaos/{name}")][-3:] == [
        "DELETE",
        "GET",
        "GET",
    ]
    assert len(fake.calls("POST", "/httpchaos")) == 2
    assert name in fake.objects("httpchaos")


def test_cleanup_by_label_with_no_record_deletes_only_what_chaosdrill_created(
    fake: FakeKube, env: EnvState, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from simulator.cli.main import cli

    (Path(env.state_dir) / "state.json").unlink()  # the record is lost
    foreign = {"metadata": {"name": "team-api", "labels": {"app": "team-api"}}}
    fake.store[("apps/v1", NAMESPACE, "deployments")]["team-api"] = foreign
    where = ["--namespace", NAMESPACE, "--api-url", fake.url]
    args = ["cleanup", "--state-dir", str(tmp_path / "none"), "--backend", "kubernetes", *where]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "kubernetes: deleted" in result.output
    assert fake.labelled(MANAGED_BY, "chaosdrill") == []
    assert "team-api" in fake.objects("deployments")


def test_the_responders_process_view_is_the_shops_pods(fake: FakeKube, env: EnvState) -> None:
    from simulator.drill.diagnostics import host

    def pod(name: str, ready: bool, restarts: int, waiting: str | None) -> dict[str, object]:
        state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
        status = {"name": "shop", "ready": ready, "restartCount": restarts, "image": "x"}
        status.update(imageID="", containerID="", state=state)
        return {
            "metadata": {"name": name, "labels": {"chaosdrill.io/target": "shop"}},
            "spec": {"containers": [{"name": "shop"}]},
            "status": {"phase": "Running", "containerStatuses": [status]},
        }

    fake.store[("v1", NAMESPACE, "pods")] = {
        "shop-a": pod("shop-a", False, 3, "CrashLoopBackOff"),
        "shop-b": pod("shop-b", False, 1, None),
    }

    def event(name: str, kind: str, about: str, reason: str, at: str) -> dict[str, object]:
        return {
            "metadata": {"name": name, "creationTimestamp": at},
            "involvedObject": {"kind": kind, "name": about},
            "type": "Warning" if reason == "BackOff" else "Normal",
            "reason": reason,
            "message": f"{reason} of {about}",
            "lastTimestamp": at,
            "count": 2,
        }

    fake.store[("v1", NAMESPACE, "events")] = {
        "e1": event("e1", "Pod", "shop-a", "BackOff", "2024-05-01T10:00:02Z"),
        "e2": event("e2", "Deployment", "shop", "ScalingReplicaSet", "2024-05-01T10:00:01Z"),
        "e3": event("e3", "Pod", "payment-x", "Pulled", "2024-05-01T10:00:03Z"),
    }
    fake.logs["shop-a"] = "\n".join(f'{{"msg": "line {i}"}}' for i in range(30))
    FaultManager(Path(env.state_dir)).inject("deploy.bad_release", {"version": "1.1.0"}, 300)

    view = host(env)["process"]
    assert view["state"] == "restarting" and view["ready"] == "0/2"
    assert view["restart_count"] == 4
    assert {p["name"] for p in view["pods"]} == {"shop-a", "shop-b"}
    # kubectl describe: the Deployment's and its pods' events, oldest first; not payment's
    assert [(e["object"], e["reason"]) for e in view["events"]] == [
        ("Deployment/shop", "ScalingReplicaSet"),
        ("Pod/shop-a", "BackOff"),
    ]
    # kubectl logs --tail: the first pod not ready, its last lines as text
    assert view["logs"]["pod"] == "shop-a"
    assert view["logs"]["lines"][-1] == '{"msg": "line 29"}' and len(view["logs"]["lines"]) == 20
    # kubectl rollout history: the release, then the bad one
    images = [r["image"].rsplit(":", 1)[1] for r in view["rollouts"]]
    assert [r["revision"] for r in view["rollouts"]] == [1, 2] and images[-1] == "1.1.0"


def test_extending_a_drill_moves_the_resources_spec_duration(fake: FakeKube, env: EnvState) -> None:
    manager = FaultManager(Path(env.state_dir))
    entry = manager.inject("network.loss", {"percent": 20}, ttl_s=60)
    manager.extend(120)
    patch = fake.calls("PATCH", f"/networkchaos/chaosdrill-{entry.id}")[-1]
    assert patch.content_type == "application/merge-patch+json"
    resource = fake.objects("networkchaos")[f"chaosdrill-{entry.id}"]
    seconds = int(resource["spec"]["duration"].removesuffix("s"))
    assert 179 <= seconds <= 182  # its age plus what is left: about 60 + 120


def test_db_lock_is_a_job_holding_the_lock_and_kill_long_queries_ends_it(
    fake: FakeKube, env: EnvState
) -> None:
    state_dir = Path(env.state_dir)
    entry = FaultManager(state_dir).inject("db.lock", {"table": "orders"}, ttl_s=90)
    job = fake.objects("jobs")[f"chaosdrill-{entry.id}-lock"]
    assert job["spec"]["activeDeadlineSeconds"] == 90  # its TTL on the cluster's side
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert 'LOCK TABLE "orders" IN SHARE MODE' in container["command"][-1]
    assert "pg_locks" in container["readinessProbe"]["exec"]["command"][-1]
    kubernetes_validate.validate(job, KUBERNETES_VERSION, strict=True)

    result = apply(state_dir, "db.kill_long_queries", action_id="a-1")
    assert "terminated the long-running database sessions" in result.detail
    assert [e.id for e in result.ended] == [entry.id]
    deletes = fake.calls("DELETE", f"/jobs/chaosdrill-{entry.id}-lock")
    assert deletes and deletes[0].query.get("propagationPolicy") == "Foreground"
    assert f"chaosdrill-{entry.id}-lock" not in fake.objects("jobs")
    environment.down(state_dir)
    assert fake.objects("jobs") == {}  # the kill Job too, by owner label


def test_extending_a_drill_moves_the_lock_jobs_deadline_and_the_session_waits_for_it(
    fake: FakeKube, env: EnvState
) -> None:
    manager = FaultManager(Path(env.state_dir))
    entry = manager.inject("db.lock", {"table": "orders"}, ttl_s=90)
    job = fake.objects("jobs")[f"chaosdrill-{entry.id}-lock"]
    # The session sleeps to the longest TTL: the Job's deadline alone ends it, so it can move.
    command = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "pg_sleep(86400)" in command
    env_vars = job["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "PGOPTIONS", "value": "-c client_connection_check_interval=1000"} in env_vars
    job["status"]["startTime"] = (datetime.now(UTC) - timedelta(seconds=30)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )  # the Job has run for 30 s
    manager.extend(120)
    assert fake.calls("PATCH", f"/jobs/chaosdrill-{entry.id}-lock")
    deadline = fake.objects("jobs")[f"chaosdrill-{entry.id}-lock"]["spec"]["activeDeadlineSeconds"]
    assert 238 <= deadline <= 242  # its age plus what is left: 30 + 90 + 120
    manager.revert(entry.id, "manual")
    assert fake.objects("jobs") == {}


def test_a_lock_that_is_never_held_fails_and_its_job_is_deleted(
    fake: FakeKube, env: EnvState, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_jobs, "JOB_BOUND_S", 0.3)
    monkeypatch.setattr(sql_jobs, "POLL_S", 0.01)
    fake.job_policy = "never"
    with pytest.raises(FaultError, match=r"did not hold its lock within 0\.3s"):
        FaultManager(Path(env.state_dir)).inject("db.lock", {}, ttl_s=60)
    assert fake.objects("jobs") == {}


def test_feature_disable_patches_the_configmap_and_rolls_the_shop_out(
    fake: FakeKube, env: EnvState
) -> None:
    state_dir = Path(env.state_dir)
    shop = fake.objects("deployments")["shop"]
    container = shop["spec"]["template"]["spec"]["containers"][0]
    assert {"configMapRef": {"name": "shop-features"}} in container["envFrom"]
    revisions = len(fake.objects("replicasets"))
    latency = FaultManager(state_dir).inject(
        "app.latency", {"ms": 300, "routes": ["/recommendations"]}, ttl_s=60
    )
    other = FaultManager(state_dir).inject(
        "app.error_rate", {"routes": ["/orders"], "fraction": 0.5}, ttl_s=60
    )
    result = apply(state_dir, "feature.disable", "recommendations", action_id="a-1")
    assert "configmap/shop-features" in result.detail and "rollout finished" in result.detail
    features = fake.objects("configmaps")["shop-features"]["data"]
    assert features == {"TARGET_DISABLED_FEATURES": "recommendations"}
    # The pods read their environment at start: a rollout of new pods, waited for.
    assert rollout.RESTARTED_AT in shop["spec"]["template"]["metadata"]["annotations"]
    assert len(fake.objects("replicasets")) == revisions + 1
    assert [e.id for e in result.ended] == [latency.id]
    # The fault outside the feature stays, re-created so that the new pods are selected.
    assert [e.id for e in result.reasserted] == [other.id]
    assert f"chaosdrill-{other.id}" in fake.objects("httpchaos")
    assert len(fake.calls("POST", "/httpchaos")) == 3  # two faults, one re-created
    apply(state_dir, "feature.disable", "search_ranking", action_id="a-2")
    features = fake.objects("configmaps")["shop-features"]["data"]
    assert features == {"TARGET_DISABLED_FEATURES": "recommendations,search_ranking"}
    with pytest.raises(FaultError, match="takes a feature name"):
        apply(state_dir, "feature.disable", "nope", action_id="a-3")
    environment.down(state_dir)
    assert fake.objects("configmaps") == {}  # ours, by owner label
