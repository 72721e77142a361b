"""A drill engine that runs `db.restore` and is killed with SIGKILL midway
(tests/integration/test_restore_kill.py). Run as `python -m` with the state dir.

It owns its environment as the drill engine does (`owner.pid` before `up`), writes
WAL for the restore to replay (a ballast table), damages the orders with a bad
migration whose TTL bounds how long the watchdog waits, then restores to just
before it. It prints `restoring` before the restore begins and `restored` after.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from simulator.env.lifecycle import OWN_CLUSTER
from simulator.env.owner import OWNER_PID
from simulator.faults.manager import FaultManager
from simulator.platform.environment import EnvOptions, up
from simulator.remediation.apply import apply

BALLAST_ROWS = 300_000  # ~40 MB of WAL: a replay that lasts long enough to be caught


def main() -> None:
    state_dir = Path(sys.argv[1])
    ttl_s = float(sys.argv[2])
    (state_dir / OWNER_PID).write_text(str(os.getpid()))
    state = up(EnvOptions(state_dir=state_dir, database_url=OWN_CLUSTER))
    assert state.pg is not None
    with psycopg.connect(state.pg.primary.dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE ballast AS SELECT g AS id, md5(g::text) AS pad "
            f"FROM generate_series(1, {BALLAST_ROWS}) g"
        )
    time.sleep(1.0)  # the target is clearly after the ballast and before the damage
    target = datetime.now(UTC).isoformat()
    time.sleep(1.0)
    FaultManager(state_dir).inject("data.bad_migration", {"scope": "pending", "lock_s": 0}, ttl_s)
    print("restoring", flush=True)
    apply(state_dir, "db.restore", target)
    print("restored", flush=True)
    time.sleep(600)  # an engine keeps running; the test kills it before this


if __name__ == "__main__":
    main()
