"""Write the golden drill logs of this folder (run: python tests/data/golden/make_golden.py).

Each log is spelled out below event by event, in drill seconds, so a reader can
check the hand arithmetic in `expected.yaml` against it. The only generated
part is `sli.sample` (one every 2 s) from a step profile, listed next to each
log as (from second, error rate, p99 ms); availability is 1 - error rate.
The logs are committed; rerun this only after changing a log on purpose.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
START = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)

DB_LOCK: dict[str, Any] = {
    "alerts": [{"name": "error_rate", "severity": "high", "within": "60s"}],
    "severity": "P1",
    "team": "dba",
    "root_cause": "a long-running transaction holds a lock on the orders table",
    "root_cause_area": "database",
    "remediations": ["db.kill_long_queries"],
    "harmful": ["db.restore"],
}
BAD_RELEASE: dict[str, Any] = {
    "alerts": [{"name": "error_rate", "severity": "critical", "within": "20s"}],
    "severity": "P0",
    "team": "development",
    "root_cause": "release 1.1.0 has a pricing bug that fails orders from BR, IN, JP and ZA",
    "root_cause_area": "application",
    "remediations": ["deploy.rollback"],
    "harmful": [],
}
FULL_UPDATE = {
    "incident_id": "INC-20260302-100000",
    "severity": "HIGH",
    "status": "INVESTIGATING",
    "summary": "orders failing",
    "impact": "about 30% of checkouts",
    "root_cause": "long-running query holding a lock",
    "next_steps": "kill the query",
}


# The key order of a contract `fault.reverted`, so the logs read like the engine's.
_CONTRACT_ORDER = ["fault_id", "kind", "reason", "action_id", "action_seq", "ended_wall"]


class Log:
    """A drill log under construction; seq follows time, then insertion order."""

    def __init__(self, drill_id: str, scenario: str, time_scale: float = 1, **started: Any):
        self.drill_id = drill_id
        self.rows: list[tuple[float, int, str, str, dict[str, Any]]] = []
        self.add(
            0,
            "drill.started",
            scenario_id=scenario,
            title=scenario.replace("-", " "),
            time_scale=time_scale,
            backend="local",
            detector="builtin",
            **started,
        )

    def add(self, t: float, event_type: str, actor: str = "engine", /, **data: Any) -> Log:
        self.rows.append((t, len(self.rows), event_type, actor, data))
        return self

    def sli(self, until: float, profile: list[tuple[float, float, float]]) -> Log:
        for t in range(2, int(until) + 1, 2):
            _, error, p99 = [step for step in profile if step[0] <= t][-1]
            self.add(
                t,
                "sli.sample",
                "detector",
                rps=50.0,
                error_rate=error,
                p50_ms=p99 / 4,
                p99_ms=p99,
                availability=round(1 - error, 4),
            )
        return self

    def act(
        self,
        start: float,
        actor: str,
        action: str,
        finish: float | None,
        *,
        result: str = "ok",
        ended: tuple[str, ...] = (),
        detail: str = "",
    ) -> str:
        """A responder's action in the contract's format: `action.started` at `start`,
        `action.executed` at `finish` (None: the log ends while it runs). Returns its id."""
        action_id = f"a-{len(self.rows):08x}"
        self.add(start, "action.started", actor, action_id=action_id, action=action, args=[])
        if finish is not None:
            self.add(
                finish,
                "action.executed",
                actor,
                action_id=action_id,
                action=action,
                args=[],
                result=result,
                detail=detail or result,
                duration_s=round(finish - start, 3),
                ended=list(ended),
            )
        return action_id

    def end(
        self,
        logged: float,
        fault: str,
        kind: str,
        reason: str,
        *,
        ended: float,
        action_id: str | None = None,
    ) -> Log:
        """The fault's one end record (contract): really ended at `ended`, logged at `logged`."""
        data: dict[str, Any] = {"fault_id": fault, "kind": kind, "reason": reason}
        if action_id is not None:
            data["action_id"] = action_id  # `write` adds action_seq, once seqs are known
        data["ended_wall"] = (START + timedelta(seconds=ended)).isoformat()
        return self.add(logged, "fault.reverted", "engine", **data)

    def seq_of(self, t: float, kind: str) -> int:
        """The seq the event at (t, kind) will get (for fault.reverted.action_seq)."""
        ordered = sorted(self.rows, key=lambda r: (r[0], r[1]))
        return next(i for i, r in enumerate(ordered) if r[0] == t and r[2] == kind)

    def write(self, name: str) -> None:
        lines = []
        ordered = sorted(self.rows, key=lambda r: r[:2])
        started = {
            r[4]["action_id"]: seq for seq, r in enumerate(ordered) if r[2] == "action.started"
        }
        for seq, (t, _, kind, actor, data) in enumerate(ordered):
            if kind == "fault.reverted" and "action_id" in data:
                data = {**data, "action_seq": started[data["action_id"]]}
                data = {k: data[k] for k in sorted(data, key=_CONTRACT_ORDER.index)}
            wall = (START + timedelta(seconds=t)).isoformat()
            event = {
                "seq": seq,
                "drill_id": self.drill_id,
                "type": kind,
                "t": t,
                "wall": wall,
                "actor": actor,
                "data": data,
            }
            lines.append(json.dumps(event, separators=(",", ":")))
        events = [json.loads(line) for line in lines]
        for event in events:  # every action_seq must name an action
            seq = event["data"].get("action_seq")
            assert seq is None or events[seq]["type"] in ("action.started", "action.executed"), (
                event
            )
        (HERE / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def remediated(log: Log, fault: str, t: float, action_t: float) -> None:
    """Revert `fault` at t, naming the action at action_t (added before this call)."""
    log.add(
        t,
        "fault.reverted",
        fault_id=fault,
        kind="db.lock",
        reason="remediated",
        action_seq=log.seq_of(action_t, "action.executed"),
    )


def no_alert() -> None:
    """Nobody is paged: the error_rate alert never fires; alice notices at 07:00 on her own."""
    a = "trainee:alice"
    log = Log("golden-no-alert", "db-lock", participants=[{"name": "alice", "role": "on-call"}])
    log.sli(800, [(0, 0.0, 100), (62, 0.04, 900), (602, 0.0, 100)])
    log.add(60, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=900)
    log.add(420, "incident.declared", a, incident_id="INC-1")
    log.add(425, "incident.status_changed", a, incident_id="INC-1", to="INVESTIGATING")
    log.add(430, "incident.severity_set", a, incident_id="INC-1", severity="P1")
    log.add(440, "incident.assigned", a, incident_id="INC-1", team="dba")
    log.add(450, "incident.update_posted", a, incident_id="INC-1", fields=FULL_UPDATE)
    log.add(500, "incident.status_changed", a, incident_id="INC-1", to="IDENTIFIED")
    log.add(600, "action.executed", a, action="db.kill_long_queries", args=None, result="ok")
    remediated(log, "f1", 601, 600)
    log.add(700, "incident.status_changed", a, incident_id="INC-1", to="MONITORING")
    log.add(721, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(750, "incident.update_posted", a, incident_id="INC-1", fields=FULL_UPDATE)
    log.add(780, "incident.resolved", a, incident_id="INC-1")
    log.add(790, "answer_key.revealed", **DB_LOCK)
    log.add(800, "drill.finished", outcome="resolved")
    log.write("no-alert.jsonl")


def early_notice() -> None:
    """bob declares at 02:10, before the alert at 03:10; one hint; he picks P2 (one off)."""
    b = "trainee:bob"
    log = Log("golden-early-notice", "db-lock", participants=[{"name": "bob", "role": "on-call"}])
    log.sli(700, [(0, 0.0, 100), (102, 0.08, 900), (402, 0.0, 100)])
    log.add(100, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=900)
    log.add(130, "incident.declared", b, incident_id="INC-2")
    log.add(140, "incident.status_changed", b, incident_id="INC-2", to="INVESTIGATING")
    log.add(150, "incident.severity_set", b, incident_id="INC-2", severity="P2")
    log.add(
        190,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="high",
        sli="error_rate",
        value=0.08,
        threshold=0.05,
    )
    log.add(
        191,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(200, "incident.acknowledged", b, incident_id="INC-2", page_id="p1")
    log.add(210, "incident.assigned", b, incident_id="INC-2", team="dba", area="database")
    log.add(220, "incident.update_posted", b, incident_id="INC-2", fields=FULL_UPDATE)
    log.add(300, "hint.given", "trainee:bob", text="Look at the slow query list", source="asked")
    log.add(350, "incident.status_changed", b, incident_id="INC-2", to="IDENTIFIED")
    log.add(400, "action.executed", b, action="db.kill_long_queries", args=None, result="ok")
    remediated(log, "f1", 401, 400)
    log.add(410, "incident.status_changed", b, incident_id="INC-2", to="MONITORING")
    log.add(420, "alert.resolved", "detector", alert_id="a1", name="error_rate")
    log.add(520, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(530, "incident.update_posted", b, incident_id="INC-2", fields=FULL_UPDATE)
    log.add(540, "incident.resolved", b, incident_id="INC-2")
    log.add(560, "answer_key.revealed", **DB_LOCK)
    log.add(600, "drill.finished", outcome="resolved")
    log.write("early-notice.jsonl")


def early_resolve() -> None:
    """dana restarts (useless), then kills the query, and resolves before the SLIs settle."""
    d = "trainee:dana"
    partial = {k: v for k, v in FULL_UPDATE.items() if k not in ("impact", "next_steps")}
    partial["root_cause"] = "database lock"
    log = Log("golden-early-resolve", "db-lock", participants=[{"name": "dana", "role": "on-call"}])
    log.sli(560, [(0, 0.0, 100), (62, 0.3, 2000), (402, 0.0, 100)])
    log.add(60, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=900)
    log.add(
        90,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="critical",
        sli="error_rate",
        value=0.3,
        threshold=0.1,
    )
    log.add(
        91,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(150, "incident.acknowledged", d, incident_id="INC-3", page_id="p1")
    log.add(160, "incident.status_changed", d, incident_id="INC-3", to="INVESTIGATING")
    log.add(170, "incident.severity_set", d, incident_id="INC-3", severity="P1")
    log.add(180, "incident.assigned", d, incident_id="INC-3", team="dba")
    log.add(200, "incident.update_posted", d, incident_id="INC-3", fields=partial)
    log.add(300, "action.executed", d, action="service.restart", args=None, result="ok")
    log.add(400, "action.executed", d, action="db.kill_long_queries", args=None, result="ok")
    remediated(log, "f1", 401, 400)
    log.add(420, "incident.resolved", d, incident_id="INC-3")
    log.add(520, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(540, "answer_key.revealed", **DB_LOCK)
    log.add(560, "drill.finished", outcome="resolved")
    log.write("early-resolve.jsonl")


def overlap() -> None:
    """Two faults overlap; an early `service.recovered` while f2 is active does not count."""
    e = "trainee:erin"
    key = {**DB_LOCK, "remediations": ["db.kill_long_queries", "dependency.switch_backup"]}
    log = Log(
        "golden-overlap",
        "db-lock-and-slow-payments",
        participants=[{"name": "erin", "role": "on-call"}],
    )
    log.sli(520, [(0, 0.0, 100), (62, 0.2, 900), (302, 0.0, 1500), (362, 0.0, 100)])
    log.add(60, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=900)
    log.add(
        75,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="high",
        sli="error_rate",
        value=0.2,
        threshold=0.05,
    )
    log.add(
        76,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(
        90, "fault.injected", fault_id="f2", kind="dependency.latency", target="payments", ttl_s=900
    )
    log.add(100, "incident.acknowledged", e, incident_id="INC-4", page_id="p1")
    log.add(110, "incident.severity_set", e, incident_id="INC-4", severity="P1")
    log.add(115, "incident.status_changed", e, incident_id="INC-4", to="INVESTIGATING")
    log.add(120, "incident.assigned", e, incident_id="INC-4", team="dba")
    log.add(130, "incident.update_posted", e, incident_id="INC-4", fields=FULL_UPDATE)
    log.add(290, "incident.status_changed", e, incident_id="INC-4", to="IDENTIFIED")
    log.add(300, "action.executed", e, action="db.kill_long_queries", args=None, result="ok")
    remediated(log, "f1", 301, 300)
    log.add(340, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=30)
    log.add(360, "action.executed", e, action="dependency.switch_backup", args=None, result="ok")
    log.add(
        361,
        "fault.reverted",
        fault_id="f2",
        kind="dependency.latency",
        reason="remediated",
        action_seq=log.seq_of(360, "action.executed"),
    )
    log.add(380, "incident.status_changed", e, incident_id="INC-4", to="MONITORING")
    log.add(430, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(440, "incident.update_posted", e, incident_id="INC-4", fields=FULL_UPDATE)
    log.add(450, "incident.resolved", e, incident_id="INC-4")
    log.add(500, "answer_key.revealed", **key)
    log.add(520, "drill.finished", outcome="resolved")
    log.write("overlap.jsonl")


def aborted() -> None:
    """frank acknowledges and sets P1, then the facilitator aborts at 05:00."""
    f = "trainee:frank"
    log = Log("golden-aborted", "db-lock", participants=[{"name": "frank", "role": "on-call"}])
    log.sli(300, [(0, 0.0, 100), (62, 0.3, 2000)])
    log.add(60, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=900)
    log.add(
        80,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="critical",
        sli="error_rate",
        value=0.3,
        threshold=0.1,
    )
    log.add(
        81,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(200, "incident.acknowledged", f, incident_id="INC-5", page_id="p1")
    log.add(210, "incident.severity_set", f, incident_id="INC-5", severity="P1")
    log.add(300, "drill.aborted", "facilitator", reason="facilitator stopped the drill")
    log.add(300.5, "fault.reverted", fault_id="f1", kind="db.lock", reason="abort")
    log.add(301, "answer_key.revealed", **DB_LOCK)
    log.write("aborted.jsonl")


def scaled() -> None:
    """A P0 bad release compressed ten times (time_scale 10): one drill second is ten real ones."""
    g = "trainee:gina"
    update = {**FULL_UPDATE, "severity": "CRITICAL", "root_cause": "the 1.1.0 release pricing bug"}
    log = Log(
        "golden-scaled",
        "bad-release",
        time_scale=10,
        participants=[{"name": "gina", "role": "on-call"}],
    )
    log.sli(160, [(0, 0.0, 100), (32, 0.25, 300), (102, 0.0, 100)])
    log.add(
        30, "fault.injected", fault_id="f1", kind="deploy.bad_release", target="shop", ttl_s=600
    )
    log.add(
        40,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="critical",
        sli="error_rate",
        value=0.25,
        threshold=0.1,
    )
    log.add(
        41,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(66, "incident.acknowledged", g, incident_id="INC-6", page_id="p1")
    log.add(68, "incident.status_changed", g, incident_id="INC-6", to="INVESTIGATING")
    log.add(70, "incident.severity_set", g, incident_id="INC-6", severity="P0")
    log.add(72, "incident.assigned", g, incident_id="INC-6", team="development")
    log.add(80, "incident.update_posted", g, incident_id="INC-6", fields=update)
    log.add(95, "incident.status_changed", g, incident_id="INC-6", to="IDENTIFIED")
    log.add(100, "action.executed", g, action="deploy.rollback", args="1.0.0", result="ok")
    log.add(
        101,
        "fault.reverted",
        fault_id="f1",
        kind="deploy.bad_release",
        reason="remediated",
        action_seq=log.seq_of(100, "action.executed"),
    )
    log.add(110, "incident.status_changed", g, incident_id="INC-6", to="MONITORING")
    log.add(130, "incident.update_posted", g, incident_id="INC-6", fields=update)
    log.add(131, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=6)
    log.add(140, "incident.resolved", g, incident_id="INC-6")
    log.add(150, "answer_key.revealed", **BAD_RELEASE)
    log.add(160, "drill.finished", outcome="resolved")
    log.write("scaled.jsonl")


def team() -> None:
    """alice, bob and carol: a page escalates unanswered, carol restarts and restores."""
    a, b, c = "trainee:alice", "trainee:bob", "trainee:carol"
    people = [
        {"name": "alice", "role": "incident commander"},
        {"name": "bob", "role": "dba"},
        {"name": "carol", "role": "developer"},
    ]
    alice_update = {**FULL_UPDATE, "status": "MONITORING"}
    bob_update = {**FULL_UPDATE, "root_cause": "a lock on the orders table"}
    log = Log("golden-team", "db-lock", participants=people, team="payments")
    log.sli(
        1100, [(0, 0.0, 100), (62, 0.3, 2000), (852, 0.6, 2000), (862, 0.3, 2000), (902, 0.0, 100)]
    )
    log.add(60, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=1800)
    log.add(
        80,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="high",
        sli="error_rate",
        value=0.3,
        threshold=0.05,
    )
    log.add(
        81,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(400, "chat.message", c, text="is the shop slow for anyone else?")
    log.add(681, "page.escalated", page_id="p1", level=2, target="secondary on-call engineer")
    log.add(700, "incident.acknowledged", a, incident_id="INC-7", page_id="p1")
    log.add(705, "incident.status_changed", a, incident_id="INC-7", to="INVESTIGATING")
    log.add(720, "incident.severity_set", b, incident_id="INC-7", severity="P2")
    log.add(740, "incident.severity_set", a, incident_id="INC-7", severity="P1")
    log.add(750, "incident.assigned", a, incident_id="INC-7", team="dba")
    log.add(760, "incident.update_posted", b, incident_id="INC-7", fields=bob_update)
    log.add(770, "incident.status_changed", a, incident_id="INC-7", to="IDENTIFIED")
    log.add(800, "action.executed", c, action="service.restart", args=None, result="ok")
    log.add(850, "action.executed", c, action="db.restore", args=None, result="ok")
    log.add(900, "action.executed", b, action="db.kill_long_queries", args=None, result="ok")
    remediated(log, "f1", 901, 900)
    log.add(960, "incident.status_changed", a, incident_id="INC-7", to="MONITORING")
    log.add(1000, "incident.update_posted", a, incident_id="INC-7", fields=alice_update)
    log.add(1021, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(1050, "incident.resolved", a, incident_id="INC-7")
    log.add(1080, "answer_key.revealed", **DB_LOCK)
    log.add(1100, "drill.finished", outcome="resolved")
    log.write("team.jsonl")


def autopilot() -> None:
    """The autopilot alone on the same scenario: the baseline for team.jsonl."""
    p = "autopilot"
    update = {**FULL_UPDATE, "root_cause": "database lock or pool exhaustion suspected"}
    log = Log("golden-autopilot", "db-lock", participants=[])
    log.sli(240, [(0, 0.0, 100), (62, 0.3, 2000), (132, 0.0, 100)])
    log.add(60, "fault.injected", fault_id="f1", kind="db.lock", target="shop", ttl_s=1800)
    log.add(
        80,
        "alert.firing",
        "detector",
        alert_id="a1",
        name="error_rate",
        severity="high",
        sli="error_rate",
        value=0.3,
        threshold=0.05,
    )
    log.add(
        81,
        "page.sent",
        alert_id="a1",
        page_id="p1",
        level=1,
        target="primary on-call",
        channel="console",
    )
    log.add(83, "incident.acknowledged", p, incident_id="INC-8", page_id="p1")
    log.add(84, "incident.severity_set", p, incident_id="INC-8", severity="P1")
    log.add(84, "incident.status_changed", p, incident_id="INC-8", to="INVESTIGATING")
    log.add(85, "incident.assigned", p, incident_id="INC-8", team="dba")
    log.add(90, "incident.update_posted", p, incident_id="INC-8", fields=update)
    log.add(100, "action.executed", p, action="service.restart", args=None, result="ok")
    log.add(130, "action.executed", p, action="db.kill_long_queries", args=None, result="ok")
    remediated(log, "f1", 131, 130)
    log.add(131, "incident.status_changed", p, incident_id="INC-8", to="IDENTIFIED")
    log.add(140, "incident.status_changed", p, incident_id="INC-8", to="MONITORING")
    log.add(201, "service.recovered", slis={"error_rate": 0.0}, confirm_window_s=60)
    log.add(205, "incident.update_posted", p, incident_id="INC-8", fields=update)
    log.add(210, "incident.resolved", p, incident_id="INC-8")
    log.add(220, "answer_key.revealed", **DB_LOCK)
    log.add(240, "drill.finished", outcome="resolved")
    log.write("autopilot.jsonl")


if __name__ == "__main__":
    for write in (no_alert, early_notice, early_resolve, overlap, aborted, scaled, team, autopilot):
        write()
