"""The failed-login surge: read from /metrics, counted over the security window, fired
by the builtin evaluator at the playbook's severity and routed to Security."""

from __future__ import annotations

from scoring.playbook import load_playbook
from simulator.detection import AlertEvaluator, AlertFiring, AlertResolved, SliSample
from simulator.detection.exposition import MetricsSnapshot, parse_metrics
from simulator.detection.security import (
    LOGIN_ALERT,
    SecurityWindow,
    login_promql,
    security_rules,
)

PLAYBOOK = load_playbook()
SETTINGS = PLAYBOOK.security_alerts


def snapshot(t: float, failures: float) -> MetricsSnapshot:
    return MetricsSnapshot(t=t, login_failures={"wrong_password": failures})


def healthy(t: float) -> SliSample:
    return SliSample(t=t, rps=20.0, error_rate=0.0, p50_ms=5, p99_ms=40, availability=1.0)


def test_failed_logins_are_read_by_reason() -> None:
    text = (
        "# TYPE login_failures counter\n"
        'login_failures_total{reason="wrong_password"} 7.0\n'
        'login_failures_total{reason="unknown_account"} 2.0\n'
        "# TYPE login_successes counter\n"
        "login_successes_total 3.0\n"
    )
    snap = parse_metrics(text, 1.0)
    assert snap.login_failures == {"wrong_password": 7.0, "unknown_account": 2.0}


def test_a_surge_fires_routed_to_security_and_clears_when_it_stops() -> None:
    window = SecurityWindow(SETTINGS)
    (rule,) = [r for r in security_rules(PLAYBOOK) if r.name == LOGIN_ALERT]
    assert rule.team == "security" and rule.severity == SETTINGS.login_severity
    assert rule.promql == login_promql(SETTINGS)
    evaluator = AlertEvaluator([rule])
    # Nothing for 10 s, 5 failures a second for 30 s, then nothing.
    counts = [0.0] * 10 + [5.0 * i for i in range(1, 31)] + [150.0] * 40
    transitions = []
    for t, count in enumerate(counts):
        sample = window.annotate(healthy(float(t)), snapshot(float(t), count))
        transitions += [(t, x) for x in evaluator.evaluate(sample)]
    fired = [(t, x) for t, x in transitions if isinstance(x, AlertFiring)]
    resolved = [(t, x) for t, x in transitions if isinstance(x, AlertResolved)]
    assert len(fired) == 1 and len(resolved) == 1
    assert 10 < fired[0][0] < 20 and fired[0][1].team == "security"
    assert resolved[0][0] > 40


def test_a_restart_is_no_surge() -> None:
    window = SecurityWindow(SETTINGS)
    samples = [
        window.annotate(healthy(float(t)), snapshot(float(t), 100.0 if t < 5 else 0.0))
        for t in range(10)
    ]
    assert all(s.login_failure_rate == 0.0 for s in samples)
