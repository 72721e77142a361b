"""`env up --backend kubernetes --dry-run -o yaml` prints the objects that `env up` would
apply, and every one of them validates with kubernetes-validate (strict: no field the
Kubernetes schema does not know) for the version the manifests target."""

from __future__ import annotations

import copy
import json
from typing import Any

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from simulator.cli.main import cli
from simulator.kubernetes.labels import KUBERNETES_VERSION, MANAGED_BY, OWNER_LABEL, TARGET_LABEL
from simulator.kubernetes.manifests import new_secrets, render


def _dry_run(*extra: str) -> list[dict[str, Any]]:
    args = ["env", "up", "--backend", "kubernetes", "--dry-run", *extra]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [doc for doc in yaml.safe_load_all(result.output) if doc]


def _validate(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_every_object_the_dry_run_prints_validates() -> None:
    objects = _dry_run("--namespace", "chaosdrill-team", "-o", "yaml")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    # The list: shop, payment primary and backup, PostgreSQL with a PVC,
    # Locust master and workers, the console, and the Role chaosdrill acts under.
    for wanted in [
        ("Deployment", "shop"),
        ("Service", "shop"),
        ("Deployment", "payment-primary"),
        ("Deployment", "payment-backup"),
        ("StatefulSet", "postgres"),
        ("Deployment", "locust-master"),
        ("Deployment", "locust-worker"),
        ("Deployment", "chaosdrill-console"),
        ("Role", "chaosdrill"),
        ("RoleBinding", "chaosdrill"),
        ("Secret", "chaosdrill-secrets"),
    ]:
        assert wanted in kinds
    for obj in objects:
        _validate(obj)
        assert obj["metadata"]["namespace"] == "chaosdrill-team"
        assert obj["metadata"]["labels"][MANAGED_BY] == "chaosdrill"
        assert OWNER_LABEL in obj["metadata"]["labels"]


def test_the_dry_run_prints_placeholders_never_a_secret_value() -> None:
    objects = _dry_run("-o", "yaml")
    secret = next(o for o in objects if o["kind"] == "Secret")
    values = secret["stringData"]
    assert set(values) == set(new_secrets())
    assert values["database-url"] == (
        "postgresql+psycopg://chaosdrill:generated-at-env-up@postgres:5432/shop"
    )
    assert {v for k, v in values.items() if k != "database-url"} == {"generated-at-env-up"}
    assert "env up generates" in secret["metadata"]["annotations"]["chaosdrill.io/values"]
    # env up itself renders real values, and no placeholder note
    real = next(
        o for o in render("chaosdrill", "e-1", new_secrets(), "1.0.0") if o["kind"] == "Secret"
    )
    assert "generated-at-env-up" not in str(real) and "annotations" not in real["metadata"]


def test_json_output_is_a_list_of_the_same_objects() -> None:
    result = CliRunner().invoke(
        cli, ["env", "up", "--backend", "kubernetes", "--dry-run", "-o", "json"]
    )
    listed = json.loads(result.output)
    assert listed["kind"] == "List"
    assert [o["kind"] for o in listed["items"]] == [o["kind"] for o in _dry_run()]


def test_the_shop_has_probes_limits_scrape_annotations_and_the_allow_list_label() -> None:
    objects = render("chaosdrill", "e-1", new_secrets(), "1.2.3")
    shop = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "shop")
    pod = shop["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["limits"] and container["resources"]["requests"]
    assert container["image"].endswith(":1.2.3")
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert pod["metadata"]["labels"][TARGET_LABEL] == "shop"
    claim = next(o for o in objects if o["kind"] == "StatefulSet")["spec"]["volumeClaimTemplates"]
    assert claim[0]["metadata"]["labels"][OWNER_LABEL] == "e-1"  # PVCs are deleted too


def test_the_role_is_namespaced_and_grants_no_wildcards() -> None:
    objects = render("chaosdrill", "e-1", new_secrets(), "1.0.0")
    assert not [o for o in objects if o["kind"].startswith("Cluster")]
    role = next(o for o in objects if o["kind"] == "Role")
    for rule in role["rules"]:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]


def test_the_validator_is_not_vacuous() -> None:
    shop = next(o for o in _dry_run() if o["kind"] == "Deployment")
    wrong = copy.deepcopy(shop)
    wrong["spec"]["replica"] = wrong["spec"].pop("replicas")  # a typo the API would drop
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(wrong)
    wrong = copy.deepcopy(shop)
    wrong["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(wrong)


def test_a_namespace_off_the_allow_list_is_refused_before_anything() -> None:
    result = CliRunner().invoke(
        cli, ["env", "up", "--backend", "kubernetes", "--namespace", "kube-system", "--dry-run"]
    )
    assert result.exit_code == 2
    assert "not on the allow-list" in result.output
    allowed = CliRunner().invoke(
        cli,
        ["env", "up", "--backend", "kubernetes", "--namespace", "staging", "--dry-run"],
        env={"CHAOSDRILL_K8S_NAMESPACES": "staging qa-*"},
    )
    assert allowed.exit_code == 0, allowed.output


def test_dry_run_on_a_platform_without_manifests_says_so() -> None:
    result = CliRunner().invoke(cli, ["env", "up", "--dry-run"])
    assert result.exit_code == 2
    assert "applies none" in result.output


@pytest.mark.parametrize("command", [["run", "app-crash"], ["verify"]])
def test_a_whole_drill_on_kubernetes_is_refused_in_one_sentence(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--backend", "kubernetes"])
    assert result.exit_code == 2
    assert "a whole drill on --backend kubernetes needs the team's Prometheus" in result.output
    assert result.output.count("\n") == 1


def test_the_kind_overlay_builds_on_the_base_and_names_every_secret_key() -> None:
    from simulator.kubernetes.manifests import DEPLOY_DIR

    overlay = DEPLOY_DIR / "overlays" / "kind"
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text())
    for resource in kustomization["resources"]:
        assert (overlay / resource / "kustomization.yaml").is_file()
    pairs = kustomization["labels"][0]["pairs"]
    assert pairs[MANAGED_BY] == "chaosdrill" and OWNER_LABEL in pairs
    example = (overlay / "secrets.env.example").read_text().split()
    assert {line.split("=", 1)[0] for line in example} == set(new_secrets())


def test_the_sql_jobs_validate() -> None:
    from simulator.kubernetes.chaos import Scope
    from simulator.kubernetes.sql_jobs import kill_job, lock_job

    scope = Scope("chaosdrill", "e-1")
    lock = lock_job("products", 45.2, "f-1", scope)
    _validate(lock)
    assert lock["spec"]["activeDeadlineSeconds"] == 46
    _validate(kill_job(scope, "1700000000"))


def test_choosing_among_platforms_does_not_load_the_kubernetes_client() -> None:
    # Scenario validation asks every platform whether it has a form of a kind: that
    # must not cost the seconds the `kubernetes` client's models take to load.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from simulator.faults.registry import has_form\n"
        "assert has_form('app.latency', 'kubernetes')\n"
        "print('kubernetes' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
