"""Benchmark: fault -> first alert of the builtin detector, and start -> steady state.

Per run: start the payment provider and the shop, start Locust (LoadRunner,
20 users, think time 0.05-0.2 s, profile "shop") and detectors with different
traffic windows and tick intervals side by side on the same shop; measure start -> steady state
(error rate < 1 % and p99 < 500 ms for 3 consecutive samples), count alerts
over a healthy stretch, then inject one fault after another, each at a random
phase of the tick schedule, and time fault -> first matching alert:

  errors   PUT /chaos/errors {fraction: 0.1}               -> error_rate/high
  latency  PUT /chaos/latency {ms: 1500, routes: [/products]} -> latency_p99/high
  crash    SIGKILL of the shop                              -> availability/critical

    .venv/bin/python bench/detection_latency.py [--runs 5] [--healthy-s 15]

Prints tables (median, min, max over the runs). Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scoring.playbook import load_playbook
from simulator.detection import (
    AlertFiring,
    BuiltinDetector,
    DetectorOutput,
    SliConfig,
    SliSample,
    rules_from_playbook,
)
from simulator.env.processes import free_port, start_provider, start_shop
from simulator.load.runner import LoadConfig, LoadRunner

RANK = {"medium": 1, "high": 2, "critical": 3}

TOKEN = "bench-detection"
DEFAULT = "min 1 s (default)"
# Detectors compared side by side on the same traffic: (SliConfig, interval_s).
CONFIGS: dict[str, tuple[SliConfig, float]] = {
    DEFAULT: (SliConfig(), 1.0),
    "min 2 s": (SliConfig(min_window_s=2.0), 1.0),
    "min 3 s": (SliConfig(min_window_s=3.0), 1.0),
    "interval 0.5 s": (SliConfig(), 0.5),
}
FAULT_TIMEOUT_S = 20.0
QUIET_TIMEOUT_S = 40.0


@dataclass
class Fault:
    name: str
    alert: tuple[str, str]
    method: str = ""
    kind: str = ""
    body: dict[str, object] = field(default_factory=dict)


FAULTS = (
    Fault("errors 10 %", ("error_rate", "high"), "PUT", "errors", {"fraction": 0.1, "ttl_s": 60}),
    Fault(
        "p99 > 1 s (1500 ms)",
        ("latency_p99", "high"),
        "PUT",
        "latency",
        {"ms": 1500, "routes": ["/products"], "ttl_s": 60},
    ),
    Fault("crash (SIGKILL)", ("availability", "critical")),
)


@dataclass
class Recorder:
    outputs: list[DetectorOutput] = field(default_factory=list)

    def __call__(self, output: DetectorOutput) -> None:
        self.outputs.append(output)

    def samples(self) -> list[SliSample]:
        return [o for o in self.outputs if isinstance(o, SliSample)]

    def first_alert(self, key: tuple[str, str], since: float) -> AlertFiring | None:
        for o in self.outputs:
            # This severity or worse: a worse one inhibits it, as in Alertmanager.
            if (
                isinstance(o, AlertFiring)
                and o.name == key[0]
                and RANK.get(o.severity, 0) >= RANK.get(key[1], 0)
                and o.t >= since
            ):
                return o
        return None

    def alerts_between(self, start: float, end: float) -> list[AlertFiring]:
        return [o for o in self.outputs if isinstance(o, AlertFiring) and start <= o.t <= end]


@dataclass
class RunResult:
    steady_s: float | None
    detection_s: dict[tuple[str, str], float | None]  # (config, fault) -> seconds
    false_alerts: dict[str, list[str]]  # config -> "name/severity=value" fired while healthy
    rps: float | None


def steady_at(samples: list[SliSample], since: float) -> float | None:
    """Time of the third of 3 consecutive steady samples after `since`."""
    streak = 0
    for s in samples:
        if s.t < since:
            continue
        good = (
            s.rps is not None
            and s.rps > 0
            and s.error_rate is not None
            and s.error_rate < 0.01
            and s.p99_ms is not None
            and s.p99_ms < 500
        )
        streak = streak + 1 if good else 0
        if streak == 3:
            return s.t
    return None


async def wait_for(check: Callable[[], object], timeout_s: float) -> bool:
    """Poll `check` until it is true or `timeout_s` passes; whether it became true."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(0.05)
    return False


def all_alerted(
    recorders: dict[str, Recorder], key: tuple[str, str], since: float
) -> Callable[[], bool]:
    """A check: every detector has fired `key` since `since`."""
    return lambda: all(r.first_alert(key, since) is not None for r in recorders.values())


