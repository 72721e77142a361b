"""Scenario files load into models; every broken one fails with one located sentence."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from scoring.names import FAULT_KINDS
from scoring.playbook import load_playbook
from simulator.faults.registry import check_params
from simulator.scenario import (
    Scenario,
    ScenarioError,
    find_scenario,
    load_scenario,
    load_scenarios,
    scenario_files,
)

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "scenarios"
BAD = REPO / "tests" / "data" / "bad_scenarios"
PLAYBOOK = load_playbook(REPO / "playbook.yaml")

# file -> (line, field, words of the message)
BROKEN: dict[str, tuple[int, str, str]] = {
    "yaml-syntax.yaml": (10, "", "not valid YAML"),
    "yaml-tab-indent.yaml": (10, "", "not valid YAML"),
    "two-documents.yaml": (37, "", "another document"),
    "not-a-mapping.yaml": (1, "", "must be a mapping"),
    "missing-title.yaml": (1, "top level", "missing required field 'title'"),
    "missing-expected-team.yaml": (21, "expected", "missing required field 'team'"),
    "unknown-top-key.yaml": (37, "top level", "unknown key 'briefng'; did you mean 'briefing'?"),
    "unknown-fault-key.yaml": (19, "faults[0]", "unknown key 'untill'; did you mean 'until'?"),
    "unknown-load-key.yaml": (9, "load", "unknown key 'user'; did you mean 'users'?"),
    "wrong-type-users.yaml": (9, "load.users", "expected a whole number (got 'ten')"),
    "wrong-type-faults.yaml": (15, "faults", "expected a list (got 'db.lock')"),
    "unknown-fault-kind.yaml": (17, "faults[0].kind", "did you mean 'db.lock'?"),
    "unknown-remediation.yaml": (
        30,
        "expected.remediations[0]",
        "unknown remediation 'db.kill_long_query'; did you mean 'db.kill_long_queries'?",
    ),
    "unknown-team.yaml": (27, "expected.team", "unknown team 'dbas'; did you mean 'dba'?"),
    "unknown-alert.yaml": (23, "expected.alerts[0].name", "did you mean 'latency_p99'?"),
    "unknown-severity.yaml": (26, "expected.severity", "unknown severity 'P7'"),
    "unknown-difficulty.yaml": (5, "difficulty", "unknown value 'easy'"),
    "unknown-area.yaml": (29, "expected.root_cause_area", "did you mean 'database'?"),
    "bad-duration.yaml": (25, "expected.alerts[0].within", "'30 secs' is not a duration"),
    "negative-at.yaml": (16, "faults[0].at", "must be at least 0"),
    "at-after-time-limit.yaml": (16, "faults[0].at", "not before time_limit_s"),
    "duration-without-length.yaml": (16, "faults[0]", "needs a duration"),
    "unknown-until.yaml": (19, "faults[0].until", "expected one of remediated, duration"),
    "team-not-routing.yaml": (27, "expected.team", "routes 'database' to 'dba', not 'sre'"),
    "harmful-and-accepted.yaml": (31, "expected.harmful", "both as a remediation and as harmful"),
    "ttl-too-short.yaml": (20, "faults[0].ttl", "would end by itself"),
    "bad-id.yaml": (1, "id", "'Sample Drill' does not match"),
    "duplicate-key.yaml": (6, "top level", "duplicate key 'difficulty' (first on line 5)"),
    "no-faults.yaml": (15, "faults", "needs at least 1 item"),
    "bad-params.yaml": (18, "faults[0].params.tabel", "db.lock has no parameter 'tabel'"),
    # What injection refuses, validation refuses first (fault_checks.py).
    "ttl-too-long.yaml": (20, "faults[0].ttl", "ttl must be between 1s and 24h, not 1e+15h"),
    "ttl-below-minimum.yaml": (21, "faults[0].ttl", "ttl must be between 1s and 24h, not 500ms"),
    "bad-param-range.yaml": (
        18,
        "faults[0].params.ms",
        "db.latency parameter 'ms': input should be less than or equal to 60000 (got 999999)",
    ),
    "duplicate-lock.yaml": (21, "faults[1]", "both need a lock on table 'orders'"),
    "wrong-database.yaml": (17, "faults[0].kind", "db.down acts only on PostgreSQL"),
    "no-docker-form.yaml": (17, "faults[0].kind", "db.latency has no Docker form"),
    "duration-past-time-limit.yaml": (
        20,
        "faults[0].duration",
        "the fault would end at 2m40s, after time_limit_s (2m) ends the drill",
    ),
    "within-too-long.yaml": (25, "expected.alerts[0].within", "longer than time_limit_s"),
    "empty-briefing.yaml": (3, "briefing", "must not be empty"),
    "alias-bomb.yaml": (7, "", "expands past 100000 nodes through aliases"),
}


def test_every_broken_scenario_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(BROKEN)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_scenario_gives_one_located_sentence(name: str) -> None:
    line, field, words = BROKEN[name]
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD / name, check_params=check_params, playbook=PLAYBOOK)
    message = str(info.value)
    assert message.startswith(f"{BAD / name}:{line}: {field}"), message
    assert words in message, message
    assert "\n" not in message and "Traceback" not in message


def test_library_is_valid_against_playbook_and_fault_registry() -> None:
    scenarios = load_scenarios(LIBRARY, check_params=check_params, playbook=PLAYBOOK)
    assert len(scenarios) >= 7
    for scenario in scenarios:
        assert scenario.source is not None
        assert Path(scenario.source).stem == scenario.id  # so `find_scenario ID` is direct
        reported = scenario.reports.customer_tickets or scenario.reports.storefront_check
        assert scenario.expected.alerts or reported, (
            f"{scenario.id}: CI needs an alert or a report (ticket, synthetic check) to verify"
        )
        assert 5 <= scenario.first_fault_s <= 10, f"{scenario.id}: keep drills short for CI"
        assert scenario.time_limit_s <= 180
        assert scenario.confirm_recovery_s == 10
        assert all(alert.within_s <= 30 for alert in scenario.expected.alerts)


def test_library_covers_the_required_drills() -> None:
    by_id = {s.id: s for s in load_scenarios(LIBRARY, playbook=PLAYBOOK)}
    wanted = {
        "app-crash": ("P0", "app.crash", "service.restart", "sre"),
        "db-outage": ("P0", "db.down", "db.restore", "dba"),
        "payment-provider-down": ("P0", "dependency.down", "dependency.switch_backup", "backend"),
        "db-lock": ("P1", "db.lock", "db.kill_long_queries", "dba"),
        "bad-deploy": ("P1", "deploy.bad_release", "deploy.rollback", "development"),
        "recommendations-down": (
            "P2",
            "app.error_rate",
            "feature.disable:recommendations",
            "development",
        ),
        # Triage calibration (issue 16): the bands, a segment, few users, a UI glitch.
        "slow-search": (
            "P2",
            "app.latency",
            "feature.disable:search_ranking",
            "development",
        ),
        "slow-site": ("P1", "app.latency", "service.scale_up", "sre"),
        "segment-errors": ("P2", "deploy.bad_release", "deploy.rollback", "development"),
        "edge-case-bug": (
            "P3",
            "feature.enable",
            "feature.disable:product_summaries",
            "development",
        ),
        "ui-glitch": ("P3", "feature.enable", "feature.disable:storefront_v2", "frontend"),
    }
    for scenario_id, (severity, kind, fix, team) in wanted.items():
        scenario = by_id[scenario_id]
        assert scenario.expected.severity == severity
        assert scenario.faults[0].kind == kind
        assert fix in scenario.expected.remediations
        assert scenario.expected.team == team
    assert by_id["db-lock"].expected.is_harmful("service.restart")
    degradations = [
        s
        for s in by_id.values()
        if s.expected.severity == "P2"
        and s.faults[0].kind in ("app.latency", "db.latency")
        and not s.faults[0].params.get("routes")  # a slow feature belongs to its developers
    ]
    assert degradations and all(s.expected.team == "sre" for s in degradations)


def test_scenario_defaults_and_units(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(
        "id: mini\ntitle: Mini\nbriefing: b\nfaults:\n  - {at: 1m30s, kind: app.crash}\n"
        "expected: {severity: P0, team: sre, root_cause: r, root_cause_area: infrastructure,"
        " remediations: [service.restart]}\n"
    )
    scenario = load_scenario(path, playbook=PLAYBOOK)
    assert scenario.faults[0].at_s == 90
    assert scenario.faults[0].until == "remediated"
    assert scenario.confirm_recovery_s == PLAYBOOK.confirm_recovery_s  # the playbook's default
    assert scenario.time_scale == 1
    assert scenario.target.database == "any"
    assert scenario.load.profile == "shop"
    assert isinstance(scenario, Scenario)


def test_check_params_hook_is_called_per_fault(tmp_path: Path) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def refuse_big(kind: str, params: dict[str, Any]) -> str | None:
        seen.append((kind, params))
        return "ms must be at most 1000" if params.get("ms", 0) > 1000 else None

    path = tmp_path / "two.yaml"
    path.write_text(
        "id: two\ntitle: Two\nbriefing: b\nfaults:\n"
        "  - {at: 5s, kind: app.latency, params: {ms: 200}, until: duration, duration: 10s}\n"
        "  - at: 20s\n    kind: app.latency\n    params: {ms: 5000}\n"
        "    until: duration\n    duration: 10s\n"
        "expected: {severity: P2, team: sre, root_cause: r, root_cause_area: infrastructure}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, check_params=refuse_big, playbook=PLAYBOOK)
    assert str(info.value) == f"{path}:8: faults[1].params: ms must be at most 1000"
    assert [kind for kind, _ in seen] == ["app.latency", "app.latency"]


def test_duplicate_ids_are_refused_with_the_line_of_the_second() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenarios(BAD / "duplicate-ids", playbook=PLAYBOOK)
    message = str(info.value)
    assert message.startswith(f"{BAD / 'duplicate-ids' / 'b.yaml'}:2: id: duplicate")
    assert "a.yaml" in message


def test_find_scenario_by_id_and_by_path(tmp_path: Path) -> None:
    assert find_scenario("db-lock", directory=LIBRARY, playbook=PLAYBOOK).id == "db-lock"
    assert find_scenario(LIBRARY / "app-crash.yaml", playbook=PLAYBOOK).id == "app-crash"
    # An id that is not the file name is found by scanning the library.
    shutil.copy(LIBRARY / "db-lock.yaml", tmp_path / "renamed.yaml")
    assert find_scenario("db-lock", directory=tmp_path, playbook=PLAYBOOK).id == "db-lock"
    with pytest.raises(ScenarioError, match="no scenario with id 'nope'"):
        find_scenario("nope", directory=LIBRARY, playbook=PLAYBOOK)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        find_scenario(tmp_path / "missing.yaml", playbook=PLAYBOOK)


def test_scenario_files_expand_directories() -> None:
    files = scenario_files([LIBRARY, BAD / "negative-at.yaml"])
    assert files[-1] == BAD / "negative-at.yaml"
    assert all(f.suffix == ".yaml" for f in files)
    assert not any(f.name.endswith(".json") for f in files)


def test_every_fault_kind_is_a_known_name() -> None:
    kinds = {f.kind for s in load_scenarios(LIBRARY, playbook=PLAYBOOK) for f in s.faults}
    assert kinds <= set(FAULT_KINDS)
