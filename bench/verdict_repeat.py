"""The same autopilot drill many times in a row, under CPU contention: is the
verdict on the fix the same every time?

    python bench/verdict_repeat.py [--scenario app-crash] [--runs 20] [--busy 2]

Each run is `chaosdrill run SCENARIO --autopilot --json` in a directory of its own,
while `--busy` processes spin on the CPU beside it (each bounded in time). Prints one
row per run (remediation points, the fault's end reason, who ended it, time to
recover, total) and a summary line: how many runs gave the remediation criterion
full points. Issue 11's goal: all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUSY_LOOP = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"


def busy(n: int, seconds: float) -> list[subprocess.Popen[bytes]]:
    """`n` processes that each burn one core for at most `seconds`."""
    code = BUSY_LOOP.format(seconds=seconds)
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def one_drill(scenario: str, workdir: Path) -> dict[str, object]:
    report = workdir / "report"
    command = [sys.executable, "-m", "simulator.cli", "run", scenario, "--autopilot", "--json"]
    done = subprocess.run(
        [*command, "--report-dir", str(report)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    row: dict[str, object] = {"exit": done.returncode}
    card_file = report / "scorecard.json"
    if not card_file.exists():
        row["error"] = done.stderr.strip().splitlines()[-1:] or ["no scorecard"]
        return row
    card = json.loads(card_file.read_text())["scorecard"]
    team = card["team"]
    remediation = next(c for c in team["criteria"] if c["key"] == "remediation")
    row["remediation"] = f"{remediation['points']:g}/{remediation['max_points']:g}"
    row["full"] = remediation["points"] == remediation["max_points"]
    row["total"] = team["total"]
    recover = team["clocks"].get("time_to_recover", {})
    row["recover_s"] = recover.get("drill_s")
    ends = []
    for line in (report / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event["type"] == "fault.reverted":
            ends.append(f"{event['data'].get('reason')}:{event['data'].get('action_id', '-')}")
    row["ends"] = ",".join(ends)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="app-crash")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--busy", type=int, default=2, help="CPU-burning processes beside it")
    args = parser.parse_args()
    rows = []
    started = time.monotonic()
    burners = busy(args.busy, seconds=args.runs * 120)
    print("| run | exit | remediation | fault ends (reason:action) | time to recover s | total |")
    print("|---|---|---|---|---|---|")
    try:
        for n in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="verdict-") as tmp:
                row = one_drill(args.scenario, Path(tmp))
            rows.append(row)
            print(
                f"| {n} | {row.get('exit')} | {row.get('remediation', '-')} | "
                f"{row.get('ends', row.get('error', '-'))} | {row.get('recover_s', '-')} | "
                f"{row.get('total', '-')} |",
                flush=True,
            )
    finally:
        for p in burners:
            p.kill()
            p.wait()
    full = sum(1 for r in rows if r.get("full"))
    load = os.getloadavg()[0]
    print(
        f"\n{args.scenario}: remediation full points in {full} of {len(rows)} runs, "
        f"{args.busy} busy processes beside it, load average {load:.1f}, "
        f"{time.monotonic() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
