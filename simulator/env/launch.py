"""`python -m simulator.env.launch LOG -- ARGV...`: start ARGV detached, print its pid.

The environment's services must outlive whoever started them (the CLI's
`env up` returns at once; the watchdog may restart a crashed service) and must
not become zombies of a long-running engine. This launcher starts the service
in a new session and exits, so the service is re-parented to init.
"""

from __future__ import annotations

import subprocess
import sys


def main() -> None:
    log, sep, *argv = sys.argv[1:]
    if sep != "--" or not argv:
        sys.exit("usage: python -m simulator.env.launch LOG -- ARGV...")
    with open(log, "ab") as out:
        child = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    print(child.pid, flush=True)
    child.returncode = 0  # we deliberately do not wait: the child is on its own now


if __name__ == "__main__":
    main()
