"""The security alerts: canary use, unusual export volume per key, a failed-login surge.
Pure, no I/O.

`SecurityWindow` keeps the increases of the shop's `canary_token_used_total`
, `customer_export_rows_total{key_id}` and `login_failures_total{reason}` between
successive scrapes and adds three signals to each sample, over the playbook's
`security_alerts.window`:

- `canary_uses`: uses of a planted canary in the window (any is a breach);
- `export_ratio`: the highest export rate of a key in the window (rows / window)
  divided by that key's limit (`SecurityAlerts.export_limit`), and that key;
- `login_failure_rate`: failed logins per second in the window (every reason).

`security_rules` makes one rule per alert, at the playbook's severity and routed
to the team of `routing.security`, with the same conditions written as PromQL
for the exported rule file: `increase(...)` over the window, and per key the
rate divided by its limit (a key not listed in the playbook shares one limit).
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from simulator.detection.exposition import (
    CANARY_SAMPLE,
    EXPORT_ROWS_SAMPLE,
    LOGIN_FAILURES_SAMPLE,
    MetricsSnapshot,
)
from simulator.detection.rules import AlertRule, PlaybookLike, rules_from_playbook
from simulator.detection.samples import SliSample
from simulator.detection.sli import counter_increase, went_down

CANARY_ALERT = "canary_token_used"
EXPORT_ALERT = "export_volume"
CANARY_SLI = "canary_uses"
EXPORT_SLI = "export_ratio"
LOGIN_ALERT = "login_failure_surge"
LOGIN_SLI = "login_failure_rate"
SECURITY_AREA = "security"  # the playbook's routing area of these alerts


class SecuritySettings(Protocol):
    """The shape of `playbook.security_alerts` (`scoring.security_alerts.SecurityAlerts`)."""

    @property
    def canary_severity(self) -> str: ...
    @property
    def export_severity(self) -> str: ...
    @property
    def window_s(self) -> float: ...
    @property
    def export_normal_rows_per_s(self) -> Mapping[str, float]: ...
    @property
    def export_floor_rows_per_s(self) -> float: ...
    @property
    def login_severity(self) -> str: ...
    @property
    def login_failures_per_s(self) -> float: ...

    def export_limit(self, key_id: str) -> float: ...


class SecurityPlaybook(Protocol):
    @property
    def security_alerts(self) -> SecuritySettings: ...
    @property
    def routing(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class _Delta:
    end: float
    canary: float
    rows: dict[str, float]
    login_failures: float = 0.0


class SecurityWindow:
    """Adds `canary_uses` and `export_ratio` to each sample from the scrapes of its window."""

    def __init__(self, settings: SecuritySettings) -> None:
        self.settings = settings
        self._last: MetricsSnapshot | None = None
        self._deltas: deque[_Delta] = deque()

    def annotate(self, sample: SliSample, snapshot: MetricsSnapshot | None) -> SliSample:
        """`sample` with the security signals at its time (None: the scrape failed)."""
        if snapshot is None:
            return sample
        if self._last is not None and snapshot.t > self._last.t:
            previous = self._last
            # A restart resets every counter at once (see `sli.counter_increase`).
            restarted = (
                went_down(previous.requests, snapshot.requests)
                or went_down(previous.export_rows, snapshot.export_rows)
                or went_down(previous.login_failures, snapshot.login_failures)
            )
            canary = counter_increase(previous.canary, snapshot.canary, restarted=restarted)
            rows = counter_increase(previous.export_rows, snapshot.export_rows, restarted=restarted)
            failures = counter_increase(
                previous.login_failures, snapshot.login_failures, restarted=restarted
            )
            self._deltas.append(
                _Delta(snapshot.t, sum(canary.values()), rows, sum(failures.values()))
            )
        self._last = snapshot
        window = self.settings.window_s
        while self._deltas and self._deltas[0].end <= sample.t - window:
            self._deltas.popleft()
        uses = sum(d.canary for d in self._deltas)
        failed = sum(d.login_failures for d in self._deltas)
        per_key: dict[str, float] = {}
        for delta in self._deltas:
            for key_id, count in delta.rows.items():
                per_key[key_id] = per_key.get(key_id, 0.0) + count
        # Rows in the window over the whole window: a key is not "fast" for one page.
        ratios = {k: rows / window / self.settings.export_limit(k) for k, rows in per_key.items()}
        worst = max(ratios, key=lambda k: ratios[k], default=None)
        return replace(
            sample,
            canary_uses=uses,
            export_ratio=0.0 if worst is None else ratios[worst],
            export_key=worst,
            login_failure_rate=failed / window,
        )


def _duration(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def _quoted(value: str) -> str:
    """A PromQL double-quoted string (its escapes are Go's, which JSON's are a subset of)."""
    return json.dumps(value)


def canary_promql(settings: SecuritySettings) -> str:
    window = _duration(settings.window_s)
    return f"sum(increase({CANARY_SAMPLE}[{window}])) > 0"


def export_promql(settings: SecuritySettings) -> str:
    """Per key: rate over the window / the key's limit > 1 (one alert series per key)."""
    window = _duration(settings.window_s)

    def rate(selector: str) -> str:
        return f"sum by (key_id) (rate({EXPORT_ROWS_SAMPLE}{{{selector}}}[{window}]))"

    listed = sorted(settings.export_normal_rows_per_s)
    parts = [f"{rate(f'key_id={_quoted(k)}')} / {settings.export_limit(k):g}" for k in listed]
    others = f"key_id!~{_quoted('|'.join(re.escape(k) for k in listed))}" if listed else ""
    parts.append(f"{rate(others)} / {settings.export_floor_rows_per_s:g}")
    return "(" + " or ".join(parts) + ") > 1"


def login_promql(settings: SecuritySettings) -> str:
    window = _duration(settings.window_s)
    limit = f"{settings.login_failures_per_s:g}"
    return f"sum(rate({LOGIN_FAILURES_SAMPLE}[{window}])) > {limit}"


def security_rules(playbook: SecurityPlaybook) -> list[AlertRule]:
    """The three security rules of a loaded playbook, routed to its security team."""
    settings = playbook.security_alerts
    team = playbook.routing.get(SECURITY_AREA)
    return [
        AlertRule(
            name=CANARY_ALERT,
            sli=CANARY_SLI,
            op=">",
            threshold=0.0,
            severity=settings.canary_severity,
            team=team,
            promql=canary_promql(settings),
        ),
        AlertRule(
            name=EXPORT_ALERT,
            sli=EXPORT_SLI,
            op=">",
            threshold=1.0,
            severity=settings.export_severity,
            team=team,
            promql=export_promql(settings),
        ),
        AlertRule(
            name=LOGIN_ALERT,
            sli=LOGIN_SLI,
            op=">",
            threshold=settings.login_failures_per_s,
            severity=settings.login_severity,
            team=team,
            promql=login_promql(settings),
        ),
    ]


class AlertPlaybook(PlaybookLike, SecurityPlaybook, Protocol):
    """A playbook with SLI thresholds and security alerts (`scoring.playbook.Playbook`)."""


def alert_rules(playbook: AlertPlaybook) -> list[AlertRule]:
    """Every rule a drill's detector evaluates: the SLI alerts, then the security alerts."""
    return rules_from_playbook(playbook) + security_rules(playbook)
