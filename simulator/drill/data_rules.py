"""Diagnosis of damage a database writer other than the shop is doing right now.

A session still connected (pg_stat_activity) whose application keeps running
destructive statements on the orders (the statement log, `log_statement = mod`) is a
job at work: stop it first, so the damage stops growing; then the playbook's data-loss
steps, with the restore target its first statement (the `writers` summary keeps it
after the latest statements scrolled past).
"""

from __future__ import annotations

from simulator.drill.finding import Diagnosis, Views

SHOP = "chaosdrill-shop"
DESTRUCTIVE = ("DELETE", "TRUNCATE", "UPDATE", "DROP")
# Rounds seen before it counts as a job rather than a one-off statement.
MIN_STATEMENTS = 3


def first_write(v: Views, application: str) -> str | None:
    """When `application` first changed data, from the database view's writers."""
    for w in v["database"].get("writers") or []:
        if w["application"] == application:
            return str(w["first_at"])
    return None


def rogue_job(v: Views) -> Diagnosis | None:
    db = v["database"]
    connected = {
        s["application"] for s in db.get("sessions", []) if s["application"] not in ("", SHOP)
    }
    for w in db.get("writers") or []:
        sql = str(w.get("first_statement", "")).lstrip().upper()
        if (
            w["application"] in connected
            and w["count"] >= MIN_STATEMENTS
            and sql.startswith(DESTRUCTIVE)
            and " ORDER" in sql
        ):
            app, first = str(w["application"]), str(w["first_at"])
            return Diagnosis(
                "database",
                "job.stop",
                app,
                "P1",
                f"{app} is still connected and has run {w['count']} destructive statements "
                f"on the orders since {first} (last {w['last_at']}): stop it before the "
                "damage grows, then stop writes, restore to before its first statement and "
                "verify",
                then=(
                    ("writes.stop", None),
                    ("backup.list", None),
                    ("db.restore", first),
                    ("data.verify", None),
                    ("writes.resume", None),
                ),
            )
    return None
