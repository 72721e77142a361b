"""playbook.yaml holds the playbook's numbers; broken copies fail with one located sentence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scoring.expectations import Expectations, parse_remediation
from scoring.names import ALERT_SEVERITIES, INCIDENT_STATUSES, SEVERITIES, TEAMS
from scoring.playbook import SCORING_CRITERIA, PlaybookError, load_playbook

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "data" / "bad_playbooks"


def test_repo_playbook_carries_the_playbook_numbers() -> None:
    playbook = load_playbook(REPO / "playbook.yaml")
    levels = playbook.severities
    assert list(levels) == list(SEVERITIES)
    assert [levels[s].response_time_s for s in SEVERITIES] == [300, 900, 3600, 86400]
    assert [levels[s].mttr_target_s for s in SEVERITIES] == [900, 3600, 14400, None]
    assert [levels[s].mttd_target_s for s in SEVERITIES] == [300, 300, None, None]
    assert [levels[s].label for s in SEVERITIES] == ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    assert "Complete database failure" in levels["P0"].examples
    assert playbook.alert_severity == {"critical": "P0", "high": "P1", "medium": "P2"}
    thresholds = playbook.thresholds
    assert (thresholds.error_rate.critical, thresholds.error_rate.high) == (0.10, 0.05)
    assert thresholds.error_rate.medium == 0.02
    assert thresholds.latency_p99_ms.model_dump() == {"critical": 5000, "high": 1000, "medium": 500}
    assert thresholds.availability.model_dump() == {
        "critical": 0.99,
        "high": 0.995,
        "medium": 0.999,
    }
    assert playbook.routing == {
        "database": "dba",
        "application": "development",
        "infrastructure": "sre",
        "security": "security",
        "api": "backend",
        "frontend": "frontend",
    }
    assert set(playbook.routing.values()) <= set(TEAMS)
    assert playbook.update_template == [
        "incident_id",
        "severity",
        "status",
        "summary",
        "impact",
        "root_cause",
        "next_steps",
    ]
    assert playbook.statuses == list(INCIDENT_STATUSES)
    assert playbook.escalation_rate_target == 0.10
    assert set(playbook.alert_severity) == set(ALERT_SEVERITIES)


def test_escalation_ladder_follows_the_playbook() -> None:
    playbook = load_playbook(REPO / "playbook.yaml")
    ladder = [(s.level, s.after_s, s.condition) for s in playbook.escalation]
    assert ladder == [
        (1, 0, "unacknowledged"),
        (2, 600, "unacknowledged"),
        (3, 600, "unacknowledged"),
        (4, 1800, "unresolved"),
        (5, 600, "unresolved"),
    ]
    # The CEO is paged only for critical incidents, an hour after the first page.
    assert [(t, s.level) for t, s in playbook.escalation_schedule("P0")][-1] == (3600, 5)
    assert [s.level for _, s in playbook.escalation_schedule("P1")] == [1, 2, 3, 4]


def test_scoring_weights_and_grades() -> None:
    scoring = load_playbook(REPO / "playbook.yaml").scoring
    assert scoring.weights == {
        "detection": 10,
        "acknowledgement": 10,
        "severity": 10,
        "routing": 10,
        "remediation": 20,
        "recovery": 15,
        "communication": 10,
        "escalation": 5,
        "resolution_discipline": 5,
        "hints": 5,
    }
    assert tuple(scoring.weights) == SCORING_CRITERIA
    grades = [scoring.grade_for(p) for p in (100, 90, 89.9, 80, 75, 60, 59, 0)]
    assert grades == ["A", "A", "B", "B", "C", "D", "F", "F"]


def test_default_path_prefers_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_playbook().confirm_recovery_s == 60  # falls back to the repo's file
    text = (
        (REPO / "playbook.yaml").read_text().replace("confirm_recovery: 1m", "confirm_recovery: 2m")
    )
    (tmp_path / "playbook.yaml").write_text(text)
    assert load_playbook().confirm_recovery_s == 120


# file -> (line, field, words of the message)
BROKEN: dict[str, tuple[int, str, str]] = {
    "yaml-syntax.yaml": (72, "", "not valid YAML"),
    "missing-severity.yaml": (9, "severities", "missing P2"),
    "thresholds-out-of-order.yaml": (70, "thresholds.error_rate", "must be above high"),
    "availability-out-of-order.yaml": (78, "thresholds.availability", "must be below high"),
    "weights-not-100.yaml": (124, "scoring.weights", "sum to 110"),
    "unknown-team.yaml": (85, "routing.database", "did you mean 'dba'?"),
    "unknown-key.yaml": (120, "top level", "did you mean 'escalation_rate_target'?"),
    "bad-duration.yaml": (27, "severities.P1.response_time", "'15 minutes' is not a duration"),
    "missing-field.yaml": (23, "severities.P1", "missing required field 'notification'"),
    "wrong-type.yaml": (77, "thresholds.latency_p99_ms.medium", "got 'fast'"),
    "unknown-weight.yaml": (134, "scoring.weights.hintz", "did you mean 'hints'?"),
    "escalation-levels.yaml": (93, "escalation", "levels must be 1, 2, 3"),
    "duplicate-key.yaml": (91, "routing", "duplicate key 'database' (first on line 85)"),
    "percent-typo.yaml": (73, "thresholds.error_rate.medium", "not a percentage"),
    "bad-grades.yaml": (136, "scoring.grades", "lowest grade must start at 0"),
    "unknown-status.yaml": (112, "statuses[1]", "did you mean 'INVESTIGATING'?"),
    "not-a-mapping.yaml": (1, "", "must be a mapping"),
    "empty.yaml": (1, "", "must be a mapping"),
    "alias-bomb.yaml": (7, "", "expands past 100000 nodes through aliases"),
}


def test_every_broken_playbook_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_playbook_gives_one_located_sentence(name: str) -> None:
    line, field, words = BROKEN[name]
    with pytest.raises(PlaybookError) as info:
        load_playbook(BAD / name)
    message = str(info.value)
    assert message.startswith(f"{BAD / name}:{line}: {field}"), message
    assert words in message
    assert "\n" not in message and "Traceback" not in message


def test_missing_file_is_a_playbook_error(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no such playbook file"):
        load_playbook(tmp_path / "nope.yaml")


def test_fractions_may_be_written_as_numbers(tmp_path: Path) -> None:
    target = tmp_path / "playbook.yaml"
    shutil.copy(REPO / "playbook.yaml", target)
    text = (
        target.read_text()
        .replace("critical: 10%", "critical: 0.1")
        .replace("high: 5%", "high: 0.05")
    )
    target.write_text(text)
    assert load_playbook(target).thresholds.error_rate.critical == 0.1


def test_expectations_accept_remediations_with_and_without_argument() -> None:
    expected = Expectations.model_validate(
        {
            "alerts": [{"name": "error_rate", "severity": "high", "within": "30s"}],
            "severity": "P2",
            "team": "development",
            "root_cause": "the recommendations service fails",
            "root_cause_area": "application",
            "remediations": ["feature.disable:recommendations", "deploy.rollback"],
            "harmful": ["service.restart"],
        },
        context={"routing": {"application": "development"}},
    )
    assert expected.alerts[0].within_s == 30
    assert expected.accepts("feature.disable", "recommendations")
    assert not expected.accepts("feature.disable", "payments")
    assert expected.accepts("deploy.rollback", "1.0.0")
    assert expected.is_harmful("service.restart")
    assert not expected.accepts("service.restart")
    assert parse_remediation("feature.disable:x") == ("feature.disable", "x")
    assert parse_remediation("cache.clear") == ("cache.clear", None)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"remediations": ["db.kil_long_queries"]}, "did you mean 'db.kill_long_queries'?"),
        ({"team": "dbas"}, "unknown team 'dbas'"),
        ({"severity": "P5"}, "unknown severity 'P5'"),
        ({"root_cause_area": "databse"}, "did you mean 'database'?"),
        ({"harmful": ["db.restore"]}, "both as a remediation and as harmful"),
        ({"remediations": ["feature.disable:"]}, "empty argument"),
        ({"alerts": [{"name": "latency", "severity": "high", "within": "10s"}]}, "latency_p99"),
    ],
)
def test_expectations_reject_unknown_names(change: dict[str, object], words: str) -> None:
    body: dict[str, object] = {
        "severity": "P0",
        "team": "dba",
        "root_cause": "the database is down",
        "root_cause_area": "database",
        "remediations": ["db.restore"],
    }
    body.update(change)
    with pytest.raises(ValueError, match=words.replace("?", r"\?").replace("(", r"\(")):
        Expectations.model_validate(body, context={"routing": {"database": "dba"}})
