"""Write the golden logs of contract/ (run: python tests/data/golden/make_contract_golden.py).

These logs follow the event-log contract of issue 11 (/work/contract.md at the
time): every action is `action.started` (when the responder acted) then
`action.executed` (result, duration, faults it ended), paired by `action_id`;
every fault has exactly one `fault.reverted`, with its `reason`, the
`action_id`/`action_seq` of the action that ended it, and `ended_wall` (when it
really ended; the event itself is logged on the engine's next tick, later).
Hand arithmetic for each log is in expected.yaml under `contract/...`.
"""

from __future__ import annotations

from typing import Any

from make_golden import DB_LOCK, FULL_UPDATE, Log

PROFILE_FIXED_AT_162 = [(0, 0.0, 100), (62, 0.3, 2000), (164, 0.0, 100)]


def alert(log: Log, t: float, severity: str = "high") -> None:
    log.add(
        t,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity=severity,
        sli="error_rate",
        value=0.3,
        threshold=0.05,
    )
    log.add(
        t + 1,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )


def triage(log: Log, who: str, incident: str, t: float) -> None:
    """Acknowledge at t, INVESTIGATING +2, P1 +5, assign dba (area database) +10, update +20."""
    log.add(t, "incident.acknowledged", who, incident_id=incident, page_id="p1")
    log.add(t + 2, "incident.status_changed", who, incident_id=incident, to="INVESTIGATING")
    log.add(t + 5, "incident.severity_set", who, incident_id=incident, severity="P1")
    log.add(t + 10, "incident.assigned", who, incident_id=incident, team="dba", area="database")
    log.add(t + 20, "incident.update_posted", who, incident_id=incident, fields=FULL_UPDATE)


