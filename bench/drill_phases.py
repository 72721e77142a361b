"""How long the phases of a whole drill take, with the autopilot responding.

For each scenario (default: app-crash and bad-deploy, both on SQLite), run the
drill N times and print, from each drill's own event log: run -> steady state
(goal <= 10 s; it includes bringing the environment up and warming up under
load), fault -> first alert, page -> acknowledgement, fault -> measured
recovery, teardown, and the whole drill's wall time (`make demo` goal: well
inside 2 minutes).

Run: `.venv/bin/python bench/drill_phases.py [--runs 3] [SCENARIO...]`
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from scoring.events import Event, read_jsonl
from scoring.playbook import load_playbook
from simulator.drill.run import run_drill
from simulator.faults.registry import check_params
from simulator.scenario.loader import find_scenario

COLUMNS = ("steady", "detect", "ack", "recover", "teardown", "wall")


def first(events: list[Event], type_: str) -> Event | None:
    return next((e for e in events if e.type == type_), None)


def phases(events: list[Event], wall_s: float) -> dict[str, float | None]:
    t = {
        k: (e.t if (e := first(events, k)) else None)
        for k in (
            "steady_state.reached",
            "fault.injected",
            "alert.firing",
            "page.sent",
            "incident.acknowledged",
            "service.recovered",
            "drill.finished",
        )
    }
    teardown = first(events, "teardown.done")

    def span(a: str, b: str) -> float | None:
        return None if t[a] is None or t[b] is None else t[b] - t[a]  # type: ignore[operator]

    return {
        "steady": t["steady_state.reached"],
        "detect": span("fault.injected", "alert.firing"),
        "ack": span("page.sent", "incident.acknowledged"),
        "recover": span("fault.injected", "service.recovered"),
        "teardown": float(teardown.data["seconds"]) if teardown else None,
        "wall": wall_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", default=["app-crash", "bad-deploy"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    playbook = load_playbook()
    table = Table(title=f"drill phases, seconds, median (min-max) of {args.runs} runs")
    table.add_column("scenario")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for scenario_id in args.scenarios:
            scenario = find_scenario(scenario_id, check_params=check_params, playbook=playbook)
            rows: list[dict[str, float | None]] = []
            for run in range(args.runs):
                start = time.monotonic()
                result = run_drill(
                    scenario,
                    playbook,
                    Path(tmp) / f"{scenario_id}-{run}",
                    state_root=Path(tmp) / "state",
                    store_history=False,
                )
                rows.append(phases(read_jsonl(result.files["log"]), time.monotonic() - start))
            cells = []
            for column in COLUMNS:
                values = [v for r in rows if (v := r[column]) is not None]
                cells.append(
                    f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"
                    if values
                    else "n/a"
                )
            table.add_row(scenario_id, *cells)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
