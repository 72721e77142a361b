"""Alert rules from the playbook and their evaluation over synthetic SLI series."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from scoring.names import ALERT_NAMES, ALERT_SEVERITIES
from scoring.playbook import ThresholdLevels, Thresholds, load_playbook
from simulator.detection.alerts import AlertEvaluator, AlertFiring, AlertResolved
from simulator.detection.rules import (
    AlertRule,
    RuleTiming,
    rules_from_playbook,
    rules_from_thresholds,
)
from simulator.detection.samples import SliSample

PLAYBOOK_RULES = rules_from_playbook(load_playbook())


def sample(
    t: float,
    error_rate: float | None = 0.0,
    p99_ms: float | None = 20.0,
    availability: float | None = 1.0,
) -> SliSample:
    return SliSample(
        t=t,
        rps=100.0,
        error_rate=error_rate,
        p50_ms=5.0,
        p99_ms=p99_ms,
        availability=availability,
    )


def run(
    evaluator: AlertEvaluator, samples: Sequence[SliSample]
) -> list[tuple[float, str, str, str]]:
    """(t, fired|resolved|inhibited, name, severity) for every transition over the series."""
    out = []
    for s in samples:
        for change in evaluator.evaluate(s):
            if isinstance(change, AlertFiring):
                kind = "fired"
            else:
                kind = "inhibited" if change.reason == "inhibited" else "resolved"
            out.append((s.t, kind, change.name, change.severity))
    return out


def transitions(
    evaluator: AlertEvaluator, samples: Sequence[SliSample]
) -> list[AlertFiring | AlertResolved]:
    return [change for s in samples for change in evaluator.evaluate(s)]


def error_series(values: Sequence[float | None], start: float = 0.0) -> list[SliSample]:
    return [sample(start + i, error_rate=v) for i, v in enumerate(values)]


def only(name: str, *, for_s: float = 0.0, clear_s: float = 3.0) -> AlertEvaluator:
    timing = {name: RuleTiming(for_s=for_s, clear_s=clear_s)}
    return AlertEvaluator(r for r in rules_from_playbook(load_playbook(), timing) if r.name == name)


# -- rules ---------------------------------------------------------------------------


def test_one_rule_per_alert_and_severity_from_the_playbook() -> None:
    assert [r.key for r in PLAYBOOK_RULES] == [
        (name, severity) for name in ALERT_NAMES for severity in ALERT_SEVERITIES
    ]
    by_key = {r.key: r for r in PLAYBOOK_RULES}
    assert by_key["error_rate", "high"] == AlertRule(
        "error_rate", "error_rate", ">", 0.05, "high", 0.0, 5.0
    )
    assert by_key["latency_p99", "critical"].threshold == 5000.0
    assert by_key["latency_p99", "critical"].sli == "p99_ms"
    assert by_key["availability", "medium"].op == "<"
    assert by_key["availability", "medium"].threshold == 0.999


def test_rules_follow_edited_thresholds_and_timing() -> None:
    levels = ThresholdLevels(critical=0.2, high=0.1, medium=0.01)
    thresholds = Thresholds(
        error_rate=levels,
        latency_p99_ms=ThresholdLevels(critical=900, high=300, medium=100),
        availability=ThresholdLevels(critical=0.9, high=0.95, medium=0.97),
    )
    rules = rules_from_thresholds(thresholds, {"latency_p99": RuleTiming(for_s=2.0, clear_s=9.0)})
    by_key = {r.key: r for r in rules}
    assert by_key["error_rate", "critical"].threshold == 0.2
    assert by_key["latency_p99", "medium"].threshold == 100.0
    assert (by_key["latency_p99", "high"].for_s, by_key["latency_p99", "high"].clear_s) == (
        2.0,
        9.0,
    )
    assert by_key["error_rate", "high"].for_s == 0.0


def test_default_timing_confirms_noisy_levels_and_fires_clear_ones_at_once() -> None:
    by_key = {r.key: r for r in PLAYBOOK_RULES}
    assert by_key["latency_p99", "medium"].for_s == 2.0
    assert by_key["latency_p99", "high"].for_s == 0.0
    assert by_key["availability", "critical"].for_s == 1.0
    assert all(r.for_s == 0.0 for r in PLAYBOOK_RULES if r.name == "error_rate")
    assert all(r.clear_s == 5.0 for r in PLAYBOOK_RULES)


def test_timing_override_by_name_covers_every_severity_and_by_severity_only_one() -> None:
    playbook = load_playbook()
    whole = {r.key: r for r in rules_from_playbook(playbook, {"latency_p99": RuleTiming(0.0, 1.0)})}
    assert whole["latency_p99", "medium"].for_s == 0.0  # the default for medium is replaced
    assert whole["latency_p99", "medium"].clear_s == 1.0
    one = {
        r.key: r
        for r in rules_from_playbook(playbook, {"error_rate/critical": RuleTiming(3.0, 9.0)})
    }
    assert (one["error_rate", "critical"].for_s, one["error_rate", "critical"].clear_s) == (3, 9)
    assert one["error_rate", "high"].for_s == 0.0
    assert one["latency_p99", "medium"].for_s == 2.0  # untouched defaults stay


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("latency", "timing for 'latency': no alert named 'latency'; known alerts: error_rate"),
        ("error_rate/urgent", "timing for 'error_rate/urgent': no severity 'urgent'"),
    ],
)
def test_timing_for_an_unknown_alert_or_severity_is_refused_by_name(key: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        rules_from_playbook(load_playbook(), {key: RuleTiming()})


def test_duplicate_rules_are_refused() -> None:
    rule = PLAYBOOK_RULES[0]
    with pytest.raises(ValueError, match="share a"):
        AlertEvaluator([rule, rule])


# -- thresholds and inhibition ---------------------------------------------------------


def test_15_percent_errors_fire_one_alert_at_critical_and_inhibit_the_rest() -> None:
    evaluator = AlertEvaluator(PLAYBOOK_RULES)
    changes = evaluator.evaluate(sample(1.0, error_rate=0.15))
    assert [(c.name, c.severity) for c in changes] == [("error_rate", "critical")]
    assert set(evaluator.firing) == {("error_rate", "critical")}
    # Every rule is breached; the lower ones are inhibited, as by an Alertmanager rule.
    assert set(evaluator.raw_firing) == {("error_rate", s) for s in ALERT_SEVERITIES}


def test_a_crash_fires_one_alert_per_sli_each_at_its_highest_severity() -> None:
    evaluator = AlertEvaluator(PLAYBOOK_RULES)
    down = [sample(float(t), error_rate=0.6, p99_ms=6000.0, availability=0.0) for t in range(4)]
    up = [sample(float(t), error_rate=0.0, p99_ms=20.0, availability=1.0) for t in range(4, 12)]
    changes = transitions(evaluator, down + up)
    fired = [c for c in changes if isinstance(c, AlertFiring)]
    resolved = [c for c in changes if isinstance(c, AlertResolved)]
    assert sorted((c.name, c.severity) for c in fired) == [
        ("availability", "critical"),
        ("error_rate", "critical"),
        ("latency_p99", "critical"),
    ]
    # Each resolves once, with the severity and id that fired, because it cleared.
    assert sorted((r.alert_id, r.name, r.severity, r.reason) for r in resolved) == sorted(
        (f.alert_id, f.name, f.severity, "cleared") for f in fired
    )
    assert len({f.alert_id for f in fired}) == 3


def test_rising_error_rate_escalates_and_inhibits_the_lower_severity() -> None:
    evaluator = only("error_rate")
    changes = transitions(evaluator, error_series([0.0, 0.03, 0.07, 0.15]))
    assert [(c.t, type(c).__name__, c.severity) for c in changes] == [
        (1.0, "AlertFiring", "medium"),
        (2.0, "AlertFiring", "high"),
        (2.0, "AlertResolved", "medium"),
        (3.0, "AlertFiring", "critical"),
        (3.0, "AlertResolved", "high"),
    ]
    medium, high, medium_end, critical, high_end = changes
    assert isinstance(medium_end, AlertResolved) and isinstance(high_end, AlertResolved)
    assert (medium_end.alert_id, medium_end.reason, medium_end.inhibited_by) == (
        medium.alert_id,
        "inhibited",
        high.alert_id,
    )
    assert (high_end.alert_id, high_end.inhibited_by) == (high.alert_id, critical.alert_id)
    assert set(evaluator.firing) == {("error_rate", "critical")}


def test_falling_error_rate_de_escalates_one_severity_at_a_time() -> None:
    series = error_series([0.15, 0.07, 0.07, 0.07, 0.03, 0.03, 0.03, 0.0, 0.0, 0.0, 0.0])
    changes = run(only("error_rate", clear_s=3.0), series)
    assert changes == [
        (0.0, "fired", "error_rate", "critical"),
        (4.0, "resolved", "error_rate", "critical"),  # inside since t=1, for 3 s at t=4
        (4.0, "fired", "error_rate", "high"),  # still above 5 %: shown again, a new alert
        (7.0, "resolved", "error_rate", "high"),  # inside since t=4
        (7.0, "fired", "error_rate", "medium"),
        (10.0, "resolved", "error_rate", "medium"),  # inside since t=7
    ]


def test_an_alert_shown_again_carries_the_value_of_now() -> None:
    evaluator = only("error_rate", clear_s=1.0)
    changes = transitions(evaluator, error_series([0.15, 0.07, 0.07]))
    high = changes[-1]
    assert isinstance(high, AlertFiring) and high.severity == "high"
    assert high.value == 0.07
    assert high.t == 2.0


def test_each_shown_alert_fires_once_and_resolves_once_with_its_severity() -> None:
    evaluator = AlertEvaluator(PLAYBOOK_RULES, id_prefix="d:")
    rates = [0.0, 0.03, 0.07, 0.15, 0.07, 0.2, 0.03, 0.0, 0.15, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    p99s = [20, 700, 1200, 6000, 20, 700, 20, 20, 20, 20, 20, 20, 20, 20, 20]
    avail = [1, 1, 0.995, 0.5, 0.98, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1]
    series = [
        sample(float(t), error_rate=e, p99_ms=p, availability=a)
        for t, (e, p, a) in enumerate(zip(rates, p99s, avail, strict=True))
    ]
    shown: dict[str, AlertFiring] = {}
    ended: set[str] = set()
    for s in series:
        for change in evaluator.evaluate(s):
            if isinstance(change, AlertFiring):
                assert change.alert_id not in shown, "an alert_id fires twice"
                shown[change.alert_id] = change
            else:
                assert change.alert_id in shown and change.alert_id not in ended
                assert change.severity == shown[change.alert_id].severity
                assert change.name == shown[change.alert_id].name
                ended.add(change.alert_id)
        names = [name for name, _ in evaluator.firing]
        assert len(names) == len(set(names)), f"two alerts of one SLI at t={s.t}"
        # Inhibition never hides an SLI: shown exactly while any severity fires raw.
        assert set(names) == {name for name, _ in evaluator.raw_firing}
    assert ended == set(shown)


@pytest.mark.parametrize(
    ("name", "value", "firing"),
    [
        ("error_rate", 0.05, "medium"),  # at the high threshold: not above it
        ("error_rate", 0.0500001, "high"),
        ("error_rate", 0.02, None),
        ("latency_p99", 1000.0, "medium"),
        ("latency_p99", 5000.0, "high"),
        ("latency_p99", 5000.5, "critical"),
        ("availability", 0.99, "high"),  # at critical: not below it
        ("availability", 0.999, None),
        ("availability", 0.9, "critical"),
    ],
)
def test_exactly_at_the_threshold_is_inside(name: str, value: float, firing: str | None) -> None:
    sli = {"error_rate": "error_rate", "latency_p99": "p99_ms", "availability": "availability"}
    evaluator = only(name)
    evaluator.evaluate(sample(0.0, **{sli[name]: value}))
    assert {severity for _, severity in evaluator.firing} == ({firing} if firing else set())


def test_hysteresis_keeps_one_alert_through_a_noisy_recovery() -> None:
    evaluator = only("error_rate", clear_s=3.0)
    series = error_series([0.2, 0.0, 0.2, 0.0, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0])
    # Back inside at t=6 and for 3 s: resolved at t=9, never in between.
    assert run(evaluator, series) == [
        (0.0, "fired", "error_rate", "critical"),
        (9.0, "resolved", "error_rate", "critical"),
    ]


def test_same_alert_id_while_it_keeps_firing_and_a_new_one_after_it_resolved() -> None:
    evaluator = only("error_rate", clear_s=1.0)
    first = evaluator.evaluate(sample(0.0, error_rate=0.2))
    assert evaluator.evaluate(sample(1.0, error_rate=0.0)) == []
    assert evaluator.evaluate(sample(2.0, error_rate=0.2)) == []  # back out: still the same
    assert evaluator.firing["error_rate", "critical"].alert_id == first[0].alert_id
    evaluator.evaluate(sample(3.0, error_rate=0.0))
    resolved = evaluator.evaluate(sample(4.0, error_rate=0.0))
    assert [r.alert_id for r in resolved] == [first[0].alert_id]
    again = evaluator.evaluate(sample(5.0, error_rate=0.2))
    assert [a.alert_id for a in again] != [first[0].alert_id]


def test_for_s_ignores_a_single_noisy_sample() -> None:
    evaluator = only("latency_p99", for_s=1.0)
    series = [sample(float(t), p99_ms=v) for t, v in enumerate([20, 1200, 20, 20, 1200, 1300])]
    assert run(evaluator, series) == [(5.0, "fired", "latency_p99", "high")]


def test_a_slower_lower_severity_stays_inhibited() -> None:
    # The default timing: latency medium needs 2 s, high fires at once.
    evaluator = AlertEvaluator(r for r in PLAYBOOK_RULES if r.name == "latency_p99")
    series = [sample(float(t), p99_ms=1500.0) for t in range(5)]
    assert run(evaluator, series) == [(0.0, "fired", "latency_p99", "high")]
    assert set(evaluator.raw_firing) == {("latency_p99", "high"), ("latency_p99", "medium")}


def test_for_s_tolerates_tick_jitter() -> None:
    evaluator = only("latency_p99", for_s=1.0)
    evaluator.evaluate(sample(10.0, p99_ms=1200.0))
    assert len(evaluator.evaluate(sample(10.98, p99_ms=1200.0))) == 1
    assert set(evaluator.raw_firing) == {("latency_p99", "high"), ("latency_p99", "medium")}


def test_no_data_fires_nothing_and_breaks_a_pending_breach() -> None:
    evaluator = only("error_rate", for_s=1.0)
    assert run(evaluator, error_series([None, None, 0.5, None, 0.5, None])) == []
    assert evaluator.firing == {}


def test_no_data_neither_resolves_nor_confirms_recovery() -> None:
    evaluator = only("error_rate", clear_s=2.0)
    changes = run(evaluator, error_series([0.5, 0.0, None, 0.0, None, None, 0.0, 0.0, 0.0]))
    # Recovery has to be seen for 2 s in a row: t=6, 7, 8; every severity resolves at
    # once, so the critical alert resolves and nothing lower shows in between.
    assert changes == [
        (0.0, "fired", "error_rate", "critical"),
        (8.0, "resolved", "error_rate", "critical"),
    ]


def test_availability_fires_below_and_resolves_above() -> None:
    evaluator = only("availability", clear_s=2.0)
    series = [
        sample(float(t), availability=a) for t, a in enumerate([1.0, 0.5, 0.0, 1.0, 1.0, 1.0])
    ]
    assert run(evaluator, series) == [
        (1.0, "fired", "availability", "critical"),
        (5.0, "resolved", "availability", "critical"),
    ]


def test_event_data_follows_the_event_contract() -> None:
    evaluator = only("error_rate", clear_s=0.0)
    firing = evaluator.evaluate(sample(0.0, error_rate=0.12))[0]
    assert isinstance(firing, AlertFiring)
    assert firing.event_data() == {
        "alert_id": firing.alert_id,
        "name": "error_rate",
        "severity": "critical",
        "sli": "error_rate",
        "value": 0.12,
        "threshold": 0.1,
    }
    resolved = evaluator.evaluate(sample(1.0, error_rate=0.0))[0]
    assert isinstance(resolved, AlertResolved)
    assert resolved.event_data() == {
        "alert_id": firing.alert_id,
        "name": "error_rate",
        "severity": "critical",
        "reason": "cleared",
    }


def test_inhibited_event_data_names_the_alert_that_inhibits_it() -> None:
    evaluator = only("error_rate")
    medium = evaluator.evaluate(sample(0.0, error_rate=0.03))[0]
    critical, ended = evaluator.evaluate(sample(1.0, error_rate=0.2))
    assert isinstance(ended, AlertResolved)
    assert ended.event_data() == {
        "alert_id": medium.alert_id,
        "name": "error_rate",
        "severity": "medium",
        "reason": "inhibited",
        "inhibited_by": critical.alert_id,
    }


def test_resolve_all_ends_every_firing_alert() -> None:
    evaluator = AlertEvaluator(PLAYBOOK_RULES, id_prefix="drill7:")
    fired = evaluator.evaluate(sample(0.0, error_rate=0.5, availability=0.0))
    assert all(f.alert_id.startswith("drill7:") for f in fired)
    resolved = evaluator.resolve_all(1.0)
    assert {r.alert_id for r in resolved} == {f.alert_id for f in fired}
    assert {r.reason for r in resolved} == {"stopped"}
    assert evaluator.firing == {} and evaluator.raw_firing == {}
    assert evaluator.evaluate(sample(2.0)) == []
