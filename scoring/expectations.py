"""A scenario's answer key: what a good response detects, declares, routes and fixes.

Scoring compares the event log against `Expectations`. Trainees never see it during a
drill; it is written to the log as `answer_key.revealed` only after the drill ends.

Remediations are action names from `scoring.names.REMEDIATIONS`, optionally with one
argument after a colon: `feature.disable:recommendations` accepts only that feature,
`feature.disable` accepts any.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from scoring.durations import PositiveDuration
from scoring.names import ALERT_SEVERITIES, EXPECTABLE_ALERTS, REMEDIATIONS
from scoring.playbook import SeverityId, TeamName, YamlModel, enum_schema, known, suggestion

__all__ = [
    "AlertName",
    "Expectations",
    "ExpectedAlert",
    "RemediationRef",
    "parse_remediation",
]

AlertName = Annotated[
    str, AfterValidator(known("alert", EXPECTABLE_ALERTS)), enum_schema(EXPECTABLE_ALERTS)
]
AlertSeverityName = Annotated[
    str, AfterValidator(known("alert severity", ALERT_SEVERITIES)), enum_schema(ALERT_SEVERITIES)
]


def parse_remediation(ref: str) -> tuple[str, str | None]:
    """'feature.disable:recommendations' -> ('feature.disable', 'recommendations')."""
    action, colon, argument = ref.partition(":")
    return action.strip(), (argument.strip() or None) if colon else None


def _check_remediation(ref: str) -> str:
    action, argument = parse_remediation(ref)
    if action not in REMEDIATIONS:
        raise ValueError(f"unknown remediation {action!r}{suggestion(action, REMEDIATIONS)}")
    if ":" in ref and argument is None:
        raise ValueError(f"{ref!r} has an empty argument after ':'; write e.g. {action}:NAME")
    return ref


RemediationRef = Annotated[
    str,
    AfterValidator(_check_remediation),
    Field(
        json_schema_extra={
            "pattern": "^("
            + "|".join(name.replace(".", r"\.") for name in REMEDIATIONS)
            + ")(:.+)?$"
        }
    ),
]


class ExpectedAlert(YamlModel):
    """An alert that must fire, at this severity or worse, within `within_s` of the fault."""

    name: AlertName
    severity: AlertSeverityName
    within_s: PositiveDuration = Field(validation_alias="within")


class Expectations(YamlModel):
    """The answer key of a scenario (the `expected:` block)."""

    alerts: list[ExpectedAlert] = Field(default_factory=list)
    severity: SeverityId
    team: TeamName
    root_cause: str = Field(min_length=1)
    root_cause_area: str = Field(min_length=1)
    remediations: list[RemediationRef] = Field(default_factory=list)
    harmful: list[RemediationRef] = Field(default_factory=list)

    @field_validator("root_cause_area")
    @classmethod
    def _known_area(cls, area: str, info: ValidationInfo) -> str:
        # The loader passes the playbook's routing as context; without it any area goes.
        routing = (info.context or {}).get("routing")
        if routing is not None:
            known("root cause area (a key of the playbook's routing)", sorted(routing))(area)
        return area

    @field_validator("harmful")
    @classmethod
    def _not_accepted(cls, harmful: list[str], info: ValidationInfo) -> list[str]:
        accepted = set(info.data.get("remediations") or ())
        for ref in harmful:
            if ref in accepted:
                raise ValueError(f"{ref!r} is listed both as a remediation and as harmful")
        return harmful

    def accepts(self, action: str, argument: str | None = None) -> bool:
        """Whether executing `action` (with `argument`) is one of the accepted fixes."""
        return _matches(self.remediations, action, argument)

    def is_harmful(self, action: str, argument: str | None = None) -> bool:
        """Whether the answer key names this action as making things worse or wasting time."""
        return _matches(self.harmful, action, argument)


def _matches(refs: list[str], action: str, argument: str | None) -> bool:
    for ref in refs:
        want_action, want_argument = parse_remediation(ref)
        if want_action == action and want_argument in (None, argument):
            return True
    return False
