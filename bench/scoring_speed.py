"""How fast scoring and history are (run: .venv/bin/python bench/scoring_speed.py).

Goals: scoring 1,000 logs of 500 events <= 5 s; trends over 10,000 stored drills <= 2 s.

The logs are synthetic but shaped like real drills (one SLI sample a second,
a fault, alert, page, three trainees acknowledging, deciding, acting,
updating and resolving at random times; seeded, so every run scores the same
logs). History is filled by storing the 1,000 scorecards ten times under new
drill ids and dates; each stored drill keeps a 50-event excerpt of its log,
since trend queries never read the logs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter
from rich.console import Console
from rich.table import Table

from scoring.drill import DrillView
from scoring.events import Event, EventModel, read_jsonl, read_log, write_jsonl
from scoring.expectations import Expectations
from scoring.history import HistoryStore, TrendFilter, compute_trends
from scoring.history.render import render_history_html, trends_renderable
from scoring.invariants import check
from scoring.playbook import load_playbook
from scoring.report import build_report, render_html
from scoring.scorecard import Scorecard, score_drill
from simulator.drill.eventlog import SCHEMA

T = TypeVar("T")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
KEY = Expectations.model_validate(
    {
        "alerts": [{"name": "error_rate", "severity": "high", "within": "60s"}],
        "severity": "P1",
        "team": "dba",
        "root_cause": "a long-running transaction holds a lock on the orders table",
        "root_cause_area": "database",
        "remediations": ["db.kill_long_queries"],
        "harmful": ["db.restore"],
    }
)
PEOPLE = ["ann", "ben", "cat", "dev", "eve", "fay"]
TEAMS = ["payments", "search", "checkout"]


def synthetic_log(index: int, size: int = 500) -> list[Event]:
    """One drill of exactly `size` events, most of them SLI samples."""
    rng = random.Random(index)
    people = [f"trainee:{p}" for p in rng.sample(PEOPLE, 3)]
    fault, alert = rng.uniform(20, 60), 0.0
    alert = fault + rng.uniform(5, 90)
    ack = alert + rng.uniform(5, 400)
    fix = ack + rng.uniform(20, 200)
    recovered = fix + 60
    resolved = recovered + rng.uniform(-30, 60)
    rows: list[tuple[float, str, str, dict[str, Any]]] = [
        (
            0,
            "drill.started",
            "engine",
            {
                "scenario_id": "db-lock",
                "time_scale": 1,
                "team": rng.choice(TEAMS),
                "participants": [{"name": p[8:], "role": "on-call"} for p in people],
            },
        ),
        (
            fault,
            "fault.injected",
            "engine",
            {"fault_id": "f1", "kind": "db.lock", "target": "shop"},
        ),
        (alert, "alert.firing", "detector", {"name": "error_rate", "severity": "high"}),
        (alert + 1, "page.sent", "engine", {"page_id": "p1", "level": 1}),
        (ack, "incident.acknowledged", people[0], {"page_id": "p1"}),
        (ack + 5, "incident.status_changed", people[0], {"to": "INVESTIGATING"}),
        (ack + 10, "incident.severity_set", people[1], {"severity": rng.choice(["P1", "P2"])}),
        (ack + 15, "incident.assigned", people[0], {"team": rng.choice(["dba", "sre"])}),
        (
            ack + 20,
            "incident.update_posted",
            people[2],
            {
                "fields": {
                    "incident_id": "I",
                    "severity": "HIGH",
                    "status": "INVESTIGATING",
                    "summary": "orders failing",
                    "impact": "30%",
                    "root_cause": "db lock",
                    "next_steps": "kill query",
                }
            },
        ),
        (fix - 30, "action.executed", people[2], {"action": "service.restart", "result": "ok"}),
        (fix, "action.executed", people[1], {"action": "db.kill_long_queries", "result": "ok"}),
        (recovered, "service.recovered", "engine", {"confirm_window_s": 60}),
        (resolved, "incident.resolved", people[0], {}),
    ]
    if rng.random() < 0.15:
        rows.append((alert + 601, "page.escalated", "engine", {"level": 2}))
    samples = size - len(rows) - 2  # room for fault.reverted and answer_key.revealed
    for second in range(1, samples + 1):
        bad = fault <= second < fix
        rows.append(
            (
                float(second),
                "sli.sample",
                "detector",
                {
                    "error_rate": 0.3 if bad else 0.0,
                    "p99_ms": 1800 if bad else 90,
                    "availability": 0.7 if bad else 1.0,
                },
            )
        )
    rows.sort(key=lambda r: r[0])
    events = [
        Event(
            seq=i,
            drill_id=f"bench-{index}",
            type=kind,
            t=t,
            wall=START + timedelta(days=index % 365, seconds=t),
            actor=actor,
            data=data,
        )
        for i, (t, kind, actor, data) in enumerate(rows)
    ]
    fix_seq = next(e.seq for e in events if e.data.get("action") == "db.kill_long_queries")
    last = len(events)
    events.append(
        Event(
            seq=last,
            drill_id=f"bench-{index}",
            type="fault.reverted",
            t=fix + 1,
            wall=START,
            data={"fault_id": "f1", "reason": "remediated", "action_seq": fix_seq},
        )
    )
    events.append(
        Event(
            seq=last + 1,
            drill_id=f"bench-{index}",
            type="answer_key.revealed",
            t=max(e.t for e in events) + 1,
            wall=START,
            data=KEY.model_dump(by_alias=True),
        )
    )
    assert len(events) == size
    return events


def write_events_db(path: Path, events: list[Event]) -> None:
    """The drill's own log, as the engine's EventLog stores it (same schema)."""
    db = sqlite3.connect(path)
    db.execute(SCHEMA)
    db.executemany(
        "INSERT INTO events (seq, drill_id, type, t, wall, actor, data) VALUES (?,?,?,?,?,?,?)",
        [
            (e.seq, e.drill_id, e.type, e.t, e.wall.isoformat(), e.actor, json.dumps(e.data))
            for e in events
        ],
    )
    db.commit()
    db.close()


BEFORE: TypeAdapter[list[EventModel]] = TypeAdapter(list[EventModel])


def read_jsonl_before(path: Path) -> list[EventModel]:
    """The reader before msgspec: pydantic events, one TypeAdapter call a file (to compare)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return BEFORE.validate_json("[" + ",".join(lines) + "]")


