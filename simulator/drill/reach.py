"""How a drill reaches its target when that is not on this host: a cluster.

On the local and docker platforms the engine's load and detector reach the shop on
127.0.0.1, and the triage watch reads its access log from the environment's
directory. On Kubernetes the shop (or a team's own Deployment) is a Service inside
the cluster, so a whole drill needs three things named by the facilitator:

- where the platform acts: the cluster options (`--namespace`, `--kubeconfig`,
  `--context`, `--api-url`, `--own-deployment`, the allow-list), and a scenario's
  own `target: {namespace, deployment, selector}`, which wins;
- where load goes: off (`--no-load`: the team's own traffic) or a URL they name
  (`--load-url`, e.g. an Ingress or a `kubectl port-forward`);
- where the SLIs and alerts come from: the team's Prometheus (`--detector prometheus
  --prometheus-url URL`), queried, since this host cannot scrape the cluster; with the
  team's own PromQL for the SLIs (a scenario's `target.slis`, `--sli-queries FILE`:
  simulator.prometheus.sli_queries) when its metrics are not the shop's.

`refusal()` is the one sentence `run` and `verify` print when one is missing, and
`scenario_refusal()` the located sentence for a scenario that targets something this
drill may not touch or asks for what only a shop on this host gives (customer tickets
and the storefront check read its access log and its page); both before anything is
created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.platform.base import Namespaced, NoWholeDrills
from simulator.platform.registry import platform_for
from simulator.scenario.loader import ScenarioError
from simulator.scenario.model import Scenario, Target

__all__ = ["Reach", "queries_slis", "refusal", "scenario_refusal"]


@dataclass(frozen=True)
class Reach:
    """The cluster options and where the load goes (the defaults: the local shop)."""

    # EnvOptions fields of the platforms that apply manifests (cluster_options.cluster_fields)
    cluster: dict[str, Any] = field(default_factory=dict)
    load_url: str | None = None  # Locust aims here instead of the environment's shop
    no_load: bool = False  # no Locust: the team's own traffic is the load
    sli_file: Path | None = None  # --sli-queries: the team's PromQL for the SLIs

    def env_fields(self, target: Target) -> dict[str, Any]:
        """The EnvOptions fields, the scenario's own target (a team's service) first."""
        fields = dict(self.cluster)
        if target.namespace is not None:
            fields["namespace"] = target.namespace
        if target.deployment is not None:
            fields["own_deployment"] = target.deployment
        if target.selector is not None:
            fields["own_selector"] = dict(target.selector)
        return fields

    def load_host(self, shop_url: str) -> str | None:
        """Where Locust aims, or None when the drill brings no load."""
        return None if self.no_load else self.load_url or shop_url


def refusal(backend: str, detector: str, prometheus_url: str | None, reach: Reach) -> str | None:
    """Why a whole drill cannot run with these options, in one sentence, or None."""
    platform = platform_for(backend)
    if not isinstance(platform, NoWholeDrills):
        if reach.no_load or reach.load_url:
            return f"--no-load and --load-url are for --backend kubernetes, not {backend}"
        if reach.sli_file is not None:
            return (
                f"--sli-queries names the SLIs queried from a cluster's Prometheus; on "
                f"--backend {backend} they are measured here: drop it or use --backend kubernetes"
            )
        return None
    if reach.no_load and reach.load_url:
        return "--no-load and --load-url contradict each other; pass one"
    if detector != "prometheus" or not prometheus_url or not (reach.no_load or reach.load_url):
        return platform.whole_drill_refused
    return None


def queries_slis(backend: str) -> bool:
    """Whether the SLIs come from the Prometheus's query API: the target cannot be
    scraped from this host."""
    return isinstance(platform_for(backend), NoWholeDrills)


def scenario_refusal(scenario: Scenario, backend: str, reach: Reach) -> str | None:
    """A scenario whose target is a team's own service: only on Kubernetes, only in an
    allow-listed namespace, not against a different --namespace / --own-deployment.
    On a cluster, no reports that read the shop from this host."""
    target = scenario.target
    if isinstance(platform_for(backend), NoWholeDrills):
        reports = scenario.reports
        for name in ("customer_tickets", "storefront_check"):
            if getattr(reports, name):
                return _located(
                    scenario,
                    ("reports", name),
                    f"it reads the shop's access log and page on this host, which a drill on "
                    f"--backend {backend} cannot; set it to false for this drill",
                )
    if target.namespace is None:
        return None
    platform = platform_for(backend)
    if not isinstance(platform, Namespaced):
        return _located(
            scenario,
            ("target", "namespace"),
            "the target is a namespace of a cluster; run it with --backend kubernetes",
        )
    given = {
        "namespace": reach.cluster.get("namespace"),
        "deployment": reach.cluster.get("own_deployment"),
    }
    for name, option in (("namespace", "--namespace"), ("deployment", "--own-deployment")):
        wanted = getattr(target, name)
        if given[name] is not None and wanted is not None and given[name] != wanted:
            return _located(
                scenario,
                ("target", name),
                f"the scenario targets {name} '{wanted}' and {option} names '{given[name]}'; "
                f"drop {option} or change the scenario",
            )
    allowed = tuple(reach.cluster.get("allowed_namespaces") or ())
    problem = platform.namespace_refusal(target.namespace, allowed)
    return None if problem is None else _located(scenario, ("target", "namespace"), problem)


def _located(scenario: Scenario, loc: tuple[str, str], problem: str) -> str:
    """`file:line: a.b: problem`, as the scenario loader words its errors."""
    where = ".".join(loc)
    if scenario.source is None:
        return f"{scenario.id}: {where}: {problem}"
    from scoring.playbook import load_located_yaml

    located = load_located_yaml(Path(scenario.source), ScenarioError, what="scenario")
    return f"{scenario.source}:{located.line_of(loc)}: {where}: {problem}"
