"""`chaosdrill score`, `report` and `history` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
    assert "Autopilot baseline (second log): 99 points" in done.stdout
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
        (["history", "--since", "last week"], "--since 'last week' is not a date"),
    ],
)
def test_user_mistakes_end_in_one_sentence(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "corrupt.jsonl").write_text(
        (GOLDEN / "aborted.jsonl").read_text().splitlines()[0] + '\n{"seq": 1,\n'
    )
    (tmp_path / "nokey.jsonl").write_text(
        "\n".join((GOLDEN / "aborted.jsonl").read_text().splitlines()[:5]) + "\n"
    )
    done = run(tmp_path, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
