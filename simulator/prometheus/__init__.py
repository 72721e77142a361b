"""The `prometheus` detector and the playbook's rules as Prometheus rule files.

- `rulefile`, `ruletest`, `export`: `chaosdrill rules export` (pure rendering;
  `promtool test rules` checks the result).
- `config`, `servers`: a drill's own Prometheus + Alertmanager (Debian's
  packages) as child processes on 127.0.0.1, 1 s scrape and evaluation.
- `webhook`, `tracker`: the engine's Alertmanager webhook endpoint and the
  mapping of deliveries to AlertFiring / AlertResolved.
- `detector` (managed servers), `remote` (`--prometheus-url`): DetectorLike
  implementations for `DrillOptions.detector_factory`.
- `select.detector_factory(kind, rules_file, prometheus_url, team)`: what the CLI calls;
  `team` adds a team's own Alertmanager (`simulator.teamalerting`) that Prometheus
  alerts beside the engine's. Every alert carries `drill="true"` (an external label).
- `teamrules.coverage_cases`: `verify --rules FILE` checks the file names every
  expected alert before any fault.
"""

from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.export import RULES_FILE, TEST_FILE, promtool_test, write_rules
from simulator.prometheus.rulefile import RuleFileOptions

__all__ = [
    "RULES_FILE",
    "TEST_FILE",
    "PrometheusError",
    "RuleFileOptions",
    "promtool_test",
    "write_rules",
]
