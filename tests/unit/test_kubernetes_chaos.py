"""Every fault kind on Kubernetes: a Chaos Mesh resource that validates against its CRD's
schema for every corner of its parameters, done with the API directly, or refused in one
sentence. The upstream examples validate too (the validator accepts what the API server
accepts) and a deliberately wrong manifest fails (it is not vacuous)."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pydantic import BaseModel

from scoring.names import FAULT_KINDS
from simulator.cli.main import cli
from simulator.faults.errors import NotApplicable
from simulator.kubernetes import chaos
from simulator.kubernetes.chaos import Scope
from simulator.kubernetes.kinds import (
    BadRelease,
    ChaosMeshFault,
    KubernetesKind,
    NoKubernetesForm,
    kubernetes_kinds,
)
from simulator.kubernetes.labels import FAULT_LABEL, OWNER_LABEL, TARGET_LABEL
from tests.chaos_schema import examples, problems

SCOPE = Scope(namespace="chaosdrill", env_id="e-test")
KINDS = kubernetes_kinds()


def _corners(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The defaults, then each field at its bounds (and each choice of a Literal)."""
    values: dict[str, list[Any]] = {}
    for name, info in model.model_fields.items():
        found: list[Any] = []
        for meta in info.metadata:
            for bound in ("gt", "ge", "lt", "le"):
                limit = getattr(meta, bound, None)
                if limit is not None:
                    nudge = {"gt": 0.01, "lt": -0.01}.get(bound, 0)
                    found.append(limit + nudge)
        choices = getattr(info.annotation, "__args__", ())
        if all(isinstance(c, str) for c in choices) and choices:
            found += list(choices)
        if name == "routes":
            found += [[], ["/recommendations"], ["/api/products", "/api/orders"]]
        if name == "version":
            found += ["1.1.0", "10.20.30"]
        values[name] = found
    corners: list[dict[str, Any]] = [{}]
    for name, found in values.items():
        corners += [{name: value} for value in found]
    return corners


def _cases() -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, corner)
        for name, kind in sorted(KINDS.items())
        if isinstance(kind, ChaosMeshFault)
        for corner in _corners(kind.params_model)
    ]


def test_every_contract_kind_has_a_form_or_a_refusal() -> None:
    assert set(KINDS) == set(FAULT_KINDS)
    for name in FAULT_KINDS:
        in_tables = (name in chaos.MAPPINGS) + (name in chaos.DIRECT) + (name in chaos.REFUSED)
        assert in_tables == 1, name


@pytest.mark.parametrize(("kind_name", "raw"), _cases())
def test_every_generated_manifest_validates_against_its_crd(
    kind_name: str, raw: dict[str, Any]
) -> None:
    kind = KINDS[kind_name]
    assert isinstance(kind, ChaosMeshFault)
    params = kind.params_model.model_validate(raw)
    try:
        manifests = kind.manifests(params, 90.5, "f-0123abcd", SCOPE)
    except NotApplicable as exc:  # a parameter with no Chaos Mesh counterpart
        assert kind_name == "app.latency" and "jitter_ms" in str(exc)
        return
    assert manifests
    for manifest in manifests:
        assert problems(manifest) == []
        labels = manifest["metadata"]["labels"]
        assert labels[OWNER_LABEL] == "e-test" and labels[FAULT_LABEL] == "f-0123abcd"
        assert manifest["spec"]["duration"] == "91s"  # the TTL, on the cluster's side
        assert manifest["spec"]["selector"]["namespaces"] == ["chaosdrill"]
        selected = manifest["spec"]["selector"]["labelSelectors"][TARGET_LABEL]
        assert selected in ("shop", "payment", "database")


