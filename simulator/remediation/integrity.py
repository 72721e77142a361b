"""The data-incident steps around a restore: stop and resume the shop's writes, list
what a restore can reach, and check the data's integrity.

`writes.stop` is a real shop setting (the `writes_enabled` flag of its chaos API)
with a TTL, so a drill that dies with writes stopped gives the shop its writes back
by itself. `data.verify` reads the serving database directly, as a DBA would, and
its report goes into the action's `measured` (the event log keeps it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from simulator.faults.backend import FaultBackend
from simulator.faults.errors import FaultError, NotApplicable
from simulator.faults.kinds.data import missing_rows
from simulator.load.canary import acknowledged
from simulator.pgcluster import cluster as pg
from simulator.pgcluster.audit import backups
from simulator.pgcluster.binaries import ClusterError
from simulator.pgcluster.canary import check as check_canaries
from simulator.pgcluster.canary import journal_of
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
    canary = canary_coverage(cluster)
    try:
        who = affected(cluster, mismatched, canary)
    except ClusterError as exc:
        raise FaultError(f"cannot read the serving database: {exc}") from None
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
        "canary": canary,
        "affected_customers": who,
        "passed": not problems,
        "problems": problems,
    }


def canary_coverage(cluster: PgCluster) -> dict[str, Any] | None:
    """The load's canaries on the serving database: acknowledged, intact, lost. Lost
    canaries are the RPO a restore chose (written after its target), not a failed
    check: the report shows them, the verdict does not hang on them."""
    journal = journal_of(cluster.root)
    if not journal.exists():
        return None
    try:
        return check_canaries(cluster.primary, journal)
    except ClusterError as exc:
        raise FaultError(f"cannot read the serving database: {exc}") from None


def affected(cluster: PgCluster, corrupt: list[int], canary: dict[str, Any] | None) -> list[int]:
    """The customers whose orders were lost for good or are corrupt now (0 stands for
    lost orders whose customer nobody can tell any more)."""
    ids = set(cluster.lost_orders.values())
    if corrupt:
        marks = ",".join(str(int(i)) for i in corrupt)  # ints only: safe to inline
        with pg.connect(cluster.primary) as conn:
            rows = conn.execute(f"SELECT customer_id FROM orders WHERE id IN ({marks})")
            ids |= {int(r[0]) for r in rows.fetchall()}
    if canary and canary["lost"]:
        lost = set(canary["lost_ids"])
        # lost_ids lists at most 50; the journal names every lost canary's customer
        ids |= {c.customer_id for c in acknowledged(journal_of(cluster.root)) if c.id in lost}
    return sorted(ids)


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
    canary = found["canary"]
    if canary is not None:
        head += (
            f"; canaries: {canary['intact']} of {canary['acknowledged']} acknowledged intact"
            + (f", {canary['lost']} lost" if canary["lost"] else "")
        )
    if found["affected_customers"]:
        head += f"; {len(found['affected_customers'])} customer(s) affected"
    if found["passed"]:
        return f"integrity passed: {head}; every reference holds, every total matches"
    # The check itself worked: its finding is the result, not an error of the action.
    return f"integrity FAILED: {head}; {'; '.join(found['problems'])}"


def users_notify(backend: FaultBackend, _arg: str | None) -> str:
    """Tell the customers the integrity report finds affected (lost or corrupt orders);
    who was told is kept in the action's `measured` and the cluster's notified.jsonl."""
    cluster = _cluster(backend, "users.notify without a key")
    found = report(cluster)
    who: list[int] = found["affected_customers"]
    if not who:
        raise FaultError(
            "the integrity report finds no customer whose order was lost or corrupted; "
            "nobody to notify (run data.verify to see it)"
        )
    canary = found["canary"] or {}
    backend.measured = {
        "notified_customers": who,
        "notified": len(who),
        "lost_orders": len(cluster.lost_orders),
        "corrupt_orders": found["corrupt_orders"],
        "canary_lost": canary.get("lost", 0),
    }
    with (Path(cluster.root) / "notified.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"at": round(time.time(), 3), "customers": who}) + "\n")
    known = [c for c in who if c]
    unknown = " (and the owners of orders gone before anyone read them)" if 0 in who else ""
    return (
        f"[DRILL] notified {len(known)} customer(s){unknown} whose orders were lost or "
        f"corrupted: {len(cluster.lost_orders)} order(s) lost for good, "
        f"{found['corrupt_orders']} corrupt, from the integrity report"
    )
