"""The engine side of the load generator must never import Locust or gevent."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import simulator.load.runner
import simulator.cli.load_cmd
loaded = sorted(m for m in ("locust", "gevent", "geventhttpclient") if m in sys.modules)
print(",".join(loaded) or "clean")
"""


def test_importing_the_runner_and_cli_leaves_locust_and_gevent_out() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "clean"
