"""`chaosdrill score`, `report` and `history` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from scoring.events import Event, read_jsonl
from simulator.drill.eventlog import SCHEMA

pytestmark = pytest.mark.integration

CHAOSDRILL = Path(sys.executable).with_name("chaosdrill")
GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
REPO = Path(__file__).resolve().parents[2]


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DRILL_DB_URL"}
    env["COLUMNS"] = "160"
    return subprocess.run(
        [str(CHAOSDRILL), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_score_prints_the_scorecard(tmp_path: Path) -> None:
    done = run(
        tmp_path, "score", str(GOLDEN / "team.jsonl"), "--baseline", str(GOLDEN / "autopilot.jsonl")
    )
    assert done.returncode == 0, done.stderr
    assert "Team: 79 points, grade C" in done.stdout
    assert "Autopilot baseline (second log): 98.5 points" in done.stdout
    assert "carol" in done.stdout and "MTTD (responder)" in done.stdout


def test_score_json_and_store_then_report_and_history(tmp_path: Path) -> None:
    done = run(tmp_path, "score", str(GOLDEN / "scaled.jsonl"), "--json", "--store")
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["team"]["total"] == 95.7 and card["time_scale"] == 10
    assert (tmp_path / ".chaosdrill" / "history.db").is_file()
    assert run(tmp_path, "score", str(GOLDEN / "team.jsonl"), "--store").returncode == 0

    md = run(tmp_path, "report", "golden-scaled", "--format", "md")
    assert md.returncode == 0, md.stderr
    assert md.stdout.startswith("# Post-Incident Review: bad release")
    html = run(
        tmp_path,
        "report",
        str(GOLDEN / "scaled.jsonl"),
        "--format",
        "html",
        "--out",
        "out/report.html",
    )
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in page and "https://" not in page

    history = run(tmp_path, "history", "--html", "trends.html")
    assert history.returncode == 0, history.stderr
    assert "Escalation rate: 50% (1 of 2 drills)" in history.stdout
    assert "<svg" in (tmp_path / "trends.html").read_text()
    alice = run(tmp_path, "history", "--trainee", "alice", "--json")
    assert [t["name"] for t in json.loads(alice.stdout)["trainees"]] == ["alice"]


def test_score_against_a_scenario_file(tmp_path: Path) -> None:
    # The library's db-lock scenario: this log never had an alert, so every expected one fails.
    scenario = REPO / "scenarios" / "db-lock.yaml"
    expected = yaml.safe_load(scenario.read_text())["expected"]
    done = run(
        tmp_path, "score", str(GOLDEN / "no-alert.jsonl"), "--scenario", str(scenario), "--json"
    )
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["true_severity"] == expected["severity"]
    assert [(a["name"], a["passed"]) for a in card["alerts"]] == [
        (a["name"], False) for a in expected["alerts"]
    ]
    incomplete = tmp_path / "incomplete.yaml"
    incomplete.write_text("id: x\nexpected:\n  severity: P2\n")
    bad = run(tmp_path, "score", str(GOLDEN / "no-alert.jsonl"), "--scenario", str(incomplete))
    assert bad.returncode == 2
    assert bad.stderr.startswith("chaosdrill: ") and "incomplete.yaml" in bad.stderr
    assert "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "missing.jsonl"], "missing.jsonl: no such log file"),
        (["score", "corrupt.jsonl"], "corrupt.jsonl:2: not valid JSON"),
        (["score", "nokey.jsonl"], "has no answer_key.revealed event; pass --scenario FILE"),
        (["report", "no-such-drill", "--format", "md"], "no drill 'no-such-drill' in the history"),
        (["score", "photo.png"], "photo.png is neither a JSON Lines event log nor a drill's"),
        (["score", "--state-root", "nowhere", "d-1"], "nor is there a drill 'd-1' under nowhere"),
        (["history", "--since", "last week"], "--since 'last week' is not a date"),
    ],
)
def test_user_mistakes_end_in_one_sentence(tmp_path: Path, args: list[str], message: str) -> None:
    lines = (GOLDEN / "aborted.jsonl").read_text().splitlines()
    # A bad line in the middle is an error (a cut-off last line is only a warning).
    (tmp_path / "corrupt.jsonl").write_text(lines[0] + '\n{"seq": 1,\n' + lines[1] + "\n")
    # No answer key, and a scenario the library does not have either.
    nokey = [lines[0].replace('"db-lock"', '"no-such-scenario"'), *lines[1:5]]
    (tmp_path / "nokey.jsonl").write_text("\n".join(nokey) + "\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    done = run(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def two_ends(path: Path) -> Path:
    """autopilot.jsonl with the race of issue 11: a `ttl` end logged before the remediation's."""
    events = [json.loads(line) for line in (GOLDEN / "autopilot.jsonl").read_text().splitlines()]
    at = next(i for i, e in enumerate(events) if e["type"] == "fault.reverted")
    early = {**events[at], "data": {**events[at]["data"], "reason": "ttl"}}
    for event in events[at:]:
        event["seq"] += 1
    events.insert(at, early)
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def test_a_log_with_two_ends_for_one_fault_is_refused_unless_forced(tmp_path: Path) -> None:
    log = two_ends(tmp_path / "race.jsonl")
    refused = run(tmp_path, "score", str(log))
    assert refused.returncode == 1 and refused.stdout == ""
    assert (
        f"{log}: rule 2 (one end per fault): fault f1 ends twice, at seq 76 and seq 77"
        in refused.stderr
    )
    assert "--force scores it anyway" in refused.stderr and "Traceback" not in refused.stderr
    assert run(tmp_path, "report", str(log), "--format", "md").returncode == 1

    forced = run(tmp_path, "score", str(log), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "Log violations (scored with --force): 1" in forced.stdout
    assert "fault f1 ends twice, at seq 76 and seq 77" in forced.stdout
    as_json = run(tmp_path, "score", str(log), "--force", "--json")
    (violation,) = json.loads(as_json.stdout)["violations"]
    assert (violation["rule"], violation["seqs"]) == (2, [76, 77])
    clean = run(tmp_path, "score", str(GOLDEN / "scaled.jsonl"), "--json")
    assert json.loads(clean.stdout)["violations"] == []


def write_events_db(path: Path, events: list[Event]) -> None:
    """The drill's SQLite log as the engine writes it, without an export to JSONL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute(SCHEMA)
    db.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (e.seq, e.drill_id, e.type, e.t, e.wall.isoformat(), e.actor, json.dumps(e.data))
            for e in events
        ],
    )
    db.commit()
    db.close()


def test_a_killed_drill_scores_from_its_events_db_by_file_directory_or_id(
    tmp_path: Path,
) -> None:
    # What `kill -9` leaves: events.db only, no drill.finished, no answer key revealed.
    whole = read_jsonl(GOLDEN / "autopilot.jsonl")
    killed = [e.replace(drill_id="d-killed") for e in whole if e.t < 150]
    report_dir = tmp_path / "reports" / "d-killed"
    write_events_db(report_dir / "events.db", killed)
    pointer = tmp_path / "state" / "drills" / "0a1b2c3d4e5f" / "drill.json"
    pointer.parent.mkdir(parents=True)
    pointer.write_text(
        json.dumps(
            {
                "drill_id": "d-killed",
                "scenario_id": "db-lock",
                "events_db": str(report_dir / "events.db"),
                "report_dir": str(report_dir),
                "engine_pid": 999999,
                "started_wall": "2026-03-02T10:00:00+00:00",
            }
        )
    )
    outcomes = set()
    for spec in (str(report_dir / "events.db"), str(report_dir), "d-killed"):
        done = run(tmp_path, "score", spec, "--state-root", "state", "--json")
        assert done.returncode == 0, done.stderr
        card = json.loads(done.stdout)
        assert card["drill_id"] == "d-killed" and card["violations"] == []
        outcomes.add(card["outcome"])
        # The library's db-lock scenario stands in for the answer key it never revealed.
        assert "has no answer_key.revealed (the drill did not finish)" in done.stderr
    assert len(outcomes) == 1 and outcomes <= {"interrupted", "incomplete"}

    stored = run(tmp_path, "score", "d-killed", "--state-root", "state", "--store")
    assert stored.returncode == 0, stored.stderr
    md = run(tmp_path, "report", "d-killed", "--state-root", "state", "--format", "md")
    assert md.returncode == 0 and md.stdout.startswith("# Post-Incident Review"), md.stderr
    history = run(tmp_path, "history")
    assert history.returncode == 0, history.stderr
    assert "interrupted (engine killed): d-killed" in history.stdout


def test_a_cut_off_last_line_is_a_warning(tmp_path: Path) -> None:
    lines = (GOLDEN / "autopilot.jsonl").read_text().splitlines()
    log = tmp_path / "crashed.jsonl"
    log.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    done = run(tmp_path, "score", str(log), "--json")
    assert done.returncode == 0, done.stderr
    assert f"chaosdrill: warning: {log}:{len(lines)}: the last line is cut off" in done.stderr
    assert json.loads(done.stdout)["drill_id"] == "golden-autopilot"


WRITER = """
import json, sys, time
from pathlib import Path
from simulator.drill.eventlog import EventLog

log = EventLog(Path(sys.argv[1]), "d-sigkill")
renumbered = {}  # the log numbers its own events: action_seq follows them
for line in Path(sys.argv[2]).read_text().splitlines():
    event = json.loads(line)
    if event["type"] in ("answer_key.revealed", "drill.finished"):
        continue
    data = event["data"]
    if "action_seq" in data:
        data["action_seq"] = renumbered[data["action_seq"]]
    renumbered[event["seq"]] = log.append(event["type"], data, actor=event["actor"]).seq
print("written", flush=True)
time.sleep(600)
"""


def test_the_events_db_of_a_sigkilled_engine_scores(tmp_path: Path) -> None:
    # The engine's own EventLog, killed with SIGKILL: its WAL is never checkpointed.
    db = tmp_path / "report" / "events.db"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(GOLDEN / "autopilot.jsonl")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "written\n"
    finally:
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
    done = run(tmp_path, "score", str(tmp_path / "report"), "--json")
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["drill_id"] == "d-sigkill" and card["outcome"] in ("interrupted", "incomplete")
    assert card["violations"] == [] and card["team"]["total"] > 0
