"""Tearing the drill's cluster down also stops a tool that outlived its engine.

An engine killed with SIGKILL while `db.restore` copies the base backup leaves the
`cp -a` running (its parent is gone, nobody stops it), and it keeps writing into
the tree the teardown removes. The stand-in here writes files into the cluster's
directory in a loop, with that directory on its command line as `cp` has it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from simulator.pgcluster.cluster import destroy
from simulator.pgcluster.record import PgCluster
from tests.probes import wait_until

WRITER = """
import os, sys, time
target = os.path.join(sys.argv[1], "nodes", "restore-1")
for i in range(60000):
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, f"f{i % 50}"), "w") as handle:
        handle.write("x" * 4096)
    time.sleep(0.01)
"""


def test_destroy_stops_a_stray_copy_and_removes_every_file(tmp_path: Path) -> None:
    root = tmp_path / "chaosdrill-pg-x"
    (root / "nodes").mkdir(parents=True)
    link = tmp_path / "pg"
    link.symlink_to(root, target_is_directory=True)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root)])
    try:
        assert wait_until(lambda: (root / "nodes" / "restore-1" / "f1").exists(), 10)
        cluster = PgCluster(
            root=str(root), link=str(link), bindir="/nonexistent", archive_dir=str(root / "a")
        )
        destroy(cluster)
        time.sleep(0.2)  # a writer still running would have made its directory again
        assert writer.poll() is not None, "the stray copy was stopped"
        assert not root.exists() and not link.is_symlink()
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
