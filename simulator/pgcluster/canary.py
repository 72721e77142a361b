"""The outside count of lost data: every canary order the shop acknowledged (the load's
journal, `simulator.load.canary`) that the serving database lacks or holds changed.

It reads only the journal and the database with plain SQL, never the shop's code or
a restore's own figures, so it can witness them. A canary whose id now belongs to a
different order (the restored sequence handed the id out again) counts as lost too:
its contents are compared, not only its id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.load.canary import Canary, acknowledged, refused
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.record import PgNode

LISTED = 50  # lost canary ids listed at most (the count is always complete)

ROWS = (
    "SELECT o.id, o.customer_id, o.total_cents, coalesce(array_agg("
    "array[i.product_id, i.quantity, i.unit_price_cents] ORDER BY i.id) "
    "FILTER (WHERE i.id IS NOT NULL), '{}') "
    "FROM orders o LEFT JOIN order_items i ON i.order_id = o.id "
    "WHERE o.id = ANY(%s) GROUP BY o.id"
)


def _intact(canary: Canary, row: tuple[Any, ...] | None) -> bool:
    if row is None:
        return False
    items = tuple(tuple(int(v) for v in item) for item in row[3])
    return (
        int(row[1]) == canary.customer_id
        and int(row[2]) == canary.total_cents
        and items == canary.items
    )


def check(node: PgNode, journal: Path, *, before: float | None = None) -> dict[str, Any]:
    """The canaries acknowledged (before `before`, wall clock, when given) and how many
    of them `node` lacks or holds changed."""
    canaries = [c for c in acknowledged(journal) if before is None or c.acked_at < before]
    with pg.connect(node) as conn:
        rows = conn.execute(ROWS, ([c.id for c in canaries],)).fetchall()
    by_id = {int(r[0]): tuple(r) for r in rows}
    missing = [c for c in canaries if c.id not in by_id]
    changed = [c for c in canaries if c.id in by_id and not _intact(c, by_id[c.id])]
    lost = sorted(missing + changed, key=lambda c: c.acked_at)
    return {
        "server": node.name,
        "acknowledged": len(canaries),
        "intact": len(canaries) - len(lost),
        "missing": len(missing),
        "changed": len(changed),
        "lost": len(lost),
        "lost_ids": [c.id for c in lost[:LISTED]],
        "lost_first_at": lost[0].acked_at if lost else None,
        "lost_last_at": lost[-1].acked_at if lost else None,
        # The stretch of time the lost canaries were written in (one beat for one canary).
        "lost_span_s": round(lost[-1].acked_at - lost[0].acked_at + 1.0, 3) if lost else 0.0,
        "refused": refused(journal),
        "coverage": round((len(canaries) - len(lost)) / len(canaries), 4) if canaries else None,
    }


def journal_of(root: str | Path) -> Path:
    """Where the load journals the canaries of the cluster living under `root`."""
    return Path(root) / "canary.jsonl"
