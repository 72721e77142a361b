"""`chaosdrill incident ...`: a responder's terminal, through the console's own API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scoring.names import NOTIFY_CHANNELS
from simulator.cli.errors import fail
from simulator.cli.incident_client import Target, client, errors
from simulator.console.client import ConsoleClient
from simulator.drill.incident import state_machine_help
from simulator.env.state import DEFAULT_STATE_ROOT

QUIET = {"sli.sample", "diagnostic.viewed"}


def _client(ctx: click.Context) -> ConsoleClient:
    return client(ctx)


_errors = errors


@click.group()
@click.option(
    "--url",
    envvar="CHAOSDRILL_CONSOLE_URL",
    show_envvar=True,
    default=None,
    help="The console (or your join link, which carries your token). Default: the one"
    " drill running from this directory (found under --state-root).",
)
@click.option(
    "--token",
    envvar="CHAOSDRILL_TOKEN",
    show_envvar=True,
    default=None,
    help="Your token (from your join link).",
)
@click.option(
    "--as",
    "name",
    default=None,
    metavar="NAME",
    help="Which trainee you are, when the running drill has several.",
)
@click.option(
    "--state-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_STATE_ROOT,
    show_default=True,
    envvar="CHAOSDRILL_STATE_ROOT",
    show_envvar=True,
    help="Where running drills publish how to reach them.",
)
@click.pass_context
def incident(
    ctx: click.Context, url: str | None, token: str | None, name: str | None, state_root: Path
) -> None:
    """Work the drill's incident from a terminal (the same API as the console pages).

    Without --url the drill running from this directory is found by itself
    (`chaosdrill practice SCENARIO` starts one). Typical order: show, ack,
    severity, assign, status, diagnose, action, update, resolve, review.
    """
    ctx.obj = Target(url, token, name, state_root)
    ctx.call_on_close(ctx.obj.close)


def _done(text: str) -> None:
    click.echo(text)


@incident.command()
@click.pass_context
@_errors
def ack(ctx: click.Context) -> None:
    """Acknowledge the page."""
    _client(ctx).ack()
    _done("acknowledged")


@incident.command()
@click.argument("severity", type=click.Choice(["P0", "P1", "P2", "P3"], case_sensitive=False))
@click.pass_context
@_errors
def severity(ctx: click.Context, severity: str) -> None:
    """Set the severity (P0-P3)."""
    _client(ctx).severity(severity.upper())
    _done(f"severity {severity.upper()}")


@incident.command()
@click.argument("channel", type=click.Choice(list(NOTIFY_CHANNELS), case_sensitive=False))
@click.pass_context
@_errors
def notify(ctx: click.Context, channel: str) -> None:
    """Tell people: page_all, page_primary, slack or ticket (playbook: P0-P3)."""
    _client(ctx).notify(channel.lower())
    _done(f"notified via {channel.lower()}")


@incident.command()
@click.argument("team")
@click.pass_context
@_errors
def assign(ctx: click.Context, team: str) -> None:
    """Assign the incident to TEAM (dba, development, sre, security, backend, frontend)."""
    _client(ctx).assign(team)
    _done(f"assigned to {team}")


@incident.command(help=state_machine_help())
@click.argument("status")
@click.pass_context
@_errors
def status(ctx: click.Context, status: str) -> None:
    _client(ctx).status(status)
    _done(f"status {status.upper()}")


@incident.command()
@click.pass_context
@_errors
def resolve(ctx: click.Context) -> None:
    """Resolve the incident (status RESOLVED)."""
    _client(ctx).status("RESOLVED")
    _done("resolved")


@incident.command()
@click.argument("summary")
@click.option("--impact", default="", help="Who is affected, how many.")
@click.option("--root-cause", default="", help="What we know so far.")
@click.option("--next-steps", default="", help="What we are doing next.")
@click.option(
    "--field",
    "extra",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any other field of the playbook's update template.",
)
@click.pass_context
@_errors
def update(
    ctx: click.Context,
    summary: str,
    impact: str,
    root_cause: str,
    next_steps: str,
    extra: tuple[str, ...],
) -> None:
    """Post an update; incident id, severity and status are filled in from the incident."""
    client = _client(ctx)
    state = client.state()
    book = client.get("/api/playbook")
    inc = (state.get("live") or {}).get("incident") or {}
    labels = {s["id"]: s["label"] for s in book["severities"]}
    fields = {
        "incident_id": inc.get("id", ""),
        "severity": labels.get(inc.get("severity") or "", ""),
        "status": inc.get("status", ""),
        "summary": summary,
        "impact": impact,
        "root_cause": root_cause,
        "next_steps": next_steps,
    }
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--field {item!r}: write KEY=VALUE, e.g. --field impact='10% of orders'")
        fields[key.strip()] = value
    template = set(book["update_template"])
    client.update({k: v for k, v in fields.items() if v and k in template})
    _done("update posted")


@incident.command()
@click.argument("name")
@click.argument("arg", required=False)
@click.option("--why", default="", help="The evidence you act on (goes on the timeline).")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (for scripts).")
@click.pass_context
@_errors
def action(ctx: click.Context, name: str, arg: str | None, why: str, yes: bool) -> None:
    """Run the runbook action NAME (e.g. db.kill_long_queries) on the live service.

    It asks [y/N] first; --yes skips the question. `incident show` lists the
    actions that can act in this environment.
    """
    if not yes:
        click.confirm(
            f"Run {name}{' ' + arg if arg else ''} on the live service? (--yes skips this)",
            abort=True,
        )
    result = _client(ctx).action(name, arg, why)
    outcome = {"ok": "done", "error": "failed", "unavailable": "not available here"}
    _done(f"{name}: {outcome.get(result['result'], result['result'])}: {result['detail']}")
    if result["result"] != "ok":
        raise SystemExit(1)


@incident.command()
@click.argument(
    "view",
    type=click.Choice(["health", "routes", "logs", "deploys", "database", "host", "dependencies"]),
)
@click.pass_context
@_errors
def diagnose(ctx: click.Context, view: str) -> None:
    """Look at one diagnostic view of the live service (printed as JSON)."""
    import json

    click.echo(json.dumps(_client(ctx).get(f"/api/diagnostics/{view}"), indent=2))


@incident.command()
@click.option("--since", default=0, show_default=True, help="Replay events after this seq.")
@click.option("--samples", is_flag=True, help="Also print the SLI samples (one a second).")
@click.pass_context
@_errors
def watch(ctx: click.Context, since: int, samples: bool) -> None:
    """Follow the drill live: pages, alerts, everyone's actions; ends when it is scored."""
    for kind, data in _client(ctx).stream(since):
        if kind == "phase":
            click.echo(f"-- {data.get('phase')}")
            if data.get("phase") in ("scored", "closed"):
                return
        elif kind == "drill" and (samples or data.get("type") not in QUIET):
            click.echo(_line(data))


def _line(event: dict[str, Any]) -> str:
    t = float(event.get("t", 0))
    actor = str(event.get("actor", "")).removeprefix("trainee:")
    return f"{int(t // 60):02d}:{t % 60:04.1f}  {actor:<12} {event.get('text', event.get('type'))}"


from simulator.cli.incident_views_cmd import hint, review, scorecard, show  # noqa: E402

for _command in (show, hint, review, scorecard):
    incident.add_command(_command)
