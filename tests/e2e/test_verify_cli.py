"""`chaosdrill verify` as CI runs it: a whole autopilot drill per scenario, JUnit out.

Apart from tests/e2e/test_drill_run.py so that the drills of the two files run on two workers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import chaosdrill

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def test_verify_passes_and_writes_junit(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = chaosdrill(tmp_path, "verify", "recommendations-down", "--junit", str(junit))
    assert done.returncode == 0, done.stderr[-2000:]
    xml = junit.read_text()
    assert 'failures="0"' in xml and "fired" in xml and "recovered" in xml
    triage = [line for line in done.stderr.splitlines() if "remediation" in line and "%" in line]
    assert triage and "100%" in triage[0], "the autopilot's triage accuracy is printed"
    assert "2 passed, 0 failed" in done.stderr


WEAK = """\
id: weak-errors
title: A fault too weak to trip its alert
briefing: A few requests fail.
load: {users: 20, spawn_rate: 20, profile: catalog, seed: 3}
steady_state: {max_error_rate: 0.02, max_p99_ms: 800, min_rps: 5, timeout: 60s}
faults:
  - {at: 3s, kind: app.error_rate, params: {fraction: 0.005}, until: duration, duration: 10s}
expected:
  alerts:
    - {name: error_rate, severity: critical, within: 10s}
  severity: P1
  team: development
  root_cause: One request in two hundred fails.
  root_cause_area: application
  remediations: [deploy.rollback]
confirm_recovery_s: 5
time_limit_s: 20
"""


def test_verify_fails_when_the_fault_is_too_weak_to_alert(tmp_path: Path) -> None:
    scenario = tmp_path / "weak-errors.yaml"
    scenario.write_text(WEAK)
    junit = tmp_path / "junit.xml"
    done = chaosdrill(tmp_path, "verify", str(scenario), "--junit", str(junit))
    assert done.returncode == 1, done.stderr[-2000:]
    xml = junit.read_text()
    assert "never fired at critical or worse" in xml
    assert 'failures="2"' in xml
