"""Benchmark: what the chaos proxy (no toxics) costs HTTP load on the shop.

One run starts the shop and the proxy (as its own process, as the engine runs
it), then puts the same Locust load (LoadRunner, profile "catalog", no think
time) on the shop directly and through the proxy, interleaved
(direct, proxy, direct, proxy ...) so that drift on this shared machine hits
both sides alike. A warm-up round is not counted. A sequential probe (one
keep-alive connection per path, GET /products/1 alternating between the paths,
no other load) then measures the added latency without Locust's rounding.

    .venv/bin/python bench/proxy_overhead.py [--rounds 3] [--duration 10] [--users 20]

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
from dataclasses import dataclass
from pathlib import Path

import httpx

from simulator.env.processes import start_shop
from simulator.load.runner import LoadConfig, LoadRunner


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    proxy_cpu_s: float = 0.0  # CPU the proxy process used during this run


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
    threading.Thread(target=lambda: [lines.put(x) for x in stdout], daemon=True).start()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--probe", type=int, default=1000, help="sequential probe requests")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="proxy-bench-") as tmp:
        shop = start_shop(Path(tmp))
        proxy, api = start_proxy()
        try:
            made = httpx.post(f"{api}/proxies", json={"name": "shop", "upstream": shop.url[7:]})
            targets = {"direct": shop.url, "proxy": f"http://{made.json()['listen']}"}
            samples: dict[str, list[Sample]] = {"direct": [], "proxy": []}
            print(f"users={args.users} duration={args.duration}s rounds={args.rounds} (+1 warm-up)")
            print(f"{'round':>5} {'path':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
            for round_no in range(args.rounds + 1):
                for name, url in targets.items():
                    cpu_before = cpu_seconds(proxy.pid)
                    sample = load(url, args.users, args.duration, seed=round_no)
                    sample.proxy_cpu_s = cpu_seconds(proxy.pid) - cpu_before
                    label = "warm" if round_no == 0 else str(round_no)
                    print(
                        f"{label:>5} {name:>6} {sample.rps:8.1f} "
                        f"{sample.p50_ms:7.1f} {sample.p99_ms:7.1f}",
                        flush=True,
                    )
                    if round_no:
                        samples[name].append(sample)
            probes = probe(targets, args.probe)
        finally:
            proxy.send_signal(signal.SIGTERM)
            proxy.wait(10)
            if proxy.stdout is not None:
                proxy.stdout.close()
            shop.stop()

    def med(name: str, field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples[name])

    print("\nmedian over rounds (Locust, catalog profile)")
    print(f"{'path':>6} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for name in samples:
        print(
            f"{name:>6} {med(name, 'rps'):8.1f} {med(name, 'p50_ms'):7.1f} "
            f"{med(name, 'p99_ms'):7.1f}"
        )
    loss = (1 - med("proxy", "rps") / med("direct", "rps")) * 100
    added = med("proxy", "p50_ms") - med("direct", "p50_ms")
    print(f"throughput loss {loss:.1f} % (goal <= 5 %), added p50 {added:.2f} ms (goal <= 1 ms)")
    cpu = sum(s.proxy_cpu_s for s in samples["proxy"])
    requests = sum(s.requests for s in samples["proxy"])
    seconds = args.duration * len(samples["proxy"])
    print(
        f"proxy process CPU: {cpu / max(1, requests) * 1e6:.0f} us per request, "
        f"{cpu / seconds * 100:.0f} % of one core while proxying"
    )

    print(f"\nsequential probe: {args.probe} x GET /products/1 per path, alternating")
    print(f"{'path':>6} {'p50 ms':>7} {'p99 ms':>7}")
    for name, times in probes.items():
        print(f"{name:>6} {pct(times, 0.5):7.3f} {pct(times, 0.99):7.3f}")
    added_probe = pct(probes["proxy"], 0.5) - pct(probes["direct"], 0.5)
    print(f"added p50 {added_probe:.3f} ms")


if __name__ == "__main__":
    main()
