"""The builtin detector: scrapes the target's metrics and probes it, computes SLIs
over short windows and evaluates the playbook's alert thresholds.

Pure parts (`exposition`, `quantile`, `sli`, `rules`, `alerts`, `inhibit`,
`transitions`, `promql`) do no I/O; `probes` and `detector` talk HTTP to the
target. An SLI has at most one alert firing, at its highest severity
(`inhibit`). In the engine:

    detector = BuiltinDetector(shop.url, rules_from_playbook(load_playbook()), clock=drill_clock)
    detector.add_listener(on_output)   # SliSample -> sli.sample, AlertFiring -> alert.firing,
    detector.start()                   # AlertResolved -> alert.resolved (each has event_data())
    ...
    await detector.stop()
"""

from simulator.detection.alerts import AlertEvaluator, AlertFiring, AlertResolved, AlertTransition
from simulator.detection.detector import INTERVAL_S, BuiltinDetector, DetectorOutput
from simulator.detection.exposition import MetricsSnapshot, parse_metrics
from simulator.detection.inhibit import Inhibitor
from simulator.detection.probes import DEFAULT_PROBES, ProbeSpec
from simulator.detection.promql import sli_expr
from simulator.detection.quantile import histogram_quantile
from simulator.detection.rules import (
    ALERT_SPECS,
    AlertRule,
    RuleTiming,
    rules_from_playbook,
    rules_from_thresholds,
)
from simulator.detection.samples import CheckResult, SliSample
from simulator.detection.sli import SliConfig, SliWindow

__all__ = [
    "ALERT_SPECS",
    "DEFAULT_PROBES",
    "INTERVAL_S",
    "AlertEvaluator",
    "AlertFiring",
    "AlertResolved",
    "AlertRule",
    "AlertTransition",
    "BuiltinDetector",
    "CheckResult",
    "DetectorOutput",
    "Inhibitor",
    "MetricsSnapshot",
    "ProbeSpec",
    "RuleTiming",
    "SliConfig",
    "SliSample",
    "SliWindow",
    "histogram_quantile",
    "parse_metrics",
    "rules_from_playbook",
    "rules_from_thresholds",
    "sli_expr",
]
