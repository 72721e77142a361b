"""Benchmark: fault -> first alert, builtin detector vs Prometheus + Alertmanager,
on the same faults in the same run.

Per run: the payment provider and the shop, Locust (LoadRunner, 20 users, think
time 0.05-0.2 s, profile "shop"), the builtin detector with the playbook's rules
and one `prometheus` detector per rate window (Debian's Prometheus scraping the
shop every second and Alertmanager delivering to the engine's webhook), all
side by side on the same shop. Faults, one after another, each at a random
phase of the tick schedule (the same as bench/detection_latency.py):

  errors   PUT /chaos/errors {fraction: 0.1}                  -> error_rate/high
  latency  PUT /chaos/latency {ms: 1500, routes: [/products]} -> latency_p99/high
  crash    SIGKILL of the shop                                -> availability/critical

    .venv/bin/python bench/detection_compare.py [--runs 3] [--windows 3s,2s]

After the errors and latency faults are reverted, the time from the revert to
the alert's AlertResolved is measured too (the engine counts the service as
recovered only when no alert fires). Prints per-run lines and tables: median
(min-max) seconds per detector and the ratio prometheus / builtin of the
medians. Everything runs on 127.0.0.1.
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
from pathlib import Path
from typing import Protocol

import httpx
from detection_latency import FAULT_TIMEOUT_S, FAULTS, QUIET_TIMEOUT_S, TOKEN, Recorder, wait_for

from scoring.playbook import load_playbook
from simulator.detection import AlertFiring, AlertResolved, BuiltinDetector, rules_from_playbook
from simulator.env.processes import free_port, start_provider, start_shop
from simulator.load.runner import LoadConfig, LoadRunner
from simulator.prometheus import RuleFileOptions, write_rules
from simulator.prometheus.detector import PrometheusDetector

BUILTIN = "builtin"
WARM_UP_S = 15.0  # Locust at full rate, every window full of healthy traffic


class Firing(Protocol):
    @property
    def firing(self) -> dict[tuple[str, str], AlertFiring]: ...


def prometheus_name(window: str) -> str:
    return f"prometheus {window}"


def resolved_at(recorder: Recorder, alert: AlertFiring | None) -> float | None:
    """When `alert` resolved (None: not yet, or it never fired)."""
    for output in recorder.outputs:
        if isinstance(output, AlertResolved) and alert and output.alert_id == alert.alert_id:
            return output.t
    return None


Timings = dict[tuple[str, str], float | None]


async def one_run(workdir: Path, windows: list[str]) -> tuple[Timings, Timings]:
    playbook = load_playbook()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    builtin = BuiltinDetector(url, rules_from_playbook(playbook))
    detectors: dict[str, BuiltinDetector | PrometheusDetector] = {BUILTIN: builtin}
    for window in windows:
        rules, _ = write_rules(playbook, workdir / window, RuleFileOptions(window=window))
        detectors[prometheus_name(window)] = PrometheusDetector(url, playbook, rules_file=rules)
    recorders = {name: Recorder() for name in detectors}
    for name, detector in detectors.items():
        detector.add_listener(recorders[name])
    provider = start_provider(workdir, "primary")
    shop = await asyncio.to_thread(
        start_shop, workdir, port=port, chaos_token=TOKEN, payment_url=provider.url
    )
    load = LoadRunner(
        LoadConfig(
            host=url,
            users=20,
            spawn_rate=20,
            duration_s=300,
            seed=1,
            profile="shop",
            wait_min_s=0.05,
            wait_max_s=0.2,
        )
    )
    detection: Timings = {}
    resolution: Timings = {}
    try:
        for detector in detectors.values():
            if isinstance(detector, PrometheusDetector):
                await asyncio.to_thread(detector.launch)
            detector.start()
        await asyncio.to_thread(load.start)
        await asyncio.sleep(WARM_UP_S)
        watched: list[Firing] = list(detectors.values())
        async with httpx.AsyncClient(base_url=url, headers={"X-Chaos-Token": TOKEN}) as client:
            for fault in FAULTS:
                await wait_for(lambda: not any(d.firing for d in watched), QUIET_TIMEOUT_S)
                await asyncio.sleep(random.uniform(0.0, 1.0))  # random phase vs the ticks
                t_fault = time.monotonic()
                if fault.kind:
                    response = await client.request(
                        fault.method, f"/chaos/{fault.kind}", json=fault.body
                    )
                    response.raise_for_status()
                else:
                    os.kill(shop.pid, signal.SIGKILL)
                await wait_for(
                    lambda f=fault.alert, t=t_fault: all(  # type: ignore[misc]
                        r.first_alert(f, t) is not None for r in recorders.values()
                    ),
                    FAULT_TIMEOUT_S,
                )
                for name, recorder in recorders.items():
                    alert = recorder.first_alert(fault.alert, t_fault)
                    detection[name, fault.name] = None if alert is None else alert.t - t_fault
                if fault.kind:
                    await client.delete(f"/chaos/{fault.kind}")
                    t_revert = time.monotonic()
                    fired = {n: r.first_alert(fault.alert, t_fault) for n, r in recorders.items()}
                    await wait_for(
                        lambda f=fired: all(  # type: ignore[misc]
                            resolved_at(r, f[n]) for n, r in recorders.items()
                        ),
                        QUIET_TIMEOUT_S,
                    )
                    for name, recorder in recorders.items():
                        at = resolved_at(recorder, fired[name])
                        resolution[name, fault.name] = None if at is None else at - t_revert
    finally:
        await asyncio.to_thread(load.stop)
        for detector in detectors.values():
            await detector.stop()
        shop.stop()
        provider.stop()
    return detection, resolution


def cell(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "no alert"
    missed = len(values) - len(got)
    text = f"{statistics.median(got):.2f} ({min(got):.2f}-{max(got):.2f})"
    return text + (f" {missed} missed" if missed else "")


def median(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return statistics.median(got) if got else None


def report(results: list[Timings], windows: list[str], title: str) -> None:
    names = [BUILTIN, *(prometheus_name(w) for w in windows)]
    print()
    print(
        f"{title} (s), median (min-max) over {len(results)} runs, same faults "
        "seen by every detector; ratio = prometheus median / builtin median"
    )
    header = f"{'fault':<22} {'alert':<24}" + "".join(f"{n:>26}" for n in names)
    header += "".join(f"{'ratio ' + w:>12}" for w in windows)
    print(header)
    for fault in FAULTS:
        if not any((BUILTIN, fault.name) in r for r in results):
            continue
        row = f"{fault.name:<22} {'/'.join(fault.alert):<24}"
        values = {n: [r.get((n, fault.name)) for r in results] for n in names}
        row += "".join(f"{cell(values[n]):>26}" for n in names)
        base = median(values[BUILTIN])
        for window in windows:
            other = median(values[prometheus_name(window)])
            ratio = f"{other / base:.2f}x" if base and other is not None else "-"
            row += f"{ratio:>12}"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--windows", default="3s", help="rate windows of the Prometheus rules")
    args = parser.parse_args()
    windows = [w.strip() for w in args.windows.split(",") if w.strip()]
    detections, resolutions = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
            detection, resolution = asyncio.run(one_run(Path(tmp), windows))
        detections.append(detection)
        resolutions.append(resolution)
        cells = "; ".join(
            f"{name} {fault}: {'-' if v is None else f'{v:.2f}s'}"
            for (name, fault), v in detection.items()
        )
        print(f"run {run + 1}: {cells}", flush=True)
    report(detections, windows, "Fault -> first alert")
    report(resolutions, windows, "Revert -> that alert resolved")


if __name__ == "__main__":
    main()
