"""A team's own alerting, drilled end to end through `chaosdrill verify`: a real
fault (the shop's process killed), the team's Prometheus rules, the team's
Alertmanager routes and inhibit rules, and its receivers on local sinks.

One drill serves three tests: the team's config here has a route on `job` that
swallows the SRE team's alerts into the web team's Slack (a misroute only the
drill can see: `job` comes from the scraped series, so the static route check
before the drill cannot know it), so the same run shows a delivery that reached
the right receiver, a wrong receiver reported as a one-line diff with the
matched route, and an inhibited alert reported as inhibited. A broken config,
and a route the static check can see is wrong, fail before anything starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.prometheus, pytest.mark.e2e, pytest.mark.integration]
CLI = [sys.executable, "-m", "simulator.cli"]
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "team-alerting"

MISROUTED = {
    "route": {
        "receiver": "sre-pager",
        "group_by": ["alertname", "job"],
        "group_wait": "1s",
        "group_interval": "5s",
        "routes": [
            {"matchers": ['alertname="availability"'], "receiver": "frontend-slack"},
            # Meant for the web team's job; the shop's scrape job is "shop" too.
            {"matchers": ['job="shop"'], "receiver": "frontend-slack"},
            {"matchers": ['team="sre"'], "receiver": "sre-pager"},
        ],
    },
    "inhibit_rules": [
        {
            "source_matchers": ['alertname="ShopDown"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["job"],
        }
    ],
    "receivers": [
        {
            "name": "frontend-slack",
            "slack_configs": [
                {"api_url": "https://hooks.slack.com/services/T/B/X", "channel": "#web"}
            ],
        },
        {"name": "sre-pager", "pagerduty_configs": [{"routing_key": "0" * 32}]},
    ],
}
DELIVERIES = {
    "scenarios": {
        "app-crash": [
            {"alert": "availability", "receiver": "frontend-slack", "within": "60s"},
            {"alert": "ShopDown", "receiver": "sre-pager", "within": "60s"},
            {"alert": "ShopScrapeFailing", "receiver": "sre-pager", "within": "60s"},
        ]
    }
}


def chaosdrill(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[bool, str]], Path]:
    """One `verify` of app-crash through the misrouted config: case name -> (passed, message)."""
    root = tmp_path_factory.mktemp("team")
    (root / "am.yml").write_text(yaml.safe_dump(MISROUTED))
    (root / "deliveries.yml").write_text(yaml.safe_dump(DELIVERIES))
    result = chaosdrill(
        root,
        "verify",
        "app-crash",
        "--detector=prometheus",
        f"--rules={EXAMPLE / 'rules.yml'}",
        "--alertmanager-config=am.yml",
        "--deliveries=deliveries.yml",
        "--junit=out/junit.xml",
        "--coverage=out/coverage.json",
    )
    assert result.returncode == 1, result.stderr[-3000:]
    cases = {}
    for case in ET.parse(root / "out" / "junit.xml").getroot().iter("testcase"):
        failure = case.find("failure")
        text = failure.get("message", "") if failure is not None else case.findtext("system-out")
        cases[case.get("name", "")] = (failure is None, text or "")
    return cases, root


def test_the_fault_reaches_the_right_receiver_through_the_teams_routes(
    verified: tuple[dict[str, tuple[bool, str]], Path],
) -> None:
    cases, root = verified
    passed, message = cases["availability -> frontend-slack within 60s"]
    assert passed, message
    assert "reached `frontend-slack` (slack)" in message
    # The drill itself went as usual on the engine's own Alertmanager.
    assert cases["service recovers after remediation"][0]
    rewritten = (root / "out" / "team-alertmanager.drill.yml").read_text()
    assert "hooks.slack.com" not in rewritten and "/slack/frontend-slack/0" in rewritten
    notes = [
        json.loads(line)
        for line in (root / "out" / "team-notifications.app-crash.jsonl").read_text().splitlines()
    ]
    firing = [n for n in notes if n["firing"]]
    # The misroute took every alert that carries the scraped `job`. An alert summed over the
    # shop's series has no `job` and rightly goes to the default receiver: after the restart a
    # loaded host can see a few 5xx (`error_rate`), so it may or may not page `sre-pager`.
    routed = {(n["text"].split("] ", 2)[2].split(" ", 1)[0], n["receiver"]) for n in firing}
    on_job = {(a, r) for a, r in routed if a in {"availability", "ShopDown", "ShopScrapeFailing"}}
    assert {a for a, _ in on_job} >= {"availability", "ShopDown"}, routed
    assert {r for _, r in on_job} == {"frontend-slack"}, routed
    assert all(n["text"].startswith("[DRILL] ") for n in firing)  # what a person reads
    slack = next(n for n in firing if n["integration"] == "slack")
    assert slack["payload"]["attachments"][0]["title"].startswith("[DRILL] [FIRING:")
    coverage = json.loads((root / "out" / "coverage.json").read_text())
    assert "CheckoutSlow" in coverage["never_fired"]
    assert coverage["rules"]["ShopDown"][0]["scenario"] == "app-crash"


def test_a_misrouted_alert_fails_with_a_one_line_diff_naming_the_route(
    verified: tuple[dict[str, tuple[bool, str]], Path],
) -> None:
    cases, _ = verified
    passed, message = cases["ShopDown -> sre-pager within 60s"]
    assert not passed
    assert message == (
        '`ShopDown` went to `frontend-slack`, expected `sre-pager`; matched route: {job="shop"}'
    )
    # The static check before the drill could not see it: `job` comes from the series.
    assert cases["app-crash: ShopDown routes to sre-pager (amtool config routes test)"][0]


def test_an_inhibited_alert_is_reported_as_inhibited_not_missing(
    verified: tuple[dict[str, tuple[bool, str]], Path],
) -> None:
    cases, _ = verified
    passed, message = cases["ShopScrapeFailing -> sre-pager within 60s"]
    assert not passed
    assert "was inhibited by ShopDown" in message and "inhibited, not lost" in message


def test_a_broken_team_config_is_one_sentence_and_starts_nothing(tmp_path: Path) -> None:
    broken = (
        (EXAMPLE / "alertmanager.yml")
        .read_text()
        .replace("receiver: sre-hook\n", "receiver: sre-hok\n")
    )
    (tmp_path / "am.yml").write_text(broken)
    result = chaosdrill(
        tmp_path,
        "verify",
        "app-crash",
        "--detector=prometheus",
        "--alertmanager-config=am.yml",
        "--junit=out/junit.xml",
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    line = next(i for i, ln in enumerate(broken.splitlines(), 1) if "sre-hok" in ln)
    assert lines == [
        f'chaosdrill: am.yml:{line}: receiver: undefined receiver "sre-hok" used in route '
        "(amtool check-config); fix the file, nothing was started"
    ]
    assert not (tmp_path / "out").exists()  # no drill ran, no rewritten config


def test_a_syntax_error_in_the_teams_file_is_its_line_and_starts_nothing(tmp_path: Path) -> None:
    broken = (
        (EXAMPLE / "alertmanager.yml").read_text().replace("  group_wait: 1s", "  group_wait 1s")
    )
    (tmp_path / "am.yml").write_text(broken)
    result = chaosdrill(
        tmp_path, "verify", "app-crash", "--detector=prometheus", "--alertmanager-config=am.yml"
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("chaosdrill: am.yml:") and "nothing was started" in line, line
    assert not (tmp_path / "team-alertmanager.drill.yml").exists()


def test_a_route_the_static_check_sees_is_wrong_fails_before_any_fault(tmp_path: Path) -> None:
    config = yaml.safe_load((EXAMPLE / "alertmanager.yml").read_text())
    # Meant for "web" and "www"; it also matches team="sre" (and comes first).
    config["route"]["routes"].insert(0, {"matchers": ['team=~"s.*|w.*"'], "receiver": "web-slack"})
    (tmp_path / "am.yml").write_text(yaml.safe_dump(config))
    result = chaosdrill(
        tmp_path,
        "verify",
        "app-crash",
        "--detector=prometheus",
        f"--rules={EXAMPLE / 'rules.yml'}",
        "--alertmanager-config=am.yml",
        f"--deliveries={EXAMPLE / 'deliveries.yml'}",
        "--junit=out/junit.xml",
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "no drill was started" in result.stderr
    assert "verify app-crash" not in result.stderr  # no drill ran
    failures = {
        case.get("name"): failure.get("message")
        for case in ET.parse(tmp_path / "out" / "junit.xml").getroot().iter("testcase")
        if (failure := case.find("failure")) is not None
    }
    assert failures["app-crash: ShopDown routes to sre-pager (amtool config routes test)"] == (
        '`ShopDown` {alertname="ShopDown",drill="true",severity="critical",team="sre"} goes '
        'to `web-slack`, expected `sre-pager`; matched route: {team=~"s.*|w.*"}'
    )
    assert not (tmp_path / "out" / "team-alertmanager.drill.yml").exists()  # nothing ran