def test_the_mapping_reads_as_the_docs_table_says() -> None:
    def one(kind_name: str, **raw: Any) -> dict[str, Any]:
        kind = KINDS[kind_name]
        assert isinstance(kind, KubernetesKind)
        return kind.manifests(kind.params_model.model_validate(raw), 60, "f-1", SCOPE)[0]

    assert one("app.crash")["spec"]["action"] == "pod-kill"
    assert one("app.hang")["spec"]["action"] == "pod-failure"
    error = one("app.error_rate", status=503, routes=["/recommendations"], fraction=1.0)
    assert error["spec"]["replace"] == {"code": 503}
    assert error["spec"]["path"] == "/recommendations*" and error["spec"]["mode"] == "all"
    assert one("app.latency", ms=250)["spec"]["delay"] == "250ms"
    db = one("db.latency", ms=300, jitter_ms=20)["spec"]
    assert (db["action"], db["delay"]["latency"], db["delay"]["jitter"]) == (
        "delay",
        "300ms",
        "20ms",
    )
    assert db["target"]["selector"]["labelSelectors"][TARGET_LABEL] == "database"
    assert one("db.down")["spec"]["action"] == "partition"
    assert one("dependency.down")["spec"]["target"]["selector"]["labelSelectors"] == {
        TARGET_LABEL: "payment"
    }
    assert one("network.loss", percent=12.5)["spec"]["loss"]["loss"] == "12.5"
    assert one("app.cpu_burn", threads=3, duty=0.5)["spec"]["stressors"]["cpu"] == {
        "workers": 3,
        "load": 50,
    }
    assert one("disk.full")["spec"]["errno"] == 28
    release = one("deploy.bad_release", version="1.1.0")
    assert release["kind"] == "Deployment"
    assert release["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.1.0")
    assert isinstance(KINDS["deploy.bad_release"], BadRelease)


@pytest.mark.parametrize("kind_name", sorted(chaos.REFUSED))
def test_refused_kinds_say_why_in_one_sentence(kind_name: str) -> None:
    kind = KINDS[kind_name]
    assert isinstance(kind, NoKubernetesForm)
    refusal = f"^{re.escape(kind_name)} has no Kubernetes form: "
    with pytest.raises(NotApplicable, match=refusal) as info:
        kind.manifests(kind.params_model.model_construct(), 60, "f-1", SCOPE)  # never read
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "manifest"), examples())
def test_the_upstream_examples_validate(name: str, manifest: dict[str, Any]) -> None:
    assert problems(manifest) == [], name


def test_a_deliberately_wrong_manifest_fails() -> None:
    kind = KINDS["db.latency"]
    assert isinstance(kind, ChaosMeshFault)
    good = kind.manifests(kind.params_model(), 60, "f-1", SCOPE)[0]
    assert problems(good) == []
    wrong_cases = []
    for path, value in [
        (("spec", "action"), "slow"),  # not in the enum
        (("spec", "delay", "latency"), "300"),  # no unit: the pattern refuses it
        (("spec", "mode"), "every"),
        (("spec", "delay", "latencyy"), "1ms"),  # a misspelt field the API would prune
    ]:
        wrong = copy.deepcopy(good)
        holder = wrong
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value
        wrong_cases.append(wrong)
    missing = copy.deepcopy(good)
    del missing["spec"]["selector"]
    wrong_cases.append(missing)
    for wrong in wrong_cases:
        assert problems(wrong), wrong["spec"]


def test_fault_inject_dry_run_prints_the_resources() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "fault", "inject", "app.error_rate", "-p", "routes=[/a, /b]", "-p", "status=503",
            "--ttl", "2m", "--backend", "kubernetes", "--namespace", "chaosdrill-x",
            "--dry-run", "-o", "yaml",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    docs = [d for d in yaml.safe_load_all(result.output) if d]
    assert [d["spec"]["path"] for d in docs] == ["/a*", "/b*"]
    assert all(d["spec"]["duration"] == "120s" and problems(d) == [] for d in docs)
    refused = CliRunner().invoke(
        cli, ["fault", "inject", "db.pool_exhaustion", "--backend", "kubernetes", "--dry-run"]
    )
    assert refused.exit_code == 2 and "has no Kubernetes form" in refused.output


def test_parameter_corners_cover_every_field() -> None:
    # The corner generator itself: each kind's fields each get at least one value.
    for name, kind in KINDS.items():
        if not isinstance(kind, ChaosMeshFault):
            continue
        fields = set(kind.params_model.model_fields)
        seen = set(itertools.chain.from_iterable(c.keys() for c in _corners(kind.params_model)))
        assert fields <= seen | {"dependency"}, name
