"""Where does the engine's memory go? Run the CLI in this process under tracemalloc.

    python bench/memtrace.py OUT.txt [--every 60] -- run scenario.yaml --autopilot ...

After a warm-up, and then every `--every` seconds, a daemon thread appends to
OUT.txt what grew since the warm-up baseline: live objects by type (a census of
gc.get_objects(), cheap and to the point: "2400 more LoadSnapshot") and
allocated bytes by source line (tracemalloc, one frame: cheap enough for these
two shared cores). `bench/soak.py --trace OUT.txt` runs its engine through this
wrapper, so the same pid is both sampled and traced (its RSS then includes
tracemalloc's own bookkeeping).
"""

from __future__ import annotations

import gc
import sys
import threading
import time
import tracemalloc
from collections import Counter
from pathlib import Path

TOP = 15
WARM_UP_S = 90.0  # from process start: environment up, load ramped
# Not the engine's: this module's own work and tracemalloc's.
IGNORE = [
    tracemalloc.Filter(False, __file__),
    tracemalloc.Filter(False, tracemalloc.__file__),
]


def census() -> Counter[str]:
    """Live gc-tracked objects by type."""
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in gc.get_objects())


def _report(out: Path, start: float, base: tracemalloc.Snapshot, types: Counter[str]) -> None:
    snap = tracemalloc.take_snapshot().filter_traces(IGNORE)
    now = census()
    grown = (now - types).most_common(TOP)
    stats = snap.compare_to(base, "lineno")[:TOP]
    total = sum(stat.size for stat in snap.statistics("filename"))
    with out.open("a") as f:
        f.write(f"\n=== t={time.monotonic() - start:.0f}s traced {total / 1e6:.2f} MB\n")
        f.write("objects grown since the baseline, by type:\n")
        for name, count in grown:
            f.write(f"  {count:+8d}  {name}\n")
        f.write("bytes grown since the baseline, by line:\n")
        for stat in stats:
            f.write(
                f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d}  {stat.traceback}\n"
            )


def _watch(out: Path, every: float) -> None:
    start = time.monotonic()
    time.sleep(WARM_UP_S)
    base = tracemalloc.take_snapshot().filter_traces(IGNORE)
    types = census()
    with out.open("a") as f:
        f.write(f"baseline at {time.monotonic() - start:.0f}s, {sum(types.values())} objects\n")
    while True:
        time.sleep(every)
        _report(out, start, base, types)  # its locals are gone before the next round


def main() -> None:
    args = sys.argv[1:]
    if "--" not in args:
        raise SystemExit(__doc__)
    split = args.index("--")
    head, cli_args = args[:split], args[split + 1 :]
    if not head:
        raise SystemExit(__doc__)
    out = Path(head[0])
    every = float(head[head.index("--every") + 1]) if "--every" in head else 60.0
    tracemalloc.start(1)
    threading.Thread(target=_watch, args=(out, every), daemon=True, name="memtrace").start()
    sys.argv = ["chaosdrill", *cli_args]
    from simulator.cli.main import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
