"""The data-incident steps around a restore: stop and resume the shop's writes, list
what a restore can reach, and check the data's integrity.

`writes.stop` is a real shop setting (the `writes_enabled` flag of its chaos API)
with a TTL, so a drill that dies with writes stopped gives the shop its writes back
by itself. `data.verify` reads the serving database directly, as a DBA would, and
its report goes into the action's `measured` (the event log keeps it).
"""

from __future__ import annotations

from typing import Any

from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.data import missing_rows
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.audit import backups
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.record import PgCluster

# Long enough for any drill's restore; short enough that an abandoned stop ends.
WRITES_STOP_TTL_S = 1800.0

COUNTED = ("orders", "order_items", "payments", "customers", "products")
# Rows whose reference points nowhere (the schema's foreign keys, checked anyway:
# a restore or a hand-made fix may have loaded data with constraints off).
ORPHANS = {
    "order_items without their order": "SELECT count(*) FROM order_items i "
    "LEFT JOIN orders o ON o.id = i.order_id WHERE o.id IS NULL",
    "payments without their order": "SELECT count(*) FROM payments p "
    "LEFT JOIN orders o ON o.id = p.order_id WHERE o.id IS NULL",
    "orders without their customer": "SELECT count(*) FROM orders o "
    "LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL",
}
# The shop writes an order's total as the sum of its items: anything else is corrupt.
MISMATCHED = (
    "SELECT o.id FROM orders o LEFT JOIN order_items i ON i.order_id = o.id "
    "GROUP BY o.id, o.total_cents "
    "HAVING o.total_cents <> coalesce(sum(i.quantity * i.unit_price_cents), 0) ORDER BY o.id"
)
CHECKSUM = (
    "SELECT md5(coalesce(string_agg(concat_ws(':', id, customer_id, status, total_cents, "
    "currency), ',' ORDER BY id), '')) FROM orders"
)


def _cluster(backend: FaultBackend, action: str) -> PgCluster:
    if backend.state.pg is None:
        raise NotApplicable(
            f"{action} needs the drill's own PostgreSQL cluster (base backups, a WAL "
            "archive, a server to read directly); this environment has none"
        )
    return backend.state.pg


def writes_stop(backend: FaultBackend, _arg: str | None) -> str:
    backend.shop_chaos("PUT", "/chaos/flags", {"writes_enabled": False, "ttl_s": WRITES_STOP_TTL_S})
    return (
        "stopped the shop's writes: every API write now answers 503 while reads go on "
        f"(for at most {WRITES_STOP_TTL_S / 60:.0f} min, or until writes.resume)"
    )


def writes_resume(backend: FaultBackend, _arg: str | None) -> str:
    backend.shop_chaos("PUT", "/chaos/flags", {"writes_enabled": True})
    return "resumed the shop's writes"


def backup_list(backend: FaultBackend, _arg: str | None) -> str:
    cluster = _cluster(backend, "backup.list")
    listing = backups(cluster)
    backend.measured = listing
    if not listing["base_backups"]:
        return "no base backup: a point-in-time restore cannot reach any time"
    oldest = listing["base_backups"][0]
    wal = listing["wal_archive"]
    return (
        f"{len(listing['base_backups'])} base backup(s), the oldest {oldest['name']} "
        f"finished {oldest['finished']}; {wal['segments']} archived WAL segment(s) "
        f"({wal['mb']} MB): db.restore can reach any time from {oldest['finished']} to now"
    )


def report(cluster: PgCluster) -> dict[str, Any]:
    """The integrity of the serving database: counts, a checksum, broken references,
    corrupt totals and rows a data fault deleted that are still missing."""
    try:
        with pg.connect(cluster.primary) as conn:
            counts = {}
            for table in COUNTED:
                row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                counts[table] = int(row[0]) if row else 0
            orphans = {}
            for name, sql in ORPHANS.items():
                row = conn.execute(sql).fetchone()
                orphans[name] = int(row[0]) if row else 0
            mismatched = [int(r[0]) for r in conn.execute(MISMATCHED).fetchall()]
            row = conn.execute(CHECKSUM).fetchone()
            checksum = str(row[0]) if row else ""
    except ClusterError as exc:
        raise FaultError(f"cannot read the serving database: {exc}") from None
    missing = missing_rows(cluster)
    problems = [f"{n} {name}" for name, n in orphans.items() if n]
    if mismatched:
        problems.append(f"{len(mismatched)} order(s) whose total differs from their items")
    if missing:
        problems.append(f"{missing} deleted order(s) still missing")
    return {
        "server": cluster.serving,
        "counts": counts,
        "orders_md5": checksum,
        "orphans": orphans,
        "corrupt_orders": len(mismatched),
        "corrupt_order_ids": mismatched[:20],
        "missing_orders": missing,
        "canary": "no canary orders in this drill",
        "passed": not problems,
        "problems": problems,
    }


def data_verify(backend: FaultBackend, _arg: str | None) -> str:
    cluster = _cluster(backend, "data.verify")
    found = report(cluster)
    backend.measured = {"integrity": found}
    counts = found["counts"]
    head = (
        f"{counts['orders']} orders, {counts['order_items']} items, "
        f"{counts['payments']} payments on {found['server']} (orders md5 "
        f"{found['orders_md5'][:12]})"
    )
    if found["passed"]:
        return f"integrity passed: {head}; every reference holds, every total matches"
    # The check itself worked: its finding is the result, not an error of the action.
    return f"integrity FAILED: {head}; {'; '.join(found['problems'])}"
