"""Does the scorecard tell the truth? An outside witness against the drill's own clocks.

For each scenario in scenarios/*.yaml (SQLite ones by default; the PostgreSQL
ones too when --database-url, CHAOSDRILL_DATABASE_URL or TEST_POSTGRES_URL is
given), run `chaosdrill run SCENARIO --autopilot --json` as a subprocess while
a plain HTTP client outside chaosdrill (tests/witness.py) probes the shop every
250 ms with a read and a write. Print, in seconds after the scorecard's T0 (the
first `fault.injected`), the witness's first and last failure next to the first
alert, the end of the fault and the scorecard's time to recover, and their
differences. What counts as a witness failure is printed under the table.

Run: `PYTHONPATH=$PWD .venv/bin/python bench/fidelity.py [SCENARIO...] [--database-url URL]`
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.witness

from tests.witnessed_drill import (
    DETECTOR_INTERVAL_S,
    REPO,
    Fidelity,
    ScenarioFacts,
    WitnessedDrill,
    compare,
    run_witnessed,
    scenario_facts,
)

COLUMNS = (
    "scenario",
    "outcome",
    "T0",
    "alert",
    "w.first",
    "alert-w.first",
    "fault end",
    "w.last",
    "TTR",
    "TTR-w.last",
    "failed/probes",
    "<T0",
)


def _s(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def cells(row: Fidelity) -> list[str]:
    return [
        row.scenario,
        row.outcome,
        _s(row.t0),
        _s(row.first_alert),
        _s(row.witness_first, signed=True),
        _s(row.first_vs_alert, signed=True),
        _s(row.fault_ended),
        _s(row.witness_last, signed=True),
        _s(row.time_to_recover),
        _s(row.last_vs_recovered, signed=True),
        f"{row.failures}/{row.probes}",
        str(row.before_t0),
    ]


def table(rows: list[tuple[WitnessedDrill, Fidelity]]) -> Table:
    out = Table(title="outside witness vs scorecard, seconds after T0")
    for name in COLUMNS:
        out.add_column(name, justify="left" if name in ("scenario", "outcome") else "right")
    for _drill, row in rows:
        out.add_row(*cells(row))
    return out


def markdown(rows: list[tuple[WitnessedDrill, Fidelity]]) -> list[str]:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for _drill, row in rows]
    return lines


def legend(rows: list[tuple[WitnessedDrill, Fidelity]]) -> list[str]:
    lines = [
        "T0: drill clock at which the first injection began (fault.injected's started_t, "
        "as the scorecard takes it); every other time is seconds after T0.",
        "alert: first alert.firing. w.first / w.last: the witness's first / last failure "
        "(the probe's send time; probes after drill.finished, i.e. the teardown, are ignored).",
        "fault end: when the fault ended (fault.reverted). TTR: the scorecard's time to "
        "recover (T0 -> the start of the window service.recovered confirmed). "
        "<T0: witness failures before T0.",
        "A witness failure is a probe (every 250 ms: one read and one write, fresh "
        "connections) that met:",
    ]
    for drill, row in rows:
        seen = ", ".join(f"{k} x{v}" for k, v in sorted(row.reasons.items())) or "none"
        lines.append(f"  {drill.facts.id}: {drill.facts.rule.describe()}. Seen: {seen}.")
    lines.append(
        f"The e2e test's tolerance for |TTR-w.last|: one detector interval "
        f"({DETECTOR_INTERVAL_S:g} s) + the confirmation window (issue 11's bound)."
    )
    return lines


def selected(names: list[str], database_url: str | None) -> tuple[list[ScenarioFacts], list[str]]:
    every = [scenario_facts(p) for p in sorted((REPO / "scenarios").glob("*.yaml"))]
    chosen = [f for f in every if not names or f.id in names or f.path.stem in names]
    unknown = sorted(set(names) - {f.id for f in every} - {f.path.stem for f in every})
    if unknown:
        raise SystemExit(f"no scenario named {', '.join(unknown)} in scenarios/")
    skipped = [f.id for f in chosen if f.database == "postgres" and not database_url]
    return [f for f in chosen if f.id not in skipped], skipped


async def main_async(args: argparse.Namespace) -> int:
    url = (
        args.database_url
        or os.environ.get("CHAOSDRILL_DATABASE_URL")
        or os.environ.get("TEST_POSTGRES_URL")
    )
    scenarios, skipped = selected(args.scenarios, url)
    console = Console(width=170)
    rows: list[tuple[WitnessedDrill, Fidelity]] = []
    with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
        for facts in scenarios:
            console.print(f"running {facts.id} ...", style="dim")
            drill = await run_witnessed(facts, Path(args.keep or tmp) / facts.id, url)
            if drill.returncode != 0 and not drill.result:
                console.print(f"{facts.id}: the drill failed ({drill.stderr.strip()[-300:]})")
            rows.append((drill, compare(drill)))
            console.print(f"  done in {drill.wall_s:.0f} s", style="dim")
    console.print(table(rows))
    if args.markdown:
        for line in markdown(rows):
            print(line)
    for line in legend(rows):
        console.print(line, highlight=False)
    if skipped:
        console.print(
            f"Not run (PostgreSQL scenarios; pass --database-url): {', '.join(skipped)}",
            highlight=False,
        )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", help="scenario ids (default: all)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL for postgres scenarios")
    parser.add_argument("--markdown", action="store_true", help="also print a README table")
    parser.add_argument("--keep", default=None, help="keep each drill's files under this dir")
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
