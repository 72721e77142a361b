"""`chaosdrill incident show | hint | review`: look, ask, and write the review.

`show` is the on-call's read-only view: status, severity, team, firing alerts,
current SLIs, elapsed time, the toolbox, and what changed since the last look
(the last event shown is remembered beside the published session file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scoring.names import REVIEW_FIELDS
from simulator.cli.errors import fail
from simulator.cli.incident_client import client, errors, target
from simulator.console.discovery import seen_path

QUIET = {"sli.sample", "diagnostic.viewed"}
MAX_CHANGES = 30  # lines of "since your last look"
TEMPLATE_HEAD = """\
# Post-incident review. Write under each heading; lines starting with # are dropped.
# Action items: one per line, "item | owner | due (YYYY-MM-DD)".
"""


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{int(seconds // 60):02d}:{seconds % 60:04.1f}"


def _slis(sli: dict[str, Any] | None) -> str:
    if not sli:
        return "no sample yet"
    parts = [
        f"{float(sli.get('rps') or 0):.0f} req/s",
        f"errors {100 * float(sli.get('error_rate') or 0):.1f}%",
        "p99 " + (f"{float(sli['p99_ms']):.0f} ms" if sli.get("p99_ms") is not None else "n/a"),
    ]
    if sli.get("availability") is not None:
        parts.append(f"availability {100 * float(sli['availability']):.2f}%")
    return ", ".join(parts)


def _seen_file(ctx: click.Context) -> Path | None:
    found = target(ctx).found
    return seen_path(found.path) if found is not None else None


def _last_seen(path: Path | None) -> int:
    try:
        return int(path.read_text()) if path is not None else 0
    except (OSError, ValueError):
        return 0


@click.command()
@click.option("--all", "everything", is_flag=True, help="List every event, not only new ones.")
@click.pass_context
@errors
def show(ctx: click.Context, everything: bool) -> None:
    """Where the incident stands: status, alerts, SLIs, time, toolbox, what changed."""
    api = client(ctx)
    state = api.state()
    scenario = state.get("scenario") or {}
    live = state.get("live")
    scale = float(scenario.get("time_scale") or 1)
    click.echo(f"{scenario.get('title', 'drill')}  (phase {state.get('phase')})")
    if scale != 1:
        click.echo(
            f"time scale {scale:g}x: the playbook's targets and escalation run {scale:g}x faster"
        )
    if live is None:
        click.echo("The drill has not started yet.")
        return
    clock = live.get("clock") or {}
    left = clock.get("time_left_s")
    click.echo(f"elapsed {_clock(clock.get('t'))}, time left {_clock(left)}")
    inc = live.get("incident")
    if inc is None:
        click.echo("incident: none yet (nothing has paged)")
    else:
        nexts = ", ".join(inc.get("next_statuses") or []) or "-"
        click.echo(
            f"incident {inc['id']}: status {inc['status']} (next: {nexts}), severity"
            f" {inc.get('severity') or 'not set'}, team {inc.get('team') or 'not assigned'},"
            f" acknowledged by {inc.get('acknowledged_by') or 'nobody yet'}"
        )
    firing = live.get("alerts_firing") or []
    click.echo(f"alerts firing: {len(firing) or 'none'}")
    for alert in firing:
        click.echo(
            f"  {alert.get('name')} {alert.get('severity')} since {_clock(alert.get('t'))}:"
            f" {alert.get('value')} (threshold {alert.get('threshold')})"
        )
    click.echo(f"SLIs now: {_slis(live.get('sli'))}")
    for number, text in enumerate(live.get("hints") or [], 1):
        click.echo(f"hint {number}: {text}")
    if live.get("stage") == "running" and live.get("drill_phase") not in ("teardown", "done"):
        names = [
            a["name"] + (f" {a['arg'].upper()}" if a.get("arg") else "")
            for a in api.get("/api/actions")
        ]
        click.echo(f"toolbox (`incident action NAME`): {', '.join(names)}")
    if live.get("review_open") and not live.get("reviewed"):
        click.echo(
            "review: open - `chaosdrill incident review`"
            " (before you resolve, when practising alone)"
        )
    if live.get("scored"):
        click.echo("scored: `chaosdrill incident scorecard` prints your scorecard")
    _changes(ctx, api, everything)


def _changes(ctx: click.Context, api: Any, everything: bool) -> None:
    seen_file = _seen_file(ctx)
    since = 0 if everything else _last_seen(seen_file)
    events = [e for e in api.get("/api/events", since=since) if e.get("type") not in QUIET]
    if not events:
        click.echo("nothing new since your last look" if since else "no events yet")
        return
    click.echo("since your last look:" if since else "events:")
    for event in events[-MAX_CHANGES:]:
        actor = str(event.get("actor", "")).removeprefix("trainee:")
        click.echo(f"  {_clock(float(event.get('t', 0)))}  {actor:<10} {event.get('text')}")
    if seen_file is not None:
        seen_file.write_text(str(max(int(e["seq"]) for e in events)))


@click.command()
@click.pass_context
@errors
def hint(ctx: click.Context) -> None:
    """Ask for the scenario's next hint. Each hint you ask for costs points (a third
    of the Hints criterion); there are none once the fault has ended."""
    answer = client(ctx).hint()
    click.echo(f"hint: {answer['text']}")


@click.command()
@click.option("--what-happened", default="", help="What happened, in order.")
@click.option("--why", default="", help="Why it happened: the root cause and what contributed.")
@click.option("--went-well", default="", help="What went well.")
@click.option("--went-badly", default="", help="What went badly.")
@click.option("--improvements", default="", help="What we can improve.")
@click.option(
    "--action-item",
    "items",
    multiple=True,
    metavar="'ITEM | OWNER | DUE'",
    help="An action item (owner and due date optional); repeat for more.",
)
@click.pass_context
@errors
def review(
    ctx: click.Context,
    what_happened: str,
    why: str,
    went_well: str,
    went_badly: str,
    improvements: str,
    items: tuple[str, ...],
) -> None:
    """Submit the post-incident review: the console's fields, from flags or $EDITOR.

    With no flags your $EDITOR opens a template. The review opens once the
    incident is resolved (when practising alone: once recovery is measured).
    """
    given = dict(
        zip(REVIEW_FIELDS, (what_happened, why, went_well, went_badly, improvements), strict=True)
    )
    lines = list(items)
    if not any(given.values()) and not lines:
        given, lines = _from_editor()
    fields = {k: v.strip() for k, v in given.items() if v.strip()}
    if not fields:
        fail("the review is empty; answer at least --what-happened")
    parsed = [_item(line) for line in lines if line.strip()]
    client(ctx).review(fields, parsed)
    click.echo(f"review submitted ({len(fields)} answers, {len(parsed)} action items)")


def _item(line: str) -> dict[str, str]:
    parts = [p.strip() for p in line.split("|")]
    item = {"item": parts[0]}
    if len(parts) > 1 and parts[1]:
        item["owner"] = parts[1]
    if len(parts) > 2 and parts[2]:
        item["due"] = parts[2]
    return item


def _from_editor() -> tuple[dict[str, str], list[str]]:
    sections = [*REVIEW_FIELDS, "action_items"]
    template = TEMPLATE_HEAD + "".join(f"\n## {name}\n\n" for name in sections)
    try:
        text = click.edit(template, extension=".md")
    except click.ClickException as exc:
        fail(
            f"could not open your editor ({exc.format_message()}); set $EDITOR or pass"
            " --what-happened"
        )
        raise  # unreachable
    if text is None:
        fail("the review was not saved; nothing was sent")
        raise SystemExit(2)  # unreachable
    answers: dict[str, list[str]] = {name: [] for name in sections}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("## ") and line[3:].strip() in answers:
            current = line[3:].strip()
        elif not line.startswith("#") and current is not None:
            answers[current].append(line)
    fields = {name: "\n".join(answers[name]).strip() for name in REVIEW_FIELDS}
    return fields, [line for line in answers["action_items"] if line.strip()]


@click.command()
@click.pass_context
@errors
def scorecard(ctx: click.Context) -> None:
    """Your scorecard once the drill is scored: every criterion and what it says."""
    card = client(ctx).get("/api/scorecard")
    click.echo(f"{card['title']}: {card['outcome_detail']}")
    mine = card.get("mine") or card["team"]
    click.echo(f"{mine['name']}: {mine['total']:.0f}/100 (grade {mine['grade']})")
    for criterion in mine["criteria"]:
        click.echo(f"  {criterion['label']}: {criterion['points']:g}/{criterion['max_points']:g}")
        click.echo(f"    {criterion['feedback']}")
