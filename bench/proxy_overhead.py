"""Benchmark: what the chaos proxy (no toxics) costs HTTP load on the shop.

One run starts the shop and the proxy (as its own process, as the engine runs
it) and measures three ways, all side by side in the same run:

1. interleaved: the same Locust load (LoadRunner, profile "catalog", no think
   time) on the shop directly, then through the proxy, then through the proxy,
   then directly ... (ABBA) so drift on this shared machine hits both sides
   alike; a warm-up round is not counted;
2. simultaneous: two Locust runs at once, half the users each, one direct and
   one through the proxy, so both see the same moment's noise (with a closed
   loop, the req/s ratio is the inverse latency ratio);
3. a sequential probe: GET /products/1 on one keep-alive connection per path,
   alternating between the paths, with no other load: the added latency
   without Locust's millisecond rounding.

It also reports the proxy process's own CPU per proxied request.

    .venv/bin/python bench/proxy_overhead.py [--rounds 4] [--duration 10] [--users 20]

Goal (issue 3): <= 5 % throughput loss and <= 1 ms added p50.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from simulator.env.processes import start_shop
from simulator.load.runner import LoadConfig, LoadRunner

PATHS = ("direct", "proxy")


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_proxy() -> tuple[subprocess.Popen[str], str]:
    """`python -m simulator.proxy` on a free API port; returns it and its API URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator.proxy", "--api", "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    stdout = proc.stdout
    assert stdout is not None

    def drain() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    while True:
        event = json.loads(lines.get(timeout=15))
        if event["event"] == "ready":
            return proc, f"http://{event['api']}"


def load(host: str, users: int, duration_s: float, seed: int) -> Sample:
    config = LoadConfig(
        host=host,
        users=users,
        spawn_rate=users,
        duration_s=duration_s,
        seed=seed,
        profile="catalog",
        wait_min_s=0,
        wait_max_s=0,
    )
    with LoadRunner(config) as runner:
        runner.wait(duration_s + 30)
        total = runner.summary().total
    return Sample(total.rps, total.p50_ms or 0.0, total.p99_ms or 0.0, total.requests)


def probe(targets: dict[str, str], requests: int) -> dict[str, list[float]]:
    """Milliseconds per GET, alternating between the targets, one keep-alive connection each."""
    times: dict[str, list[float]] = {name: [] for name in targets}
    clients = {name: httpx.Client(base_url=url, timeout=10) for name, url in targets.items()}
    try:
        for _ in range(requests):
            for name, client in clients.items():
                start = time.perf_counter()
                client.get("/products/1").raise_for_status()
                times[name].append((time.perf_counter() - start) * 1000)
    finally:
        for client in clients.values():
            client.close()
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(label: str, name: str, s: Sample) -> str:
    return f"{label:>6} {name:>6} {s.rps:8.1f} {s.p50_ms:7.1f} {s.p99_ms:7.1f}"


def summarise(title: str, samples: dict[str, list[Sample]]) -> None:
    """Median table, the goal figures, and the paired per-round losses."""

    def med(name: str, field: str) -> float:
        return float(statistics.median(getattr(s, field) for s in samples[name]))

    print(f"\n{title}: median over rounds")
    print(f"{'path':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for name in PATHS:
        rps, p50, p99 = med(name, "rps"), med(name, "p50_ms"), med(name, "p99_ms")
        print(f"{name:>6} {rps:8.1f} {p50:7.1f} {p99:7.1f}")
    loss = (1 - med("proxy", "rps") / med("direct", "rps")) * 100
    added = med("proxy", "p50_ms") - med("direct", "p50_ms")
    pairs = zip(samples["direct"], samples["proxy"], strict=True)
    losses = [(1 - p.rps / d.rps) * 100 for d, p in pairs]
    print(f"throughput loss {loss:.1f} % (goal <= 5 %), added p50 {added:.1f} ms (goal <= 1 ms)")
    print(f"paired per-round loss: {', '.join(f'{x:.1f}' for x in losses)} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--probe", type=int, default=1000, help="sequential probe requests")
    args = parser.parse_args()
    interleaved: dict[str, list[Sample]] = {name: [] for name in PATHS}
    together: dict[str, list[Sample]] = {name: [] for name in PATHS}
    proxied_requests, proxy_cpu = 0, 0.0

    with tempfile.TemporaryDirectory(prefix="proxy-bench-") as tmp:
        shop = start_shop(Path(tmp))
        proxy, api = start_proxy()
        try:
            made = httpx.post(f"{api}/proxies", json={"name": "shop", "upstream": shop.url[7:]})
            targets = {"direct": shop.url, "proxy": f"http://{made.json()['listen']}"}
            print(f"users={args.users} duration={args.duration}s rounds={args.rounds} (+1 warm-up)")
            print(f"{'round':>6} {'path':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
            for round_no in range(args.rounds + 1):
                label = f"i{round_no}" if round_no else "warm"
                # ABBA order (direct first in odd rounds, proxy first in even ones),
                # so whatever favours the first or second run of a pair cancels out.
                for name in PATHS if round_no % 2 else PATHS[::-1]:
                    cpu_before = cpu_seconds(proxy.pid)
                    sample = load(targets[name], args.users, args.duration, seed=round_no)
                    print(row(label, name, sample), flush=True)
                    if round_no and name == "proxy":
                        proxy_cpu += cpu_seconds(proxy.pid) - cpu_before
                        proxied_requests += sample.requests
                    if round_no:
                        interleaved[name].append(sample)
            with ThreadPoolExecutor(2) as pool:
                for round_no in range(1, args.rounds + 1):
                    futures = {
                        name: pool.submit(
                            load, targets[name], args.users // 2, args.duration, round_no
                        )
                        for name in PATHS
                    }
                    for name in PATHS:
                        together[name].append(futures[name].result())
                        print(row(f"s{round_no}", name, together[name][-1]), flush=True)
            probes = probe(targets, args.probe)
        finally:
            proxy.send_signal(signal.SIGTERM)
            proxy.wait(10)
            if proxy.stdout is not None:
                proxy.stdout.close()
            shop.stop()

    summarise("interleaved (ABBA: direct, proxy, proxy, direct, ...)", interleaved)
    summarise(f"simultaneous ({args.users // 2} users on each path at once)", together)
    print(
        f"\nproxy process CPU: {proxy_cpu / max(1, proxied_requests) * 1e6:.0f} us per request"
        f" ({proxy_cpu / (args.duration * args.rounds) * 100:.0f} % of one core while proxying)"
    )
    print(f"\nsequential probe: {args.probe} x GET /products/1 per path, alternating")
    print(f"{'path':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for name in PATHS:
        print(f"{name:>6} {pct(probes[name], 0.5):7.3f} {pct(probes[name], 0.99):7.3f}")
    added_probe = pct(probes["proxy"], 0.5) - pct(probes["direct"], 0.5)
    print(f"added p50 {added_probe:.3f} ms")


if __name__ == "__main__":
    main()
