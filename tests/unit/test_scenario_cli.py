"""The scenarios and playbook commands through the real console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHAOSDRILL = Path(sys.executable).with_name("chaosdrill")
BAD = REPO / "tests" / "data" / "bad_scenarios"
LIBRARY = REPO / "scenarios"


def run(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHAOSDRILL), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_validate_the_library_exits_0_with_one_line_per_file() -> None:
    result = run("scenarios", "validate", *sorted(LIBRARY.glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(list(LIBRARY.glob("*.yaml")))
    assert all(line.startswith("ok ") for line in lines)


def test_validate_reports_each_bad_file_and_exits_1() -> None:
    good = LIBRARY / "app-crash.yaml"
    kind = BAD / "unknown-fault-kind.yaml"
    syntax = BAD / "yaml-syntax.yaml"
    result = run("scenarios", "validate", good, kind, syntax)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"ok   {good}"
    assert lines[1] == (
        f"FAIL {kind}:17: faults[0].kind: unknown fault kind 'db.lok'; did you mean 'db.lock'?"
    )
    assert lines[2].startswith(f"FAIL {syntax}:10: not valid YAML")
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_catches_duplicate_ids_across_files() -> None:
    result = run("scenarios", "validate", BAD / "duplicate-ids")
    assert result.returncode == 1
    assert "b.yaml:2: id: duplicate scenario id 'sample-drill'" in result.stdout


def test_validate_a_missing_file_is_a_sentence_not_a_traceback() -> None:
    result = run("scenarios", "validate", "no-such-file.yaml")
    assert result.returncode == 1
    assert "no-such-file.yaml: no such scenario file" in result.stdout
    assert "Traceback" not in result.stderr


def test_list_shows_the_library_without_the_answer_key() -> None:
    result = run("scenarios", "list", "--dir", LIBRARY)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    header = ["ORDER", "ID", "TITLE", "DIFFICULTY", "TAGS", "DURATION", "NEEDS"]
    assert out.splitlines()[0].split() == header
    # The suggested first-week order: easiest first, PostgreSQL-only ones after the rest.
    rows = [line.split() for line in out.splitlines()[1:] if line[:1].isdigit()]
    levels = [next(w for w in row if w in ("intro", "standard", "hard")) for row in rows]
    assert levels == sorted(levels, key=["intro", "standard", "hard"].index)
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    for scenario_id in ("app-crash", "db-lock", "bad-deploy", "recommendations-down"):
        assert scenario_id in out
    lowered = out.lower()
    for secret in ("p0", "p1", "p2", "dba", "sre", "development", "backend", "severity"):
        assert secret not in lowered, f"`scenarios list` reveals {secret!r}"
    for secret in ("kill_long_queries", "rollback", "switch_backup", "db.lock", "restart"):
        assert secret not in lowered, f"`scenarios list` reveals {secret!r}"


def test_show_prints_the_briefing_and_hides_the_answer_key_unless_asked() -> None:
    briefing = run("scenarios", "show", "db-lock", "--dir", LIBRARY)
    assert briefing.returncode == 0, briefing.stderr
    assert "Checkout hangs, then fails" in briefing.stdout
    assert "placing an order spins" in briefing.stdout
    for secret in ("db.lock", "kill_long_queries", "dba", "P1", "ANSWER KEY", "long-running"):
        assert secret not in briefing.stdout
    full = run("scenarios", "show", "db-lock", "--answer-key", "--dir", LIBRARY)
    assert full.returncode == 0
    for answer in ("ANSWER KEY", "db.lock", "db.kill_long_queries", "severity: P1", "team: dba"):
        assert answer in full.stdout


def test_show_unknown_id_exits_1_with_a_sentence() -> None:
    result = run("scenarios", "show", "no-such-drill", "--dir", LIBRARY)
    assert result.returncode == 1
    assert "no scenario with id 'no-such-drill'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("file", "code", "words"),
    [
        (REPO / "playbook.yaml", 0, "ok   "),
        (REPO / "tests/data/bad_playbooks/unknown-team.yaml", 1, ":85: routing.database:"),
        (REPO / "tests/data/bad_playbooks/weights-not-100.yaml", 1, "sum to 110"),
    ],
)
def test_playbook_validate(file: Path, code: int, words: str) -> None:
    result = run("playbook", "validate", file)
    assert result.returncode == code, result.stdout + result.stderr
    assert words in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_playbook_validate_defaults_to_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "playbook.yaml").write_text("severities: {}\n")
    result = run("playbook", "validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path / 'playbook.yaml'}:1: severities:")
