"""One autopilot drill run through the CLI with the outside witness probing the shop,
and the comparison of what the witness saw with what the scorecard says.

Shared by bench/fidelity.py and tests/e2e/test_fidelity.py. The drill runs as a
subprocess (`chaosdrill run SCENARIO --autopilot --report-dir DIR --json`) in its
own working directory, so its `.chaosdrill/` (state, history) is its own; the
shop's URL comes from the environment's state file. Nothing here imports
chaosdrill: the drill's files are read as plain JSON.

Times: the witness records wall times; the event log has `wall` and `t` per
event, so a witness time is expressed as seconds after T0 (the first
`fault.injected`) by subtracting T0's wall time.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tests.witness import FailureRule, Probe, Witness, shop_url, wait_until_answering

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "simulator.cli"]
DETECTOR_INTERVAL_S = 1.0  # the builtin detector samples the SLIs once a second
SETUP_ALLOWANCE_S = 150.0  # environment up + steady state + teardown, beyond the time limit


@dataclass(frozen=True)
class ScenarioFacts:
    """What the witness needs to know of a scenario (read from its YAML, not the loader)."""

    path: Path
    id: str
    database: str
    time_limit_s: float
    confirm_s: float
    rule: FailureRule


def _seconds(value: object, default: float) -> float:
    if value is None:
        return default
    text = str(value).strip()
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if text.endswith(suffix) and text[: -len(suffix)].replace(".", "", 1).isdigit():
            return float(text[: -len(suffix)]) * factor
    return float(text)


def scenario_facts(path: Path) -> ScenarioFacts:
    data = yaml.safe_load(path.read_text())
    alerts = (data.get("expected") or {}).get("alerts") or []
    latency = any(alert.get("name") == "latency_p99" for alert in alerts)
    p99 = float((data.get("steady_state") or {}).get("max_p99_ms", 500))
    return ScenarioFacts(
        path=path,
        id=str(data["id"]),
        database=str((data.get("target") or {}).get("database", "any")),
        time_limit_s=_seconds(data.get("time_limit_s"), 600.0),
        confirm_s=_seconds(data.get("confirm_recovery_s"), 10.0),
        rule=FailureRule(slow_ms=p99 if latency else None),
    )


@dataclass(frozen=True)
class WitnessedDrill:
    facts: ScenarioFacts
    returncode: int
    stderr: str
    probes: list[Probe]
    events: list[dict[str, Any]]
    result: dict[str, Any]
    wall_s: float


async def run_witnessed(
    facts: ScenarioFacts, workdir: Path, database_url: str | None = None
) -> WitnessedDrill:
    """Run the drill with the autopilot while the witness probes the shop."""
    workdir.mkdir(parents=True, exist_ok=True)
    report_dir = workdir / "report"
    args = [*CLI, "run", str(facts.path), "--autopilot", "--report-dir", str(report_dir), "--json"]
    if database_url and facts.database == "postgres":
        args += ["--database-url", database_url]
    started = time.monotonic()
    budget = facts.time_limit_s + SETUP_ALLOWANCE_S
    with (workdir / "run.stderr").open("w") as stderr:
        process = await asyncio.create_subprocess_exec(
            *args,
            cwd=workdir,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        output = asyncio.create_task(process.communicate())

        def done() -> bool:
            return process.returncode is not None or time.monotonic() - started > budget

        probes: list[Probe] = []
        url = None
        while url is None and not done():
            url = shop_url(workdir / ".chaosdrill")
            await asyncio.sleep(0.1)
        if url is not None and await wait_until_answering(url, done, 60.0):
            witness = Witness(url, facts.rule, max_s=budget, max_probes=int(budget * 8) + 8)
            probes = await witness.run(done)
        try:
            await asyncio.wait_for(
                asyncio.shield(output), max(1.0, budget - (time.monotonic() - started))
            )
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()  # SIGTERM: the drill aborts and still writes its results
        await output
    with (workdir / "witness.jsonl").open("w") as record:  # for a closer look afterwards
        for probe in probes:
            record.write(json.dumps(dataclasses.asdict(probe)) + "\n")
    log = report_dir / "events.jsonl"
    events = (
        [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        if log.exists()
        else []
    )
    result_file = report_dir / "result.json"
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return WitnessedDrill(
        facts,
        process.returncode or 0,
        (workdir / "run.stderr").read_text(),
        probes,
        events,
        result,
        time.monotonic() - started,
    )


def _wall(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(event["wall"]).replace("Z", "+00:00")).timestamp()


def _first(events: list[dict[str, Any]], type_: str) -> dict[str, Any] | None:
    return next((e for e in events if e["type"] == type_), None)


def _ended_wall(reverted: dict[str, Any]) -> float:
    """When the fault really ended: the journal's `ended_wall` (newer logs), else the event's."""
    ended = reverted.get("data", {}).get("ended_wall")
    return _wall({"wall": ended}) if ended else _wall(reverted)


@dataclass(frozen=True)
class Fidelity:
    """The witness's view next to the scorecard's, in seconds after T0."""

    scenario: str
    outcome: str
    t0: float | None  # drill clock at which the first injection began (started_t)
    first_alert: float | None  # after T0
    fault_ended: float | None  # after T0: the first fault.reverted
    time_to_recover: float | None  # the scorecard's clock (T0 -> service.recovered)
    witness_first: float | None  # after T0: the first of RUN failed probes in a row once steady
    witness_last: float | None  # after T0: the end of its last run of failures on one route
    failures: int
    probes: int
    before_t0: int  # failures the witness saw before T0 (noise, or a fault that began early)
    witness_from: float | None  # after T0: the witness's first probe (negative: before T0)
    reasons: dict[str, int]  # failures by reason ("HTTP 500", "connection refused", "slow")

    @property
    def last_vs_recovered(self) -> float | None:
        """(T0 + time to recover) - witness last failure: > 0 when the scorecard is later."""
        if self.time_to_recover is None or self.witness_last is None:
            return None
        return self.time_to_recover - self.witness_last

    @property
    def first_vs_alert(self) -> float | None:
        """First alert - witness first failure: > 0 when the witness saw it first."""
        if self.first_alert is None or self.witness_first is None:
            return None
        return self.first_alert - self.witness_first


def compare(drill: WitnessedDrill) -> Fidelity:
    events = drill.events
    injected = _first(events, "fault.injected")
    end = _first(events, "drill.finished") or _first(events, "drill.aborted")
    clocks = drill.result.get("clocks", {})
    ttr = (clocks.get("time_to_recover") or {}).get("drill_s")
    if injected is None:
        return Fidelity(
            drill.facts.id,
            str(drill.result.get("outcome", "no result")),
            None,
            None,
            None,
            ttr,
            None,
            None,
            0,
            len(drill.probes),
            0,
            None,
            failure_counts(drill.probes),
        )
    # T0 is when the injection began (`started_t`, as the scorecard takes it): a release
    # that restarts the shop breaks it seconds before `fault.injected` is written.
    t0 = float(injected["data"].get("started_t", injected["t"]))
    t0_wall = _wall(injected) - (float(injected["t"]) - t0)
    # The teardown stops the shop: what the witness sees after the drill finished is not
    # part of the incident.
    cut = _wall(end) if end is not None else float("inf")
    steady = _first(events, "steady_state.reached")
    steady_wall = _wall(steady) if steady is not None else float("-inf")
    seen = _calibrated([p for p in drill.probes if p.wall < cut], steady_wall, t0_wall)
    failed = [p.wall - t0_wall for p in seen if p.failure is not None]
    # The outage is looked for once the drill found the service steady, as the drill
    # itself waits for before injecting: on a loaded machine a shop just started answers
    # slowly for a while, and that is not the fault.
    judged = [p for p in seen if p.wall >= steady_wall]
    outage = _first_run(judged, t0_wall)
    judged_failed = [p.wall - t0_wall for p in judged if p.failure is not None]
    alert = next((e for e in events if e["type"] == "alert.firing" and e["t"] >= t0), None)
    reverted = _first(events, "fault.reverted")
    return Fidelity(
        scenario=drill.facts.id,
        outcome=str(drill.result.get("outcome", "no result")),
        t0=t0,
        first_alert=None if alert is None else float(alert["t"]) - t0,
        fault_ended=None if reverted is None else _ended_wall(reverted) - t0_wall,
        time_to_recover=None if ttr is None else float(ttr),
        witness_first=outage if outage is not None else min(judged_failed, default=None),
        witness_last=_last_run(seen, t0_wall) if failed else None,
        failures=len(failed),
        probes=len(seen),
        before_t0=sum(1 for t in failed if t < 0),
        witness_from=(seen[0].wall - t0_wall) if seen else None,
        reasons=failure_counts(seen),
    )


# An answer counts as slow when it is slower than the scenario's p99 and than this many
# times what the witness's own steady answers took (their 90th percentile, between the
# steady state and T0): on a loaded host most answers can take longer than a p99 meant
# for a quiet one, and that is the host, not the fault.
SLOW_OVER_STEADY = 2.0


def _calibrated(probes: list[Probe], steady_wall: float, t0_wall: float) -> list[Probe]:
    """The probes with "slow" re-judged against the steady answers of this run."""
    steady = sorted(
        p.elapsed_s for p in probes if steady_wall <= p.wall < t0_wall and p.status is not None
    )
    if not steady:
        return probes
    bar_s = SLOW_OVER_STEADY * steady[int(0.9 * (len(steady) - 1))]
    return [
        dataclasses.replace(p, failure=None)
        if p.failure is not None and p.failure.startswith("slow") and p.elapsed_s <= bar_s
        else p
        for p in probes
    ]


# A failure the witness calls the start of the outage is the first of this many failed
# probes in a row (1.25 s at the 250 ms cadence): a plain client on a loaded machine sees
# a few slow answers now and then before any fault, an outage is failures in a row.
RUN = 5


def _first_run(seen: list[Probe], t0_wall: float) -> float | None:
    """Drill time of the first probe that starts RUN failed probes in a row, or None."""
    ordered = sorted(seen, key=lambda p: p.wall)
    for i in range(len(ordered) - RUN + 1):
        if all(p.failure is not None for p in ordered[i : i + RUN]):
            return ordered[i].wall - t0_wall
    return None


# The witness's outage ends with the last failure of the last run of this many failed
# probes in a row on one route: a lone slow answer on a loaded machine after the
# recovery is noise, not the outage going on (a partial fault fails one route in a row).
ROUTE_RUN = 3


def _last_run(seen: list[Probe], t0_wall: float) -> float | None:
    """Drill time of the last failure ending ROUTE_RUN failed probes in a row on one
    route; the last failure of all when no route has such a run."""
    by_route: dict[str, list[Probe]] = {}
    for probe in sorted(seen, key=lambda p: p.wall):
        by_route.setdefault(probe.route, []).append(probe)
    ends: list[float] = []
    for probes in by_route.values():
        streak = 0
        for probe in probes:
            streak = streak + 1 if probe.failure is not None else 0
            if streak >= ROUTE_RUN:
                ends.append(probe.wall)
    if ends:
        return max(ends) - t0_wall
    failed = [p.wall for p in seen if p.failure is not None]
    return max(failed) - t0_wall if failed else None


def failure_counts(probes: list[Probe]) -> dict[str, int]:
    """How many probes failed, per reason ("HTTP 500", "connection refused", ...)."""
    counts: dict[str, int] = {}
    for probe in probes:
        if probe.failure is not None:
            key = probe.failure if not probe.failure.startswith("slow") else "slow"
            counts[key] = counts.get(key, 0) + 1
    return counts