def read_events_db_before(path: Path) -> list[EventModel]:
    """The events.db reader before msgspec (one pydantic event a row), kept to compare."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    rows = db.execute("SELECT seq, drill_id, type, t, wall, actor, data FROM events ORDER BY seq")
    events = [
        EventModel(seq=s, drill_id=d, type=k, t=t, wall=w, actor=a, data=json.loads(x))
        for s, d, k, t, w, a, x in rows.fetchall()
    ]
    db.close()
    return events


def score_cli_path(path: Path, playbook: Any) -> Scorecard:
    """What `chaosdrill score --force FILE` does: read the log, check its invariants, score it.

    (The synthetic logs are legacy-shaped, without action.started: the check finds violations.)
    """
    events = read_log(path).events
    check(events)
    return score_drill(DrillView(events), KEY, playbook)


CPU: dict[float, float] = {}


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run fn; return its result and wall seconds (its CPU seconds go to CPU[wall])."""
    began, cpu = time.perf_counter(), time.process_time()
    result = fn()
    wall = time.perf_counter() - began
    CPU[wall] = time.process_time() - cpu
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=int, default=1000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--drills", type=int, default=10_000)
    args = parser.parse_args()
    playbook = load_playbook(None)
    logs, t_make = timed(lambda: [synthetic_log(i, args.events) for i in range(args.logs)])

    cards, t_score = timed(lambda: [score_drill(e, KEY, playbook) for e in logs])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i, events in enumerate(logs):
            write_jsonl(folder / f"{i}.jsonl", events)
        for i, events in enumerate(logs):
            write_events_db(folder / f"{i}.db", events)
        jsonl = [folder / f"{i}.jsonl" for i in range(args.logs)]
        dbs = [folder / f"{i}.db" for i in range(args.logs)]
        # Each reading keeps what it read alive, as scoring them all would.
        parsed, t_parse = timed(lambda: [read_jsonl(p) for p in jsonl])
        assert parsed == logs
        del parsed
        old, t_parse_old = timed(lambda: [read_jsonl_before(p) for p in jsonl])
        del old
        from_db, t_db = timed(lambda: [read_log(p).events for p in dbs])
        assert from_db == logs
        del from_db
        old, t_db_old = timed(lambda: [read_events_db_before(p) for p in dbs])
        del old
        _, t_jsonl_score = timed(lambda: [score_drill(read_jsonl(p), KEY, playbook) for p in jsonl])
        _, t_db_score = timed(lambda: [score_drill(read_log(p).events, KEY, playbook) for p in dbs])
        _, t_cli = timed(lambda: [score_cli_path(p, playbook) for p in dbs])
        view = DrillView(logs[0])
        _, t_report = timed(lambda: render_html(build_report(view, cards[0], playbook)))

        store = HistoryStore.open(f"sqlite:///{folder / 'history.db'}")
        copies = -(-args.drills // len(cards))

        def stored() -> list[tuple[Scorecard, list[Event], Expectations]]:
            out = []
            for n in range(copies):
                for i, card in enumerate(cards):
                    drill_id = f"bench-{n}-{i}"
                    when = START + timedelta(days=(n * len(cards) + i) % 730)
                    out.append(
                        (
                            card.model_copy(update={"drill_id": drill_id, "started_at": when}),
                            logs[i][:50],
                            KEY,
                        )
                    )
            return out[: args.drills]

        _, t_store = timed(lambda: store.save_many(stored()))
        trends, t_trends = timed(
            lambda: compute_trends(store, TrendFilter(), playbook.escalation_rate_target)
        )
        _, t_one = timed(lambda: compute_trends(store, TrendFilter(trainee="ann"), 0.1))

        def show() -> None:
            Console(file=StringIO(), width=160).print(trends_renderable(trends))
            render_history_html(trends)

        _, t_show = timed(show)
        store.close()

    load = os.getloadavg()[0]
    table = Table(
        title=f"scoring speed: {args.logs} logs x {args.events} events, {trends.drills} stored"
        f" drills (load average {load:.1f} on {os.cpu_count()} CPUs)",
        caption="wall = elapsed seconds; cpu = this process's CPU seconds (what the work costs"
        " when the machine is shared)",
    )
    for column in ("what", "count", "wall s", "cpu s", "per item (wall)", "goal"):
        table.add_column(column, justify="left" if column == "what" else "right")

    def row(what: str, count: int, wall: float, goal: str = "", cpu: float | None = None) -> None:
        spent = CPU.get(wall, 0.0) if cpu is None else cpu
        each = f"{wall / count * 1e3:.2f} ms" if count > 1 else ""
        table.add_row(what, f"{count:,}", f"{wall:.2f}", f"{spent:.2f}", each, goal)

    row("build synthetic logs (setup)", args.logs, t_make)
    row("score in-memory logs", args.logs, t_score, "<= 5 s")
    row("read JSONL (parse + validate), before", args.logs, t_parse_old)
    row("read JSONL (parse + validate)", args.logs, t_parse)
    row("read events.db, before", args.logs, t_db_old)
    row("read events.db", args.logs, t_db)
    row("read JSONL + score", args.logs, t_jsonl_score, "< 3 s")
    row("read events.db + score", args.logs, t_db_score, "< 3 s")
    row("`chaosdrill score` path (events.db, invariants)", args.logs, t_cli)
    row("HTML report of one drill", 1, t_report)
    row("store drills in SQLite (setup)", trends.drills, t_store)
    row("trends over all drills", trends.drills, t_trends, "<= 2 s")
    row("trends of one trainee", 1, t_one)
    row("render trends (Rich + HTML)", 1, t_show)
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
