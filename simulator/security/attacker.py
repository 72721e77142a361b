"""The attacker of a credential drill: `python -m simulator.security.attacker ...`.

Started by the `security.leaked_key` fault, it does what someone who found the
key would do: tries the canary key planted beside it once, then pages slowly
through the customer export with the leaked key from its own loopback address
(127.0.0.2 by default), until it has every record, its deadline passes or it
has made `--max-requests`. A refused request (revoked key, blocked address) is
retried at the same pace: the audit log shows the attempts going on. It talks
only to a shop on 127.0.0.1 and keeps a tally of what it got in a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

EXPORT = "/admin/customers/export"


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator.security.attacker")
    parser.add_argument("--url", required=True, help="the drill's shop, http://127.0.0.1:PORT")
    parser.add_argument("--source", default="127.0.0.2", help="the loopback address to use")
    parser.add_argument("--page", type=int, default=10, help="records per request")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between requests")
    parser.add_argument("--deadline", type=float, required=True, help="wall time to stop at")
    parser.add_argument("--max-requests", type=int, default=2000)
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
        sys.exit("attacker: talks only to a drill shop on 127.0.0.1 from a 127.x address")
    # The secrets come in the environment, not argv: /proc/PID/cmdline is world-readable.
    key, canary = os.environ["ATTACKER_KEY"], os.environ.get("ATTACKER_CANARY_KEY")
    tally: dict[str, Any] = {
        "pid": os.getpid(),
        "requests": 0,
        "ok": 0,
        "rows": 0,
        "first_ok_wall": None,
        "last_ok_wall": None,
        "statuses": {},
        "done": False,
    }
    transport = httpx.HTTPTransport(local_address=args.source)
    after_id = 0
    interval = max(args.interval, 0.2)
    with httpx.Client(base_url=args.url, transport=transport, timeout=5.0) as client:
        if canary:  # the finder tries every key in the paste
            _request(client, canary, 0, args.page, tally)
        while (
            not tally["done"]
            and time.time() < args.deadline
            and tally["requests"] < args.max_requests
        ):
            body = _request(client, key, after_id, args.page, tally)
            if body is not None:
                tally["ok"] += 1
                tally["rows"] += len(body["customers"])
                tally["first_ok_wall"] = tally["first_ok_wall"] or time.time()
                tally["last_ok_wall"] = time.time()
                if body["next_after_id"] is None:
                    tally["done"] = True
                else:
                    after_id = int(body["next_after_id"])
            _write(args.tally, tally)
            if not tally["done"]:
                time.sleep(interval)
    _write(args.tally, tally)
    return 0


def _request(
    client: httpx.Client, key: str, after_id: int, page: int, tally: dict[str, Any]
) -> dict[str, Any] | None:
    tally["requests"] += 1
    try:
        response = client.get(
            EXPORT, params={"after_id": after_id, "limit": page}, headers={"X-Api-Key": key}
        )
    except httpx.HTTPError as exc:  # the shop restarting: try again at the next tick
        name = type(exc).__name__
        tally["statuses"][name] = tally["statuses"].get(name, 0) + 1
        return None
    code = str(response.status_code)
    tally["statuses"][code] = tally["statuses"].get(code, 0) + 1
    if response.status_code != 200:
        return None
    body: dict[str, Any] = response.json()
    return body


if __name__ == "__main__":
    sys.exit(main())
