"""`chaosdrill rules export`: Prometheus rules equal to the playbook's thresholds, the
mapping of Alertmanager deliveries to the engine's alerts, team rules coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from scoring.expectations import ExpectedAlert
from scoring.playbook import load_playbook
from simulator.cli.main import cli
from simulator.detection import AlertFiring, AlertResolved, SliSample, rules_from_playbook
from simulator.detection.promql import excluded_route_regex
from simulator.detection.security import alert_rules
from simulator.prometheus import RULES_FILE, TEST_FILE, PrometheusError
from simulator.prometheus.config import alertmanager_config
from simulator.prometheus.rulefile import RuleFileOptions
from simulator.prometheus.ruletest import levels, render_tests
from simulator.prometheus.select import detector_factory
from simulator.prometheus.teamrules import alerts_in, coverage_cases, covers
from simulator.prometheus.tracker import AlertTracker
from simulator.prometheus.webhook import WebhookPayload

REPO = Path(__file__).resolve().parents[2]


def export(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["rules", "export", "--out", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    rules: list[dict[str, Any]] = yaml.safe_load((tmp_path / RULES_FILE).read_text())["groups"][0][
        "rules"
    ]
    return rules


def by_key(rules: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["alert"], r["labels"]["severity"]): r for r in rules}


def test_exported_rules_are_the_playbook_thresholds(tmp_path: Path) -> None:
    exported = by_key(export(tmp_path))
    playbook_rules = alert_rules(load_playbook())  # the SLI alerts and the security alerts
    assert set(exported) == {r.key for r in playbook_rules}  # 1:1 with the builtin detector
    for rule in playbook_rules:
        body = exported[rule.key]
        assert body["expr"].endswith(f") {rule.op} {rule.threshold:g}")
        assert float(body["annotations"]["threshold"]) == rule.threshold
        assert body.get("for", "0s") == f"{rule.for_s:g}s"
        assert body["keep_firing_for"] == f"{rule.clear_s:g}s"
    assert "> 0.05" in exported["error_rate", "high"]["expr"]
    assert "* 1000) > 1000" in exported["latency_p99", "high"]["expr"]
    assert exported["availability", "critical"]["expr"].startswith(
        '(avg(avg_over_time(up{job="shop"}'
    )
    assert exported["availability", "critical"]["expr"].endswith("< 0.99")
    # The same route exclusions as the builtin detector, on every traffic SLI.
    assert excluded_route_regex() in exported["error_rate", "medium"]["expr"]
    assert (tmp_path / TEST_FILE).is_file()


def test_a_changed_playbook_changes_the_exported_rules(tmp_path: Path) -> None:
    playbook = tmp_path / "playbook.yaml"
    text = (REPO / "playbook.yaml").read_text()
    assert "    high: 5%\n" in text and "    high: 1000\n" in text
    playbook.write_text(
        text.replace("    high: 5%\n", "    high: 7%\n").replace(
            "    high: 1000\n", "    high: 1500\n"
        )
    )
    before = by_key(export(tmp_path / "default"))
    after = by_key(export(tmp_path / "changed", "--playbook", str(playbook)))
    assert before["error_rate", "high"]["expr"].endswith("> 0.05")
    assert after["error_rate", "high"]["expr"].endswith("> 0.07")
    assert after["latency_p99", "high"]["expr"].endswith("> 1500")
    assert after["error_rate", "critical"] == before["error_rate", "critical"]
    tests = yaml.safe_load((tmp_path / "changed" / TEST_FILE).read_text())
    names = [case["name"] for case in tests["tests"]]
    assert "error rate 6% fires medium, high" not in names  # 6 % is under the new 7 %
    assert "error rate 8.5% fires medium, high" in names


def test_export_options_and_errors(tmp_path: Path) -> None:
    rules = export(tmp_path, "--window", "2m", "--job", "api")
    # The SLI rules take the window; the security rules keep the playbook's own.
    assert all("[2m]" in r["expr"] for r in rules if "team" not in r["labels"])
    assert all("[10s]" in r["expr"] for r in rules if "team" in r["labels"])
    assert 'up{job="api"}' in by_key(rules)["availability", "high"]["expr"]
    bad = CliRunner().invoke(cli, ["rules", "export", "--out", str(tmp_path), "--window", "fast"])
    assert bad.exit_code == 2 and "window 'fast'" in bad.output
    missing = CliRunner().invoke(
        cli, ["rules", "export", "--out", str(tmp_path / "x"), "--playbook", "nope.yaml"]
    )
    assert missing.exit_code == 2 and "nope.yaml" in missing.output
    assert not (tmp_path / "x").exists()  # nothing half-written


def test_test_levels_sit_between_thresholds() -> None:
    rules = rules_from_playbook(load_playbook())
    errors = levels([r for r in rules if r.name == "error_rate"])
    assert [(round(lv.value, 4), lv.fires) for lv in errors] == [
        (0.035, ("medium",)),
        (0.075, ("medium", "high")),
        (0.55, ("medium", "high", "critical")),
    ]
    latency = levels([r for r in rules if r.name == "latency_p99"])
    assert [lv.value for lv in latency] == [750, 3000, 7500]
    document = render_tests(rules, RULES_FILE, RuleFileOptions())
    assert document["rule_files"] == [RULES_FILE]
    assert len(document["tests"]) == 1 + 3 + 3 + 1


def payload(status: str, *alerts: dict[str, Any]) -> WebhookPayload:
    return WebhookPayload.model_validate({"version": "4", "status": status, "alerts": list(alerts)})


def am_alert(status: str, name: str, severity: str, fp: str, **annotations: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity},
        "annotations": annotations,
        "startsAt": "2024-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": fp,
    }


def tracker_at(now: list[float]) -> AlertTracker:
    sample = SliSample(t=9.0, rps=50.0, error_rate=0.2, p50_ms=5, p99_ms=40, availability=1.0)
    return AlertTracker(
        lambda: now[0], rules_from_playbook(load_playbook()), lambda: sample, id_prefix="P"
    )


def test_deliveries_become_firing_and_resolved_with_one_alert_id() -> None:
    now = [10.0]
    tracker = tracker_at(now)
    fired = tracker.feed(
        payload(
            "firing",
            am_alert("firing", "error_rate", "high", "aa", value="0.12", threshold="0.05"),
            am_alert("firing", "HighCPU", "warning", "cc"),  # not an alert the drill knows
        )
    )
    assert fired == [
        AlertFiring("Perror_rate-high-1", "error_rate", "high", "error_rate", 0.12, 0.05, 10.0)
    ]
    now[0] = 12.0
    assert tracker.feed(payload("firing", am_alert("firing", "error_rate", "high", "aa"))) == []
    now[0] = 20.0
    resolved = tracker.feed(
        payload("resolved", am_alert("resolved", "error_rate", "high", "aa", value="0.01"))
    )
    assert resolved == [AlertResolved("Perror_rate-high-1", "error_rate", "high", 0.01, 20.0)]
    assert resolved[0].event_data()["severity"] == "high"
    assert tracker.feed(payload("resolved", am_alert("resolved", "error_rate", "high", "aa"))) == []
    refired = tracker.feed(payload("firing", am_alert("firing", "error_rate", "high", "aa")))
    assert [t.alert_id for t in refired] == ["Perror_rate-high-2"]  # a new incident of it


def test_deliveries_are_inhibited_like_the_builtin_detector() -> None:
    now = [10.0]
    tracker = tracker_at(now)
    # Alertmanager let a high through before the critical of the same alertname
    # arrived (its inhibition races when both come at once): the tracker inhibits it.
    high = tracker.feed(payload("firing", am_alert("firing", "error_rate", "high", "aa")))
    now[0] = 11.0
    escalated = tracker.feed(
        payload(
            "firing",
            am_alert("firing", "error_rate", "critical", "bb"),  # a team rule: no annotations
            am_alert("firing", "error_rate", "medium", "dd"),
        )
    )
    assert [(c.severity, type(c).__name__) for c in high + escalated] == [
        ("high", "AlertFiring"),
        ("critical", "AlertFiring"),
        ("high", "AlertResolved"),
    ]
    critical, ended = escalated
    assert isinstance(critical, AlertFiring) and isinstance(ended, AlertResolved)
    assert (critical.value, critical.threshold) == (0.2, 0.1)  # the last sample, the playbook
    assert ended.event_data() == {
        "alert_id": high[0].alert_id,
        "name": "error_rate",
        "severity": "high",
        "reason": "inhibited",
        "inhibited_by": critical.alert_id,
    }
    assert set(tracker.firing) == {("error_rate", "critical")}
    # Grouped by alertname, severities that resolve together come in one delivery:
    # the critical resolves and nothing lower shows for an instant.
    now[0] = 30.0
    together = tracker.feed(
        payload(
            "resolved",
            am_alert("resolved", "error_rate", "critical", "bb"),
            am_alert("resolved", "error_rate", "high", "aa"),
            am_alert("resolved", "error_rate", "medium", "dd"),
        )
    )
    assert [(type(c).__name__, c.alert_id) for c in together] == [
        ("AlertResolved", critical.alert_id)
    ]
    assert tracker.firing == {}


def test_a_critical_that_resolves_first_shows_the_high_still_firing() -> None:
    now = [10.0]
    tracker = tracker_at(now)
    (critical,) = tracker.feed(
        payload(
            "firing",
            am_alert("firing", "latency_p99", "critical", "c1", value="6000"),
            am_alert("firing", "latency_p99", "high", "h1", value="6000"),
        )
    )
    now[0] = 20.0
    changes = tracker.feed(
        payload("resolved", am_alert("resolved", "latency_p99", "critical", "c1"))
    )
    assert [(type(c).__name__, c.severity) for c in changes] == [
        ("AlertResolved", "critical"),
        ("AlertFiring", "high"),
    ]
    again = changes[1]
    assert isinstance(again, AlertFiring)
    assert again.value == 40.0  # p99 of the last sample, not the 6000 of when it began
    assert again.alert_id != critical.alert_id


def test_alertmanager_config_inhibits_lower_severities_of_the_same_alertname() -> None:
    config = alertmanager_config("http://127.0.0.1:9/alertmanager")
    assert config["route"]["group_by"] == ["alertname"]
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"high|medium"'],
            "equal": ["alertname"],
        },
        {
            "source_matchers": ['severity="high"'],
            "target_matchers": ['severity="medium"'],
            "equal": ["alertname"],
        },
    ]


def team_file(tmp_path: Path, rules: list[dict[str, Any]]) -> Path:
    path = tmp_path / "team.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "team", "rules": rules}]}))
    return path


def test_team_rules_coverage(tmp_path: Path) -> None:
    path = team_file(
        tmp_path,
        [
            {"alert": "availability", "expr": "up == 0", "labels": {"severity": "critical"}},
            {"alert": "error_rate", "expr": "vector(1) > 2", "labels": {"severity": "medium"}},
            {"record": "job:up", "expr": "up"},
        ],
    )
    found = alerts_in(path)
    assert found == {("availability", "critical"), ("error_rate", "medium")}
    assert covers(found, "availability", "medium")  # critical is worse than medium
    assert not covers(found, "error_rate", "high")  # medium is not high
    expected = [
        ExpectedAlert.model_validate({"name": "availability", "severity": "high", "within": 15}),
        ExpectedAlert.model_validate({"name": "error_rate", "severity": "high", "within": 30}),
        ExpectedAlert.model_validate({"name": "latency_p99", "severity": "high", "within": 30}),
    ]
    cases = coverage_cases("demo", path, expected)
    assert [c.name for c in cases] == [
        "rules file has alert error_rate/high",
        "rules file has alert latency_p99/high",
    ]
    assert "it has error_rate/medium" in cases[0].message
    assert "no alert named latency_p99" in cases[1].message
    assert all(not c.passed and str(path) in c.message for c in cases)


@pytest.mark.parametrize(
    ("text", "error"),
    [("rules: []\n", "top-level `groups:`"), ("groups: [\n", "not valid YAML")],
)
def test_team_rules_file_errors_are_one_sentence(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(text)
    with pytest.raises(PrometheusError, match=error):
        alerts_in(path)
    with pytest.raises(PrometheusError, match="cannot read"):
        alerts_in(tmp_path / "missing.yml")


def test_detector_selection() -> None:
    assert detector_factory("builtin") is None
    with pytest.raises(PrometheusError, match="need --detector prometheus"):
        detector_factory("builtin", rules_file=Path("rules.yml"))
    with pytest.raises(
        PrometheusError, match="unknown detector 'nagios'; known: builtin, prometheus"
    ):
        detector_factory("nagios")
