"""`chaosdrill fault kinds | inject | list | revert` and `chaosdrill cleanup`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click
import yaml
from rich.console import Console
from rich.table import Table

from scoring.durations import parse_duration
from scoring.yaml_guard import YamlRefused, safe_load_text
from simulator.cli.cluster_options import (
    cluster_fields,
    cluster_options,
    dry_options,
    dry_run_options,
    print_manifests,
    renderer,
)
from simulator.cli.errors import fail, user_errors
from simulator.cli.options import json_option, resolve_state_dir, state_dir_option
from simulator.env.state import DEFAULT_STATE_ROOT
from simulator.faults.manager import DEFAULT_TTL_S, FaultManager
from simulator.faults.registry import get_kind, parse_params, registry_for
from simulator.faults.session import FaultSession, Interrupted
from simulator.platform.base import Sweeps
from simulator.platform.registry import DEFAULT, NAMES, platform_for


@click.group()
def fault() -> None:
    """Inject and revert faults by hand, to explore."""


@fault.command()
@click.option(
    "--backend",
    type=click.Choice(sorted(NAMES)),
    default=DEFAULT,
    show_default=True,
    help="Which backend's kinds to list.",
)
@json_option
def kinds(backend: str, as_json: bool) -> None:
    """List the fault kinds with their parameters."""
    rows: list[dict[str, Any]] = []
    for name, kind in sorted(registry_for(backend).items()):
        params = {
            f: info.get_default(call_default_factory=True)
            for f, info in kind.params_model.model_fields.items()
        }
        rows.append({"kind": name, "summary": kind.summary, "params": params})
    if as_json:
        click.echo(json.dumps(rows, default=str))
        return
    table = Table(title=f"fault kinds ({backend} backend)")
    for column in ("kind", "parameters (defaults)", "what it does"):
        table.add_column(column)
    for row in rows:
        shown = ", ".join(f"{k}={v}" for k, v in row["params"].items()) or "-"
        table.add_row(str(row["kind"]), shown, str(row["summary"]))
    Console().print(table)


def parse_param_pairs(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`k=v` pairs; values read as YAML scalars so numbers, booleans and lists work."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param takes key=value, not '{pair}'")
        try:
            params[key.strip()] = safe_load_text(value)
        except YamlRefused as exc:  # an alias bomb in a parameter: refused, not expanded
            raise ValueError(f"--param {key.strip()}: {exc}") from exc
        except yaml.YAMLError:
            params[key.strip()] = value
    return params


@fault.command()
@click.argument("kind")
@click.option("--param", "-p", "pairs", multiple=True, help="A parameter, key=value.")
@click.option(
    "--ttl",
    default=f"{DEFAULT_TTL_S:.0f}s",
    show_default=True,
    help="The fault reverts itself after this long, whatever happens.",
)
@click.option(
    "--hold", is_flag=True, help="Stay in the foreground; revert on Ctrl-C, SIGTERM or at the TTL."
)
@click.option(
    "--backend",
    type=click.Choice(NAMES),
    default=None,
    help="With --dry-run: the platform whose manifests to print (the environment's own otherwise).",
)
@cluster_options
@dry_run_options
@state_dir_option
@json_option
@user_errors
def inject(
    kind: str,
    pairs: tuple[str, ...],
    ttl: str,
    hold: bool,
    backend: str | None,
    dry_run: bool,
    output: str,
    state_dir: Path | None,
    as_json: bool,
    **cluster: object,
) -> None:
    """Inject a fault of KIND into the running environment."""
    ttl_s = parse_duration(ttl)
    params = parse_param_pairs(pairs)
    if dry_run:
        name = backend or FaultManager(resolve_state_dir(state_dir)).backend_name()
        found = get_kind(kind, name)
        options = dry_options(resolve_state_dir(state_dir), name, cluster_fields(cluster))
        objects = renderer(name).render_fault(
            found.name, parse_params(found, params), ttl_s, options
        )
        print_manifests(objects, output)
        return
    if hold:
        _hold(resolve_state_dir(state_dir), kind, params, ttl_s)
        return
    entry = FaultManager(resolve_state_dir(state_dir)).inject(kind, params, ttl_s)
    if as_json:
        click.echo(entry.model_dump_json())
        return
    click.echo(
        f"injected {entry.kind} as {entry.id} on {entry.target}; reverts itself in {ttl_s:.0f}s"
    )


def _hold(state_dir: Path, kind: str, params: dict[str, Any], ttl_s: float) -> None:
    """Inject, then wait in the foreground; the session reverts however we leave."""
    try:
        with FaultSession(state_dir) as session:
            entry = session.inject(kind, params, ttl_s)
            click.echo(f"injected {entry.kind} as {entry.id}; Ctrl-C reverts it", err=True)
            deadline = time.monotonic() + ttl_s
            while time.monotonic() < deadline:
                time.sleep(0.1)
    except Interrupted as exc:
        click.echo(f"{exc}; reverted", err=True)
        return
    click.echo("ttl reached; reverted", err=True)


@fault.command(name="list")
@state_dir_option
@json_option
@user_errors
def list_faults(state_dir: Path | None, as_json: bool) -> None:
    """List the faults that are injected now."""
    manager = FaultManager(resolve_state_dir(state_dir))
    entries = manager.active()
    if as_json:
        click.echo(json.dumps([e.model_dump() for e in entries]))
        return
    table = Table(title="active faults")
    for column in ("id", "kind", "target", "params", "ttl left", "in effect"):
        table.add_column(column)
    for entry in entries:
        try:
            effect = "yes" if manager.is_active(entry) else "no"
        except Exception as exc:  # the target may be unreachable: say so, keep listing
            effect = f"? ({type(exc).__name__})"
        table.add_row(
            entry.id,
            entry.kind,
            entry.target,
            json.dumps(entry.params),
            f"{max(0, entry.ttl_left()):.0f}s",
            effect,
        )
    Console().print(table)


@fault.command()
@click.argument("fault_id", required=False)
@click.option("--all", "revert_all", is_flag=True, help="Revert every active fault.")
@state_dir_option
@user_errors
def revert(fault_id: str | None, revert_all: bool, state_dir: Path | None) -> None:
    """Revert one fault by id, or all of them."""
    manager = FaultManager(resolve_state_dir(state_dir))
    if revert_all:
        done = manager.revert_all(reason="manual")
        click.echo(f"reverted {len(done)} fault(s)")
        return
    if not fault_id:
        fail("name a fault id (see `chaosdrill fault list`) or use --all")
    entry = manager.revert(str(fault_id), reason="manual")
    click.echo(f"reverted {entry.id} ({entry.kind})")


@click.command()
@state_dir_option
@click.option(
    "--backend",
    type=click.Choice(NAMES),
    default=None,
    help="kubernetes: also delete, by owner label, what chaosdrill created in --namespace "
    "that no record here knows (drills still running are left alone).",
)
@cluster_options
@user_errors
def cleanup(state_dir: Path | None, backend: str | None, **cluster: object) -> None:
    """Leave nothing behind: every environment under ./.chaosdrill (or the one given).

    For each environment whose drill engine is not running (a manual `env up`,
    a killed drill, one already abandoned): revert its faults, stop its
    processes or containers, unmount its data directory and remove its record.
    Drills still running are left alone. Safe to run any time.
    """
    from simulator.faults.cleanup import cleanup_all, cleanup_environment, running_env_ids

    if state_dir is not None:
        lines = cleanup_environment(resolve_state_dir(state_dir))
    else:
        lines = cleanup_all(DEFAULT_STATE_ROOT.resolve())
    for line in lines:
        click.echo(line)
    if backend is not None:
        platform = platform_for(backend)
        if not isinstance(platform, Sweeps):
            fail(f"the {backend} backend leaves nothing outside its records to sweep")
        assert isinstance(platform, Sweeps)
        options = dry_options(resolve_state_dir(state_dir), backend, cluster_fields(cluster))
        swept = platform.sweep(options, running_env_ids(DEFAULT_STATE_ROOT.resolve()))
        click.echo(
            f"{backend}: deleted {len(swept)} object(s) by owner label"
            + (f": {', '.join(swept)}" if swept else "")
        )
