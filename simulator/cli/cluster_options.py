"""Options of the platforms that apply manifests (kubernetes), `--dry-run -o yaml`, and
for a whole drill there, where its load goes (`--no-load`, `--load-url`) and the team's
PromQL for its SLIs (`--sli-queries`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import yaml

from simulator.cli.errors import fail
from simulator.drill.reach import Reach
from simulator.env.lifecycle import EnvOptions
from simulator.platform.base import Renders
from simulator.platform.registry import platform_for

_OPTIONS = (
    click.option(
        "--namespace",
        envvar="CHAOSDRILL_K8S_NAMESPACE",
        help="kubernetes: the namespace to act in (default chaosdrill); must be allow-listed.",
    ),
    click.option("--kubeconfig", type=click.Path(dir_okay=False), help="kubernetes: kubeconfig."),
    click.option("--context", help="kubernetes: the kubeconfig context to use."),
    click.option(
        "--api-url",
        help="kubernetes: an API URL that needs no credentials, e.g. `kubectl proxy`'s "
        "http://127.0.0.1:8001.",
    ),
    click.option(
        "--own-deployment",
        help="kubernetes: drill this Deployment of the team's own in --namespace instead of "
        "deploying the shop (faults select its pods, remediations roll it out).",
    ),
    click.option(
        "--allow-namespace",
        "allowed",
        multiple=True,
        envvar="CHAOSDRILL_K8S_NAMESPACES",
        help="kubernetes: namespaces (glob) a drill may act in (default chaosdrill, chaosdrill-*).",
    ),
)
_DRY_RUN = (
    click.option("--dry-run", is_flag=True, help="Print what would be applied; apply nothing."),
    click.option(
        "-o",
        "--output",
        type=click.Choice(["yaml", "json"]),
        default="yaml",
        show_default=True,
        help="With --dry-run: the format of the manifests.",
    ),
)


_LOAD = (
    click.option(
        "--no-load",
        is_flag=True,
        help="kubernetes: start no Locust; the team's own traffic is the load.",
    ),
    click.option(
        "--load-url",
        metavar="URL",
        help="kubernetes: aim the drill's Locust at this URL (an Ingress, a port-forward) "
        "instead of the shop.",
    ),
    click.option(
        "--sli-queries",
        "sli_file",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="kubernetes: YAML of the team's PromQL for the SLIs (rps, error_rate, p50_ms, "
        "p99_ms, availability); a scenario's target.slis wins; default: the shop's metrics.",
    ),
)


def drill_cluster_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The cluster options and the load's: `run` and `verify` on a cluster."""
    for option in reversed(_LOAD):
        func = option(func)
    return cluster_options(func)


def reach_of(kwargs: dict[str, Any]) -> Reach:
    """The drill's Reach out of the command's keyword arguments (removed from them)."""
    no_load, load_url = kwargs.pop("no_load"), kwargs.pop("load_url")
    sli_file = kwargs.pop("sli_file")
    return Reach(cluster_fields(kwargs), load_url=load_url, no_load=no_load, sli_file=sli_file)


def cluster_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_OPTIONS):
        func = option(func)
    return func


def dry_run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_DRY_RUN):
        func = option(func)
    return func


def cluster_fields(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The EnvOptions fields out of the command's keyword arguments (removed from them)."""
    allowed = kwargs.pop("allowed")
    if isinstance(allowed, str):  # one value from the environment variable
        allowed = tuple(allowed.split())
    return {
        "namespace": kwargs.pop("namespace"),
        "kubeconfig": kwargs.pop("kubeconfig"),
        "context": kwargs.pop("context"),
        "api_url": kwargs.pop("api_url"),
        "own_deployment": kwargs.pop("own_deployment"),
        "allowed_namespaces": tuple(allowed),
    }


def renderer(backend: str) -> Renders:
    platform = platform_for(backend)
    if not isinstance(platform, Renders):
        fail(
            f"--dry-run prints manifests, and the {backend} backend applies none; "
            "use --backend kubernetes"
        )
    assert isinstance(platform, Renders)
    return platform


def print_manifests(objects: list[dict[str, Any]], output: str) -> None:
    if output == "json":
        click.echo(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}, indent=2))
        return
    click.echo(yaml.safe_dump_all(objects, sort_keys=False), nl=False)


def dry_options(state_dir: Path, backend: str, fields: dict[str, Any]) -> EnvOptions:
    return EnvOptions(state_dir=state_dir, backend=backend, **fields)
