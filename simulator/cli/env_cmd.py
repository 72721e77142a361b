"""`chaosdrill env up | status | down`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from simulator.cli.cluster_options import (
    cluster_fields,
    cluster_options,
    dry_run_options,
    print_manifests,
    renderer,
)
from simulator.cli.errors import fail, user_errors
from simulator.cli.options import json_option, resolve_state_dir, state_dir_option
from simulator.env import lifecycle
from simulator.env.inventory import FoundEnv, find_environments, inspect
from simulator.env.state import DEFAULT_STATE_ROOT
from simulator.platform import environment
from simulator.platform.registry import DEFAULT, NAMES


@click.group()
def env() -> None:
    """Stand up and tear down the drill environment on 127.0.0.1."""


@env.command()
@state_dir_option
@click.option(
    "--database-url",
    envvar="CHAOSDRILL_DATABASE_URL",
    help="PostgreSQL URL (postgresql+psycopg://...); SQLite when omitted.",
)
@click.option(
    "--version",
    "app_version",
    default="1.0.0",
    show_default=True,
    help="Release of the shop to start.",
)
@click.option("--seed", default=42, show_default=True, help="Seed of the shop's data.")
@click.option(
    "--disk-limit-mb",
    default=lifecycle.DEFAULT_DISK_MB,
    show_default=True,
    help="Size of the tmpfs for the data directory (root only; 0 = none).",
)
@click.option(
    "--backend",
    type=click.Choice(NAMES),
    default=DEFAULT,
    show_default=True,
    envvar="CHAOSDRILL_BACKEND",
    help="local: processes on 127.0.0.1; docker: a compose project of docker-compose.yml "
    "(--database-url with any value then means the stack's own PostgreSQL); kubernetes: "
    "deploy/kubernetes in --namespace, faults through Chaos Mesh.",
)
@click.option(
    "--load-users",
    default=0,
    show_default=True,
    help="Keep Locust load of this many users on the shop until `env down`.",
)
@cluster_options
@dry_run_options
@json_option
@user_errors
def up(
    state_dir: Path | None,
    database_url: str | None,
    app_version: str,
    seed: int,
    disk_limit_mb: int,
    backend: str,
    load_users: int,
    as_json: bool,
    dry_run: bool,
    output: str,
    **cluster: object,
) -> None:
    """Start the shop, payment providers, chaos proxy and watchdog."""
    options = lifecycle.EnvOptions(
        state_dir=resolve_state_dir(state_dir),
        database_url=database_url,
        version=app_version,
        load_users=load_users,
        seed=seed,
        disk_limit_mb=disk_limit_mb,
        backend=backend,
        **cluster_fields(cluster),
    )
    if dry_run:
        print_manifests(renderer(backend).render_env(options), output)
        return
    state = environment.up(options)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "state_dir": state.state_dir,
                    "shop": state.shop.url,
                    "proxy_api": state.proxy_api,
                    "services": {n: r.url for n, r in state.services.items()},
                }
            )
        )
        return
    _print_status(state.state_dir)
    # port 0: the shop is not reachable from this host as such (a Service in a cluster)
    where = f"at {state.shop.url}" if state.shop.port else "inside the cluster, not on this host"
    click.echo(f"\nThe shop is {where}   (state: {state.state_dir})")


@env.command()
@state_dir_option
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="With --json: every environment under ./.chaosdrill (drills, abandoned ones).",
)
@json_option
@user_errors
def status(state_dir: Path | None, show_all: bool, as_json: bool) -> None:
    """Show what is up, by pid and health; then every other environment under ./.chaosdrill
    (drills running, orphaned by a dead engine, or abandoned and stopped)."""
    chosen = resolve_state_dir(state_dir)
    others = [f for f in find_environments(DEFAULT_STATE_ROOT) if f.state_dir != chosen]
    found = inspect(chosen)
    if as_json and show_all:
        click.echo(json.dumps([_row(f) for f in ([found] if found else []) + others]))
        return
    report = environment.status(chosen) if found and found.state.abandoned is None else None
    if as_json:
        if report is None:
            fail("no environment is up; start one with `chaosdrill env up`", code=1)
        click.echo(json.dumps(report["services"] if report else {}))
        return
    if report is not None:
        _print_status(report["state"].state_dir)
    elif found is not None:
        click.echo(f"{found.label()}: {found.describe()}")
    if others:
        shown = report is not None or found is not None
        click.echo(("\n" if shown else "") + "Other environments under .chaosdrill:")
        for other in others:
            click.echo(f"  {other.label()}: {other.describe()}")
    if found is None and not others:
        fail("no environment is up; start one with `chaosdrill env up`", code=1)


def _row(found: FoundEnv) -> dict[str, object]:
    return {
        "state_dir": str(found.state_dir),
        "drill_id": (found.drill or {}).get("drill_id"),
        "owner_pid": found.owner.pid if found.owner else None,
        "condition": found.condition,
        "description": found.describe(),
        "abandoned": found.state.abandoned.model_dump() if found.state.abandoned else None,
    }


def _print_status(state_dir: str) -> None:
    report = environment.status(Path(state_dir))
    assert report is not None
    table = Table(title="chaosdrill environment")
    for column in ("service", "pid", "running", "health", "url", "version"):
        table.add_column(column)
    for name, row in report["services"].items():
        table.add_row(
            name,
            str(row["pid"]),
            "yes" if row["running"] else "NO",
            row["health"],
            row["url"] or "",
            row["version"] or "",
        )
    for name, proxy in report["state"].proxies.items():
        table.add_row(f"proxy:{name}", "", "", "", f"{proxy.listen} -> {proxy.upstream}", "")
    Console().print(table)


@env.command()
@state_dir_option
@user_errors
def down(state_dir: Path | None) -> None:
    """Revert every fault and stop everything `env up` started (and nothing else)."""
    stopped = environment.down(resolve_state_dir(state_dir))
    click.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
