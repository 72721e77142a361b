"""`python -m simulator.faults.watchdog --state-dir DIR`: the far side of every TTL.

Started by `chaosdrill env up` as a process of its own, it reverts each fault
whose TTL has run out even when the engine that injected it is gone (killed
with -9, crashed, or a CLI that exited). A crashed shop gets restarted, a
stopped one resumed, a filler file deleted, an iptables rule removed. It exits
when the environment is taken down.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from simulator.env.state import state_path
from simulator.faults.manager import FaultManager

INTERVAL_S = 0.5
_stop = False


def _on_term(_sig: int, _frame: FrameType | None) -> None:
    global _stop
    _stop = True


def run(state_dir: Path, interval_s: float = INTERVAL_S) -> None:
    manager = FaultManager(state_dir)
    while not _stop and state_path(state_dir).exists():
        try:
            for entry in manager.expire():
                print(
                    json.dumps(
                        {
                            "ts": time.time(),
                            "msg": "ttl expired, reverted",
                            "fault": entry.id,
                            "kind": entry.kind,
                        }
                    ),
                    flush=True,
                )
        except Exception as exc:  # keep guarding; a later pass may succeed
            print(
                json.dumps({"ts": time.time(), "msg": "revert failed", "error": str(exc)}),
                flush=True,
            )
        time.sleep(interval_s)


def main() -> None:
    parser = argparse.ArgumentParser(description="Revert faults whose TTL has run out.")
    parser.add_argument("--state-dir", required=True, type=Path)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    run(args.state_dir.resolve())
    sys.exit(0)


if __name__ == "__main__":
    main()