async def one_run(workdir: Path, healthy_s: float) -> RunResult:
    rules = rules_from_playbook(load_playbook())
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    recorders = {name: Recorder() for name in CONFIGS}
    detectors = []
    for name, (config, interval_s) in CONFIGS.items():
        detector = BuiltinDetector(url, rules, sli_config=config, interval_s=interval_s)
        detector.add_listener(recorders[name])
        detectors.append(detector)
    default = recorders[DEFAULT]
    provider = start_provider(workdir, "primary")
    started = time.monotonic()
    for detector in detectors:
        detector.start()
    shop = await asyncio.to_thread(
        start_shop, workdir, port=port, chaos_token=TOKEN, payment_url=provider.url
    )
    load = LoadRunner(
        LoadConfig(
            host=url,
            users=20,
            spawn_rate=20,
            duration_s=240,
            seed=1,
            profile="shop",
            wait_min_s=0.05,
            wait_max_s=0.2,
        )
    )
    detection: dict[tuple[str, str], float | None] = {}
    try:
        await asyncio.to_thread(load.start)
        await wait_for(lambda: steady_at(default.samples(), started) is not None, 30.0)
        steady = steady_at(default.samples(), started)
        healthy_from = time.monotonic()
        await asyncio.sleep(healthy_s)
        healthy_to = time.monotonic()
        false_alerts = {
            n: [
                f"{a.name}/{a.severity}={a.value:.3g}"
                for a in r.alerts_between(healthy_from, healthy_to)
            ]
            for n, r in recorders.items()
        }
        rps = [s.rps for s in default.samples() if healthy_from <= s.t <= healthy_to and s.rps]
        async with httpx.AsyncClient(base_url=url, headers={"X-Chaos-Token": TOKEN}) as client:
            for fault in FAULTS:
                await wait_for(lambda: not any(d.firing for d in detectors), QUIET_TIMEOUT_S)
                await asyncio.sleep(random.uniform(0.0, 1.0))  # random phase vs the ticks
                t_fault = time.monotonic()
                if fault.kind:
                    response = await client.request(
                        fault.method, f"/chaos/{fault.kind}", json=fault.body
                    )
                    response.raise_for_status()
                else:
                    os.kill(shop.pid, signal.SIGKILL)
                await wait_for(all_alerted(recorders, fault.alert, t_fault), FAULT_TIMEOUT_S)
                for name, recorder in recorders.items():
                    alert = recorder.first_alert(fault.alert, t_fault)
                    detection[name, fault.name] = None if alert is None else alert.t - t_fault
                if fault.kind:
                    await client.delete(f"/chaos/{fault.kind}")
    finally:
        await asyncio.to_thread(load.stop)
        for detector in detectors:
            await detector.stop()
        shop.stop()
        provider.stop()
    return RunResult(
        None if steady is None else steady - started,
        detection,
        false_alerts,
        statistics.median(rps) if rps else None,
    )


def stats(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    missed = len(values) - len(got)
    if not got:
        return "no alert"
    text = f"{statistics.median(got):5.2f}   {min(got):5.2f}   {max(got):5.2f}"
    return text + (f"  ({missed} missed)" if missed else "")


def report(results: list[RunResult], healthy_s: float) -> None:
    runs = len(results)
    rps = [r.rps for r in results if r.rps]
    print()
    print(
        f"Fault -> first alert, builtin detector, interval 1 s, {runs} runs; load: Locust "
        f"(LoadRunner, 20 users, wait 0.05-0.2 s, profile shop, "
        f"median {statistics.median(rps) if rps else 0:.0f} req/s)"
    )
    print(f"{'scenario':<22} {'alert':<24} {'median':>6}  {'min':>6}  {'max':>6}   goal")
    for fault in FAULTS:
        values = [r.detection_s.get((DEFAULT, fault.name)) for r in results]
        print(f"{fault.name:<22} {'/'.join(fault.alert):<24} {stats(values)}   <= 2 s")
    steady = [r.steady_s for r in results]
    print(f"{'start -> steady state':<22} {'3 steady samples':<24} {stats(steady)}   <= 10 s")
    print()
    print(
        "Window and interval compared side by side (same runs): median detection s;"
        f" alerts fired over {healthy_s:g} s of healthy load x {runs} runs"
    )
    header = (
        f"{'detector':<20}" + "".join(f"{f.name:>22}" for f in FAULTS) + f"{'false alerts':>14}"
    )
    print(header)
    for name in CONFIGS:
        cells = []
        for fault in FAULTS:
            got = [v for r in results if (v := r.detection_s.get((name, fault.name))) is not None]
            cells.append(f"{statistics.median(got):>22.2f}" if got else f"{'no alert':>22}")
        false = sum(len(r.false_alerts[name]) for r in results)
        print(f"{name:<20}" + "".join(cells) + f"{false:>14}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--healthy-s", type=float, default=15.0)
    args = parser.parse_args()
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-detection-") as tmp:
            result = asyncio.run(one_run(Path(tmp), args.healthy_s))
        results.append(result)
        cells = ", ".join(
            f"{f}: {'-' if v is None else f'{v:.2f}s'}"
            for (c, f), v in result.detection_s.items()
            if c == DEFAULT
        )
        steady = "-" if result.steady_s is None else f"{result.steady_s:.2f}s"
        false = ", ".join(result.false_alerts[DEFAULT]) or "none"
        print(
            f"run {run + 1}: steady {steady}; {cells}; alerts while healthy: {false}",
            flush=True,
        )
    report(results, args.healthy_s)


if __name__ == "__main__":
    main()
