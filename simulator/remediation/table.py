"""Which remediation ends which fault: the answer key's mechanics.

Applying an action always has its real side effect. If the action is in a
fault's row, the fault ends too (the engine reverts it with reason
`remediated`); otherwise the fault stays, as it would in real life (a restart
does not release a lock held by another session).
"""

from __future__ import annotations

from typing import Any

from simulator.security.keys import OWNERS

# action -> fault kinds it ends
ENDS: dict[str, frozenset[str]] = {
    "service.restart": frozenset(
        {"app.crash", "app.hang", "app.memory_leak", "app.cpu_burn", "db.pool_exhaustion"}
    ),
    "service.scale_up": frozenset(
        {
            "app.crash",
            "app.hang",
            "app.memory_leak",
            "app.cpu_burn",
            "db.pool_exhaustion",
            "app.latency",
        }
    ),
    "deploy.rollback": frozenset({"deploy.bad_release"}),
    "db.kill_long_queries": frozenset({"db.lock"}),
    "db.restore": frozenset({"db.down", "data.bad_migration", "data.rogue_job", "db.replica_lag"}),
    "db.failover_to_replica": frozenset({"db.down", "db.latency", "db.replica_lag"}),
    "db.replica_resume": frozenset({"db.replica_lag"}),
    "cache.clear": frozenset({"app.memory_leak"}),
    "feature.disable": frozenset({"app.error_rate", "app.latency", "feature.enable"}),
    "dependency.switch_backup": frozenset(
        {"dependency.down", "dependency.latency", "network.loss"}
    ),
    "disk.cleanup": frozenset({"disk.full"}),
    # Only the leaked key, its owner's rotation or the attacker's address (see `ends`).
    "key.revoke": frozenset({"security.leaked_key"}),
    "keys.rotate": frozenset({"security.leaked_key"}),
    "client.block": frozenset({"security.leaked_key", "security.credential_stuffing"}),
    "users.notify": frozenset(),  # part of the response, never a fix
    # The follow-up of a stuffing: the attacker's other attempts go on until it is blocked.
    "accounts.lock": frozenset(),
    "accounts.reset": frozenset(),
    # A data incident's steps around the fix: they contain or check, never repair.
    "writes.stop": frozenset(),
    "writes.resume": frozenset(),
    "backup.list": frozenset(),
    "data.verify": frozenset(),
    "job.stop": frozenset(),  # stops the damage growing; the rows stay lost until a restore
}


# Routes that belong to a feature that can be switched off.
FEATURE_ROUTES: dict[str, tuple[str, ...]] = {"recommendations": ("/recommendations",)}
# Features behind a flag inside another router, with the routes they slow or break
# (none: their bugs show on pages shared with the rest of the shop).
FLAGGED_FEATURES: dict[str, tuple[str, ...]] = {
    "search_ranking": ("/products/search",),
    "storefront_v2": (),
    "product_summaries": (),
}
FEATURES: dict[str, tuple[str, ...]] = {**FEATURE_ROUTES, **FLAGGED_FEATURES}


def ends(action: str, arg: str | None, kind: str, params: dict[str, Any], target: str) -> bool:
    """Does applying `action arg` end a fault of `kind` with these params?"""
    if kind not in ENDS.get(action, frozenset()):
        return False
    if action == "feature.disable" and kind == "feature.enable":
        return params.get("feature") == arg  # switching that flag off again
    if action == "feature.disable":
        # Only a fault that lives entirely inside the disabled feature's routes.
        prefixes = FEATURES.get(arg or "", ())
        routes = params.get("routes") or []
        return bool(routes) and all(r.startswith(prefixes) for r in routes) if prefixes else False
    if kind in ("data.bad_migration", "data.rogue_job"):  # only a point-in-time restore
        return bool(arg)
    if action == "db.restore" and kind == "db.replica_lag":  # it reopens a cut stream
        return not arg and params.get("mode", "stream_cut") == "stream_cut"
    if action == "dependency.switch_backup" and kind == "network.loss":
        return target == "payment"
    if kind == "security.leaked_key":
        key_id = str(params.get("key_id", "reports"))
        wanted = {
            "key.revoke": key_id,
            "keys.rotate": OWNERS.get(key_id),
            "client.block": str(params.get("source", "127.0.0.2")),
        }
        return arg == wanted.get(action)
    if kind == "security.credential_stuffing":  # only the stuffer's own address
        return arg == str(params.get("source", "127.0.0.3"))
    if action == "service.scale_up" and kind == "app.latency":
        # More capacity helps a shop that is slow everywhere in proportion to its work,
        # not a fixed delay or one slow route.
        return params.get("factor") is not None and not params.get("routes")
    return True


def table_rows() -> list[tuple[str, str]]:
    """(action, faults it ends) for docs and `chaosdrill remediate --list`."""
    rows = []
    for action, kinds in ENDS.items():
        note = ", ".join(sorted(kinds))
        if action == "feature.disable":
            note += " (only when scoped to the feature's routes)"
        if action in ("key.revoke", "keys.rotate", "client.block"):
            note += " (the leaked key, its owner, the attacker's address)"
        if action == "db.restore":
            note = note.replace("data.bad_migration", "data.bad_migration (with --to TIME)")
            note = note.replace("data.rogue_job", "data.rogue_job (with TIME, the job stopped)")
            note = note.replace("db.replica_lag", "db.replica_lag (stream_cut, without TIME)")
        if action == "service.scale_up":
            note = note.replace("app.latency", "app.latency (a site-wide factor)")
        if action == "dependency.switch_backup":
            note = note.replace("network.loss", "network.loss (on payment)")
        rows.append((action, note))
    return rows
