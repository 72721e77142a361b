"""The security alerts: canary use, export volume per key and failed logins, in the
builtin detector's evaluator and through the Prometheus tracker; the SLI alerts are
unchanged by them."""

from __future__ import annotations

from typing import Any

from scoring.playbook import load_playbook
from simulator.detection import AlertEvaluator, AlertFiring, AlertResolved, SliSample
from simulator.detection.exposition import MetricsSnapshot, parse_metrics
from simulator.detection.rules import rules_from_playbook
from simulator.detection.security import SecurityWindow, alert_rules, security_rules
from simulator.prometheus.tracker import AlertTracker
from simulator.prometheus.webhook import WebhookPayload

PLAYBOOK = load_playbook()
SETTINGS = PLAYBOOK.security_alerts


def snapshot(t: float, canary: float = 0, **rows: float) -> MetricsSnapshot:
    export = {k.replace("_", "-"): v for k, v in rows.items()}
    return MetricsSnapshot(t=t, canary={"key": canary, "record": 0.0}, export_rows=export)


def healthy(t: float) -> SliSample:
    return SliSample(t=t, rps=20.0, error_rate=0.0, p50_ms=5, p99_ms=40, availability=1.0)


def run(window: SecurityWindow, snaps: list[MetricsSnapshot]) -> list[SliSample]:
    return [window.annotate(healthy(s.t), s) for s in snaps]


def test_the_shops_counters_are_read_from_metrics() -> None:
    text = (
        "# TYPE canary_token_used counter\n"
        'canary_token_used_total{token="key"} 1.0\n'
        "# TYPE customer_export_rows counter\n"
        'customer_export_rows_total{key_id="reports"} 30.0\n'
    )
    snap = parse_metrics(text, 1.0)
    assert snap.canary == {"key": 1.0} and snap.export_rows == {"reports": 30.0}


def test_a_canary_use_counts_for_one_window_only() -> None:
    window = SecurityWindow(SETTINGS)
    snaps = [snapshot(float(t), canary=0 if t < 5 else 1) for t in range(30)]
    uses = [s.canary_uses for s in run(window, snaps)]
    assert uses[4] == 0 and uses[5] == 1 and uses[14] == 1 and uses[15] == 0


def test_export_ratio_is_per_key_against_its_own_limit() -> None:
    window = SecurityWindow(SETTINGS)
    # The partner at its normal 40 rows/s, an unlisted key at 5 rows/s from t=10.
    snaps = [
        snapshot(float(t), partner_acme=40.0 * t, reports=5.0 * max(0, t - 10)) for t in range(30)
    ]
    samples = run(window, snaps)
    assert samples[9].export_key == "partner-acme"
    assert samples[9].export_ratio is not None and samples[9].export_ratio < 0.5
    assert samples[29].export_key == "reports" and samples[29].export_ratio == 5.0


def test_a_restart_resets_the_counters_without_a_spike() -> None:
    window = SecurityWindow(SETTINGS)
    snaps = [snapshot(0.0, reports=300.0), snapshot(1.0, reports=0.0), snapshot(2.0, reports=0.0)]
    assert [s.export_ratio for s in run(window, snaps)] == [0.0, 0.0, 0.0]


def evaluate(samples: list[SliSample]) -> list[Any]:
    evaluator = AlertEvaluator(alert_rules(PLAYBOOK))
    return [change for s in samples for change in evaluator.evaluate(s)]


def test_canary_fires_critical_and_export_fires_high_both_routed_to_security() -> None:
    window = SecurityWindow(SETTINGS)
    snaps = [
        snapshot(float(t), canary=1 if t >= 3 else 0, reports=10.0 * max(0, (t - 3) // 2))
        for t in range(40)
    ]
    changes = evaluate(run(window, snaps))
    fired = {(c.name, c.severity): c for c in changes if isinstance(c, AlertFiring)}
    assert set(fired) == {("canary_token_used", "critical"), ("export_volume", "high")}
    assert all(c.event_data()["team"] == "security" for c in fired.values())
    assert fired["canary_token_used", "critical"].t == 3.0
    # The canary was used once: it clears after the window and the clear hold.
    resolved = [c for c in changes if isinstance(c, AlertResolved)]
    assert [c.name for c in resolved] == ["canary_token_used"]


def test_the_partner_at_its_normal_rate_and_healthy_slis_fire_nothing() -> None:
    window = SecurityWindow(SETTINGS)
    snaps = [snapshot(float(t), partner_acme=50.0 * t) for t in range(60)]
    assert evaluate(run(window, snaps)) == []


def test_sli_alerts_are_unchanged_and_carry_no_team() -> None:
    evaluator = AlertEvaluator(rules_from_playbook(PLAYBOOK))
    bad = SliSample(t=1.0, rps=20.0, error_rate=0.5, p50_ms=5, p99_ms=40, availability=1.0)
    (fired,) = evaluator.evaluate(bad)
    assert isinstance(fired, AlertFiring) and fired.team is None
    assert "team" not in fired.event_data()
    assert [r.name for r in security_rules(PLAYBOOK)] == [
        "canary_token_used",
        "export_volume",
        "login_failure_surge",
    ]


def test_prometheus_series_of_two_keys_are_one_export_alert() -> None:
    now = [10.0]
    tracker = AlertTracker(lambda: now[0], alert_rules(PLAYBOOK), lambda: None, id_prefix="P")

    def alert(status: str, key_id: str) -> dict[str, Any]:
        return {
            "status": status,
            "labels": {
                "alertname": "export_volume",
                "severity": "high",
                "team": "security",
                "key_id": key_id,
            },
            "annotations": {"value": "5", "threshold": "1"},
            "startsAt": "2024-01-01T00:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": f"fp-{key_id}",
        }

    def feed(*alerts: dict[str, Any]) -> list[Any]:
        body = {"version": "4", "status": "firing", "alerts": list(alerts)}
        return tracker.feed(WebhookPayload.model_validate(body))

    (fired,) = feed(alert("firing", "reports"), alert("firing", "partner-acme"))
    assert isinstance(fired, AlertFiring) and fired.team == "security" and fired.value == 5.0
    assert feed(alert("resolved", "reports")) == []  # the partner's series still fires
    now[0] = 12.0
    (resolved,) = feed(alert("resolved", "partner-acme"))
    assert isinstance(resolved, AlertResolved) and resolved.name == "export_volume"
