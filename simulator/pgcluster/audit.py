"""What the drill's cluster can tell a responder: the data-changing statements in its
log (`log_statement = mod`) by anyone but the shop, and the base backups it holds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.pgcluster.backup import archived
from simulator.pgcluster.record import PgCluster

SHOP_APPLICATION = "chaosdrill-shop"
# 2026-12-03 12:29:31.123 UTC [4242] app=migrate-x chaosdrill@chaosdrill xid=751 LOG:  statement:
# (xid=0 until the transaction's first write: a restore --before-xid takes a nonzero one)
LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) UTC \[\d+\] app=(?P<app>\S*) "
    r"\S+ (?:xid=(?P<xid>\d+) )?LOG:  statement: (?P<sql>.*)$"
)
SHOWN = 20


def statements(cluster: PgCluster) -> list[dict[str, str]]:
    """The latest data-changing statements not sent by the shop, oldest first."""
    return _all_statements(cluster)[-SHOWN:]


def writers(cluster: PgCluster) -> list[dict[str, Any]]:
    """Per application other than the shop: its first and last data-changing statement
    and how many, so a long-running writer's start stays visible after the latest
    statements have scrolled past it."""
    by_app: dict[str, dict[str, Any]] = {}
    for s in _all_statements(cluster):
        seen = by_app.setdefault(
            s["application"], {"application": s["application"], "first_at": s["at"], "count": 0}
        )
        seen["last_at"] = s["at"]
        seen["count"] += 1
        seen.setdefault("first_statement", s["statement"])
    return sorted(by_app.values(), key=lambda w: str(w["first_at"]))


def _all_statements(cluster: PgCluster) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for log in sorted(Path(cluster.root, "logs").glob("*.log")):
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            match = LINE.match(line)
            if match and match["app"] != SHOP_APPLICATION:
                at = datetime.fromisoformat(match["at"]).replace(tzinfo=UTC)
                found.append(
                    {
                        "at": at.isoformat(timespec="milliseconds"),
                        "application": match["app"] or "-",
                        "server": log.stem,
                        "statement": match["sql"][:200],
                        "xid": match["xid"] or "0",
                    }
                )
    found.sort(key=lambda s: s["at"])
    return found


def backups(cluster: PgCluster) -> dict[str, Any]:
    """The base backups and the WAL archive: how far back a restore can reach."""
    segments, size = archived(cluster)
    return {
        "serving": cluster.serving,
        "base_backups": [
            {
                "name": Path(b.path).name,
                "finished": datetime.fromtimestamp(b.finished_at, UTC).isoformat(
                    timespec="milliseconds"
                ),
                "size_mb": round(b.bytes / 1e6, 1),
            }
            for b in cluster.backups
        ],
        "wal_archive": {"segments": segments, "mb": round(size / 1e6, 1)},
        "restorable": "from the oldest base backup's finish up to now (db.restore --to TIME, "
        "or --before-xid XID: just before that transaction)",
    }
