"""`chaosdrill load`: real Locust load on a target, live figures per endpoint."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from scoring.durations import parse_duration
from simulator.load.errors import LoadConfigError, LoadError, TargetUnreachable
from simulator.load.profiles import PROFILES
from simulator.load.runner import LoadConfig, LoadRunner
from simulator.load.stats import EndpointStats, LoadSnapshot, LoadSummary

__all__ = ["load"]


class BadLoadInput(click.ClickException):
    """Input the user can fix (bad host, unreachable target): one sentence, exit 2."""

    exit_code = 2


class LoadFailed(click.ClickException):
    """Locust itself failed to start or died: one sentence, exit 1."""

    exit_code = 1


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if seconds <= 0:
        raise click.BadParameter(f"{value!r} is not a duration above zero; write e.g. 30s or 2m")
    return seconds


@click.command("load")
@click.option("--host", required=True, help="Target base URL, e.g. http://127.0.0.1:8100.")
@click.option("--users", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--duration",
    default="30s",
    show_default=True,
    callback=_duration,
    help="How long to run: 30s, 2m, 1h or plain seconds (90).",
)
@click.option(
    "--spawn-rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Users started per second (default: all users within one second).",
)
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="shop", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the users' choices.")
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    default=0,
    show_default=True,
    help="Distributed mode: a Locust master and N workers on 127.0.0.1.",
)
@click.option(
    "--wait-min",
    type=click.FloatRange(min=0),
    default=0.5,
    show_default=True,
    help="Shortest think time between a user's requests (s).",
)
@click.option(
    "--wait-max",
    type=click.FloatRange(min=0),
    default=1.5,
    show_default=True,
    help="Longest think time between a user's requests (s).",
)
@click.option("--json", "as_json", is_flag=True, help="JSON lines: one per second, then a summary.")
def load(
    host: str,
    users: int,
    duration: float,
    spawn_rate: float | None,
    profile: str,
    seed: int,
    workers: int,
    wait_min: float,
    wait_max: float,
    as_json: bool,
) -> None:
    """Put real Locust load on a target and show requests/s and latency per endpoint."""
    config = LoadConfig(
        host=host,
        users=users,
        spawn_rate=spawn_rate if spawn_rate is not None else float(users),
        duration_s=duration,
        seed=seed,
        profile=profile,
        wait_min_s=wait_min,
        wait_max_s=max(wait_min, wait_max),
        workers=workers,
    )
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the tables into 80 columns
        console = Console(width=160)
    try:
        runner = LoadRunner(config)
        runner.start()
        try:
            if as_json:
                _stream_json(runner)
            else:
                _show_live(runner, console, config)
        except KeyboardInterrupt:
            pass  # Ctrl-C: stop the load and still print what was measured
        finally:
            runner.stop()
        summary = runner.summary()
    except (LoadConfigError, TargetUnreachable) as exc:
        raise BadLoadInput(str(exc)) from None
    except LoadError as exc:
        raise LoadFailed(str(exc)) from None
    except KeyboardInterrupt:
        raise click.Abort() from None  # Ctrl-C while Locust was starting: nothing left running
    if as_json:
        _print_json({"type": "summary", **summary.to_dict()})
    else:
        console.print()
        console.print(summary_table(summary, config))
        if summary.errors:
            console.print(errors_table(summary))


def _stream_json(runner: LoadRunner) -> None:
    for snap in runner.iter_snapshots():
        _print_json({"type": "snapshot", **snap.to_dict()})


def _print_json(data: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(data) + "\n")
    sys.stdout.flush()


def _show_live(runner: LoadRunner, console: Console, config: LoadConfig) -> None:
    waiting = Text(f"Load on {config.host}: waiting for the first second…")
    with Live(waiting, console=console, refresh_per_second=4, transient=False) as live:
        for snap in runner.iter_snapshots():
            live.update(snapshot_table(snap, config))


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(table: Table, stats: EndpointStats, *, bold: bool = False) -> None:
    style = "bold" if bold else ("red" if stats.failures_per_s > 0 else None)
    table.add_row(
        stats.name,
        f"{stats.rps:.1f}",
        f"{stats.failures_per_s:.1f}",
        _ms(stats.p50_ms),
        _ms(stats.p95_ms),
        _ms(stats.p99_ms),
        str(stats.requests),
        str(stats.failures),
        style=style,
    )


def _table(title: str, rate: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("endpoint")
    for column in (f"req/s{rate}", f"fail/s{rate}", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="right")
    table.add_column("requests", justify="right")
    table.add_column("failures", justify="right")
    return table


def snapshot_table(snap: LoadSnapshot, config: LoadConfig) -> Table:
    """The live table: this second's rates and percentiles, totals since the start."""
    of = f" of {config.duration_s:.0f}s" if config.duration_s else ""
    table = _table(
        f"Load on {config.host} ({config.profile}): {snap.t:.0f}s{of}, {snap.users} users",
        "",
    )
    for stats in snap.endpoints.values():
        _row(table, stats)
    _row(table, snap.total, bold=True)
    return table


def summary_table(summary: LoadSummary, config: LoadConfig) -> Table:
    """Rates and percentiles over the whole run."""
    table = _table(f"Summary: {summary.duration_s:.1f}s on {config.host}", " (mean)")
    for stats in summary.endpoints.values():
        _row(table, stats)
    _row(table, summary.total, bold=True)
    return table


def errors_table(summary: LoadSummary, limit: int = 10) -> Table:
    """The most frequent failures of the run."""
    table = Table(title="Failures", title_justify="left")
    table.add_column("endpoint")
    table.add_column("error")
    table.add_column("count", justify="right")
    for error in summary.errors[:limit]:
        table.add_row(error.endpoint, error.error, str(error.count))
    return table
