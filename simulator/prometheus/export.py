"""`chaosdrill rules export`: the playbook's thresholds as a Prometheus rule file
plus the `promtool test rules` file that checks it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from simulator.detection.security import AlertPlaybook, alert_rules
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.rulefile import RuleFileOptions, dump, render_rules
from simulator.prometheus.ruletest import render_tests
from simulator.prometheus.securitytest import security_cases
from simulator.prometheus.servers import find_binary

RULES_FILE = "chaosdrill-rules.yml"
TEST_FILE = "chaosdrill-rules.test.yml"
HEADER = """\
Prometheus alerting rules of the playbook's thresholds, written by `chaosdrill rules export`.
Do not edit: change playbook.yaml and export again.
alertname = the drill's alert (error_rate, latency_p99, availability); label severity =
critical / high / medium: the same (name, severity) as chaosdrill's builtin detector.
canary_token_used, export_volume (one series per key_id) and login_failure_surge carry
team = the playbook's routing.security, for a team's Alertmanager to route to Security.
for = the builtin detector's for_s; keep_firing_for = its clear_s.
Windows of {window} assume a scrape and evaluation interval of 1s (a drill's Prometheus);
availability is `up` of the scrape job "{job}".
"""
TEST_HEADER = "promtool test rules {test}   (checks {rules} against the playbook's thresholds)\n"


def write_rules(
    playbook: AlertPlaybook, out_dir: Path, options: RuleFileOptions | None = None
) -> tuple[Path, Path]:
    """Write RULES_FILE and TEST_FILE into `out_dir` (created); returns both paths."""
    options = options or RuleFileOptions()
    rules = alert_rules(playbook)
    out_dir.mkdir(parents=True, exist_ok=True)
    rules_path, test_path = out_dir / RULES_FILE, out_dir / TEST_FILE
    header = HEADER.format(window=options.window, job=options.job)
    security = [r for r in rules if r.promql is not None]
    tests = render_tests([r for r in rules if r.promql is None], RULES_FILE, options)
    settings = playbook.security_alerts
    limits = {k: settings.export_limit(k) for k in settings.export_normal_rows_per_s}
    tests["tests"] += security_cases(
        security, settings.window_s, limits, settings.export_floor_rows_per_s
    )
    rules_path.write_text(dump(render_rules(rules, options), header))
    test_path.write_text(dump(tests, TEST_HEADER.format(test=TEST_FILE, rules=RULES_FILE)))
    return rules_path, test_path


def promtool_test(test_path: Path) -> str:
    """Run `promtool test rules` on `test_path`; its output, or PrometheusError if it failed."""
    result = subprocess.run(
        [find_binary("promtool"), "test", "rules", test_path.name],
        cwd=test_path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise PrometheusError(f"promtool test rules {test_path} failed:\n{output}")
    return output