def fixed_drill(name: str, who: str, *, unavailable: bool) -> Log:
    """db-lock, one trainee: the kill at 02:40 ends the fault at 02:42 (logged 02:43.4)."""
    t = f"trainee:{who}"
    log = Log(f"golden-{name}", "db-lock", participants=[{"name": who, "role": "on-call"}])
    log.sli(270, PROFILE_FIXED_AT_162)
    log.add(60, "fault.injected", fault_id="f-0000aa01", kind="db.lock", target="shop", ttl_s=900)
    alert(log, 80)
    triage(log, t, "INC-21", 90)
    if unavailable:
        # db.restore cannot act on SQLite: it did nothing (never "made things worse").
        log.act(
            140,
            t,
            "db.restore",
            140.5,
            result="unavailable",
            detail="db.restore needs the database proxy, which this environment does not have",
        )
    log.add(150, "incident.status_changed", t, incident_id="INC-21", to="IDENTIFIED")
    kill = log.act(160, t, "db.kill_long_queries", 163, ended=("f-0000aa01",))
    # The tick logs the end after the action's own record (the race of issue 11, now harmless).
    log.end(163.4, "f-0000aa01", "db.lock", "remediated", ended=162, action_id=kill)
    log.add(170, "incident.status_changed", t, incident_id="INC-21", to="MONITORING")
    log.add(230, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(240, "incident.update_posted", t, incident_id="INC-21", fields=FULL_UPDATE)
    log.add(250, "incident.resolved", t, incident_id="INC-21")
    return log


def remediated() -> None:
    """hana: an unavailable db.restore (no harm), then the kill that ends the fault."""
    log = fixed_drill("contract-remediated", "hana", unavailable=True)
    log.add(260, "answer_key.revealed", **DB_LOCK)
    log.add(270, "drill.finished", outcome="resolved")
    log.write("contract/remediated.jsonl")


def review() -> None:
    """pat fixes the lock, then submits the review from the console (with its action items)."""
    log = fixed_drill("contract-review", "pat", unavailable=False)
    fields = {
        "what_happened": "Orders failed for four minutes: a batch job held a lock on orders.",
        "why": "The nightly batch ran at peak; no statement timeout on the batch role.",
        "went_well": "The page was answered in ten seconds.",
        "went_badly": "Nobody knew where the slow-query view was.",
        "improvements": "Move the batch off-peak and set a statement timeout.",
    }
    items: list[dict[str, Any]] = [
        {
            "item": "Set statement_timeout=30s for the batch role",
            "owner": "dba",
            "due": "",
            "status": "Open",
        },
        {
            "item": "Link the slow-query view from the runbook",
            "owner": "",
            "due": "2026-03-05",
            "status": "Open",
        },
    ]
    log.add(255, "review.submitted", "trainee:pat", fields=fields, action_items=items)
    log.add(260, "answer_key.revealed", **DB_LOCK)
    log.add(270, "drill.finished", outcome="resolved")
    log.write("contract/review.jsonl")


def expired() -> None:
    """ivan restarts (useless); the fault's 4-minute TTL runs out at 05:00 while the incident
    is open; the service recovers by itself; nobody earns recovery or remediation credit."""
    i = "trainee:ivan"
    log = Log(
        "golden-contract-expired",
        "db-lock",
        participants=[{"name": "ivan", "role": "incident commander"}],
    )
    log.sli(400, [(0, 0.0, 100), (62, 0.3, 2000), (302, 0.0, 100)])
    log.add(60, "fault.injected", fault_id="f-0000bb01", kind="db.lock", target="shop", ttl_s=240)
    alert(log, 75)
    triage(log, i, "INC-22", 100)
    log.act(200, i, "service.restart", 205)
    log.end(300.3, "f-0000bb01", "db.lock", "ttl", ended=300)
    log.add(310, "alert.resolved", "detector", alert_id="a1", name="error_rate", severity="high")
    log.add(320, "incident.status_changed", i, incident_id="INC-22", to="MONITORING")
    log.add(360, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(370, "incident.update_posted", i, incident_id="INC-22", fields=FULL_UPDATE)
    log.add(380, "incident.resolved", i, incident_id="INC-22")
    log.add(390, "answer_key.revealed", **DB_LOCK)
    log.add(400, "drill.finished", outcome="resolved")
    log.write("contract/expired.jsonl")


def idle() -> None:
    """kim commands and fixes; nora posts one update; lee and max (joined late) do nothing."""
    k, n = "trainee:kim", "trainee:nora"
    people = [
        {"name": "kim", "role": "incident commander"},
        {"name": "nora", "role": "communications"},
        {"name": "lee", "role": "operations"},
    ]
    log = Log("golden-contract-idle", "db-lock", participants=people)
    log.sli(220, [(0, 0.0, 100), (62, 0.3, 2000), (132, 0.0, 100)])
    log.add(30, "participant.joined", "console", name="max", role="operations")
    log.add(60, "fault.injected", fault_id="f-0000cc01", kind="db.lock", target="shop", ttl_s=900)
    alert(log, 70)
    log.add(80, "incident.acknowledged", k, incident_id="INC-23", page_id="p1")
    log.add(82, "incident.status_changed", k, incident_id="INC-23", to="INVESTIGATING")
    log.add(85, "incident.severity_set", k, incident_id="INC-23", severity="P1")
    log.add(90, "incident.assigned", k, incident_id="INC-23", team="dba", area="database")
    log.add(95, "diagnostic.viewed", "trainee:lee", name="slow_queries")  # looking is no decision
    log.add(100, "incident.update_posted", n, incident_id="INC-23", fields=FULL_UPDATE)
    log.add(120, "incident.status_changed", k, incident_id="INC-23", to="IDENTIFIED")
    kill = log.act(130, k, "db.kill_long_queries", 132, ended=("f-0000cc01",))
    # This time the tick logs the end BEFORE the action's own record.
    log.end(131.5, "f-0000cc01", "db.lock", "remediated", ended=131.2, action_id=kill)
    log.add(140, "incident.status_changed", k, incident_id="INC-23", to="MONITORING")
    log.add(200, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(205, "incident.update_posted", k, incident_id="INC-23", fields=FULL_UPDATE)
    log.add(210, "incident.resolved", k, incident_id="INC-23")
    log.add(215, "answer_key.revealed", **DB_LOCK)
    log.add(220, "drill.finished", outcome="resolved")
    log.write("contract/idle.jsonl")


def interrupted() -> None:
    """quinn is killing the query when the engine is killed: no drill.finished, no abort."""
    q = "trainee:quinn"
    log = Log(
        "golden-contract-interrupted",
        "db-lock",
        participants=[{"name": "quinn", "role": "on-call"}],
    )
    log.sli(152, [(0, 0.0, 100), (62, 0.3, 2000)])
    log.add(60, "fault.injected", fault_id="f-0000dd01", kind="db.lock", target="shop", ttl_s=900)
    alert(log, 75)
    log.add(90, "incident.acknowledged", q, incident_id="INC-24", page_id="p1")
    log.add(100, "incident.severity_set", q, incident_id="INC-24", severity="P1")
    log.add(110, "incident.assigned", q, incident_id="INC-24", team="dba", area="database")
    log.act(150, q, "db.kill_long_queries", None)
    log.write("contract/interrupted.jsonl")


if __name__ == "__main__":
    for write in (remediated, review, expired, idle, interrupted):
        write()
