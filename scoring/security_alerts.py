"""The playbook's `security_alerts`: when a credential drill's alerts fire.

Three alerts, each at one severity, routed to the team `routing.security` names:

- `canary_token_used`: any use of a planted canary (the canary API key, the canary
  customer record) within `window`. No legitimate client ever touches one, so a
  single use is a confirmed breach.
- `export_volume`: a key exports customer records faster than it normally does.
  Each key's normal rate is in `export_normal_rows_per_s` (the partner's sync; a key
  not listed normally exports nothing); the alert fires when a key's rate over
  `window` is above `export_tolerance` times its normal rate plus
  `export_floor_rows_per_s`.
- `login_failure_surge`: failed customer logins (every reason) faster than
  `login_failures_per_s` over `window`. The load never fails a login, so a few per
  second is someone trying passwords: credential stuffing.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from scoring.durations import PositiveDuration
from scoring.names import ALERT_SEVERITIES
from scoring.yaml_source import YamlModel, enum_schema, known

__all__ = ["SecurityAlerts"]

_Severity = Annotated[
    str, AfterValidator(known("alert severity", ALERT_SEVERITIES)), enum_schema(ALERT_SEVERITIES)
]


class SecurityAlerts(YamlModel):
    """Severities and limits of the credential alerts (defaults: the shipped playbook)."""

    canary_severity: _Severity = "critical"
    export_severity: _Severity = "high"
    window_s: PositiveDuration = Field(default=10.0, validation_alias="window")
    # The partner's sync under a drill's load (20 users) averages about 40 rows/s.
    export_normal_rows_per_s: dict[str, Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: {"partner-acme": 40.0}
    )
    export_tolerance: float = Field(default=3.0, ge=1)
    export_floor_rows_per_s: float = Field(default=1.0, gt=0)
    login_severity: _Severity = "high"
    login_failures_per_s: float = Field(default=1.0, gt=0)

    def export_limit(self, key_id: str) -> float:
        """Rows per second `key_id` may export before its volume is unusual."""
        normal = self.export_normal_rows_per_s.get(key_id, 0.0)
        return self.export_tolerance * normal + self.export_floor_rows_per_s
