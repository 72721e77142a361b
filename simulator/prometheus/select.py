"""Which detector a drill uses: `--detector builtin|prometheus [--rules FILE]
[--prometheus-url URL]`, as one function the CLI commands call.

    factory = detector_factory(detector, rules_file, prometheus_url)  # None: builtin
    DrillOptions(..., detector_factory=factory)

Everything a user can get wrong (no prometheus binary, a rules file
Prometheus refuses, --rules without --detector prometheus) is a
PrometheusError (a ValueError, so `user_errors` prints one sentence) raised
here, before the drill starts anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scoring.playbook import Playbook
from simulator.drill.detectors import DetectorFactory, DetectorLike
from simulator.prometheus.detector import ExtraAlertmanager, PrometheusDetector
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.query_slis import PrometheusSlis
from simulator.prometheus.remote import RemotePrometheusDetector
from simulator.prometheus.servers import check_rules, find_binary
from simulator.prometheus.sli_queries import SliQuery

# Makes a team's own Alertmanager for one drill, on the drill's clock.
TeamFactory = Callable[[Callable[[], float]], ExtraAlertmanager]


def _builtin(
    rules_file: Path | None,
    prometheus_url: str | None,
    team: TeamFactory | None,
    queried_slis: bool = False,
    sli_queries: list[SliQuery] | None = None,
) -> DetectorFactory | None:
    if team is not None:
        raise PrometheusError("--alertmanager-config needs --detector prometheus")
    if rules_file is not None or prometheus_url is not None:
        raise PrometheusError("--rules and --prometheus-url need --detector prometheus")
    return None  # the engine's default


def _prometheus(
    rules_file: Path | None,
    prometheus_url: str | None,
    team: TeamFactory | None,
    queried_slis: bool = False,
    sli_queries: list[SliQuery] | None = None,
) -> DetectorFactory:
    if prometheus_url is not None:
        if team is not None:
            raise PrometheusError(
                "--alertmanager-config runs the team's config beside the drill's own "
                "Prometheus; it cannot be used with --prometheus-url"
            )
        if rules_file is not None:
            raise PrometheusError(
                "--rules is for the drill's own Prometheus; with --prometheus-url the rules "
                "are the ones that Prometheus already loads"
            )
        url = prometheus_url

        def remote(shop_url: str, playbook: Playbook, clock: Callable[[], float]) -> DetectorLike:
            # A target in a cluster: its SLIs are that Prometheus's, queried.
            samples = PrometheusSlis(url, clock, queries=sli_queries) if queried_slis else None
            detector = RemotePrometheusDetector(
                shop_url, playbook, clock, prometheus_url=url, sample_detector=samples
            )
            detector.launch()  # is it there? (bounded, one sentence if not)
            return detector

        return remote
    find_binary("prometheus")
    find_binary("alertmanager")
    if rules_file is not None:
        if not rules_file.is_file():
            raise PrometheusError(f"--rules {rules_file}: no such file")
        check_rules(rules_file)

    def managed(shop_url: str, playbook: Playbook, clock: Callable[[], float]) -> DetectorLike:
        extra = team(clock) if team is not None else None
        detector = PrometheusDetector(shop_url, playbook, clock, rules_file=rules_file, extra=extra)
        detector.launch()  # blocking ~1 s; fails with one sentence, nothing left running
        return detector

    return managed


DETECTORS: dict[
    str,
    Callable[
        [Path | None, str | None, TeamFactory | None, bool, list[SliQuery] | None],
        DetectorFactory | None,
    ],
] = {
    "builtin": _builtin,
    "prometheus": _prometheus,
}


def detector_factory(
    kind: str,
    rules_file: Path | None = None,
    prometheus_url: str | None = None,
    team: TeamFactory | None = None,
    queried_slis: bool = False,
    sli_queries: list[SliQuery] | None = None,
) -> DetectorFactory | None:
    """The DrillOptions.detector_factory for `--detector kind` (None: the builtin one);
    `team` adds a team's own Alertmanager beside the engine's (`--alertmanager-config`);
    `queried_slis` takes the SLIs from the --prometheus-url's query API too (a target
    this host cannot scrape), with `sli_queries` (sli_queries.resolve; default the shop's),
    each checked when the drill starts the detector, before any fault."""
    if kind not in DETECTORS:
        raise PrometheusError(f"unknown detector {kind!r}; known: {', '.join(DETECTORS)}")
    return DETECTORS[kind](rules_file, prometheus_url, team, queried_slis, sli_queries)
