"""The playbook's numbers (`playbook.yaml`): severities, targets, thresholds, routing, escalation.

Everything that scoring, the detector and the console measure against comes from
here, so teams can edit their playbook without touching code. `load_playbook`
validates the file and reports the first problem as one located sentence:
`playbook.yaml:42: thresholds.error_rate: critical (0.05) must be above high (0.1)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from scoring.durations import Duration, PositiveDuration
from scoring.names import ALERT_SEVERITIES, INCIDENT_STATUSES, NOTIFY_CHANNELS, SEVERITIES, TEAMS
from scoring.security_alerts import SecurityAlerts

# The YAML reader moved to scoring/yaml_source.py; these names are re-exported
# because the scenario loader, expectations and older callers import them from here.
from scoring.yaml_source import (
    Loc,
    LocatedYaml,
    YamlModel,
    describe_validation_error,
    enum_schema,
    field_path,
    known,
    load_located_yaml,
    suggestion,
)

__all__ = [
    "SCORING_CRITERIA",
    "EscalationStep",
    "Loc",
    "LocatedYaml",
    "Playbook",
    "PlaybookError",
    "ScoringConfig",
    "SeverityId",
    "SeverityLevel",
    "TeamName",
    "ThresholdLevels",
    "Thresholds",
    "YamlModel",
    "default_playbook_path",
    "describe_validation_error",
    "enum_schema",
    "field_path",
    "known",
    "load_located_yaml",
    "load_playbook",
    "suggestion",
]

# The scorecard's criteria; each is a scoring rule whose weight the playbook sets.
SCORING_CRITERIA: tuple[str, ...] = (
    "detection",
    "acknowledgement",
    "severity",
    "routing",
    "remediation",
    "recovery",
    "communication",
    "escalation",
    "resolution_discipline",
    "hints",
)
REQUIRED_UPDATE_FIELDS: tuple[str, ...] = ("incident_id", "severity", "status")

SeverityId = Annotated[str, AfterValidator(known("severity", SEVERITIES)), enum_schema(SEVERITIES)]
TeamName = Annotated[str, AfterValidator(known("team", TEAMS)), enum_schema(TEAMS)]
AlertSeverityName = Annotated[
    str, AfterValidator(known("alert severity", ALERT_SEVERITIES)), enum_schema(ALERT_SEVERITIES)
]
StatusName = Annotated[
    str, AfterValidator(known("incident status", INCIDENT_STATUSES)), enum_schema(INCIDENT_STATUSES)
]


class PlaybookError(ValueError):
    """A playbook file that cannot be used; the message names file, line and field."""


def _percent(value: Any) -> Any:
    # Teams write "10%" or 0.1; both mean the fraction 0.1.
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip()[:-1]
        try:
            return float(Decimal(number) / 100)  # Decimal: 99.9% is exactly 0.999
        except ArithmeticError:
            raise ValueError(f"{value!r} is not a percentage; write e.g. 5% or 0.05") from None
    return value


Level = Annotated[
    float,
    BeforeValidator(_percent),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"}]}
    ),
]


def _id_from_key(schema: dict[str, Any]) -> None:
    # In YAML the id is the severity's key (P0: {...}); writing it again is optional.
    schema["required"] = [name for name in schema.get("required", []) if name != "id"]


class SeverityLevel(YamlModel):
    """One row of the playbook's severity classification."""

    model_config = ConfigDict(**YamlModel.model_config, json_schema_extra=_id_from_key)

    id: SeverityId
    name: str = Field(min_length=1)
    label: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    definition: str = Field(min_length=1)
    response_time_s: PositiveDuration = Field(validation_alias="response_time")
    mttr_target_s: PositiveDuration | None = Field(default=None, validation_alias="mttr_target")
    mttd_target_s: PositiveDuration | None = Field(default=None, validation_alias="mttd_target")
    notification: str = Field(min_length=1)
    examples: list[str] = Field(default_factory=list)


class ThresholdLevels(YamlModel):
    """The values at which an SLI alert fires as critical, high and medium."""

    critical: Level
    high: Level
    medium: Level


class Thresholds(YamlModel):
    """Alert thresholds per SLI; error_rate and latency alert above, availability below."""

    error_rate: ThresholdLevels
    latency_p99_ms: ThresholdLevels
    availability: ThresholdLevels

    @field_validator("latency_p99_ms", mode="before")
    @classmethod
    def _no_percent_latency(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for level, number in value.items():
                if isinstance(number, str) and "%" in number:
                    raise ValueError(f"{level} is in milliseconds, not a percentage ({number!r})")
        return value

    @field_validator("error_rate", "availability")
    @classmethod
    def _fractions(cls, levels: ThresholdLevels) -> ThresholdLevels:
        for level in ("critical", "high", "medium"):
            value = getattr(levels, level)
            if not 0 < value < 1:
                raise ValueError(f"{level} must be a fraction between 0 and 1 or a percentage")
        return levels

    @field_validator("error_rate", "latency_p99_ms")
    @classmethod
    def _descending(cls, levels: ThresholdLevels) -> ThresholdLevels:
        if not levels.critical > levels.high > levels.medium:
            raise ValueError(
                f"alerts fire above these values, so critical ({levels.critical:g}) must be"
                f" above high ({levels.high:g}) and high above medium ({levels.medium:g})"
            )
        return levels

    @field_validator("availability")
    @classmethod
    def _ascending(cls, levels: ThresholdLevels) -> ThresholdLevels:
        if not levels.critical < levels.high < levels.medium:
            raise ValueError(
                f"alerts fire below these values, so critical ({levels.critical:g}) must be"
                f" below high ({levels.high:g}) and high below medium ({levels.medium:g})"
            )
        return levels


class EscalationStep(YamlModel):
    """One rung of the ladder; `after_s` counts from the previous step's page."""

    level: int = Field(ge=1)
    target: str = Field(min_length=1)
    after_s: Duration = Field(validation_alias="after")
    condition: Literal["unacknowledged", "unresolved"]
    # Empty means every severity; the CEO rung is for critical incidents only.
    severities: list[SeverityId] = Field(default_factory=list)


def _grades(value: Any) -> Any:
    # YAML writes `grades: {A: 90, B: 80, ...}`; the model keeps (min_points, grade), best first.
    if isinstance(value, Mapping):
        value = [(points, grade) for grade, points in value.items()]
    if isinstance(value, list):
        try:
            return sorted((tuple(item) for item in value), key=lambda pair: -float(pair[0]))
        except (TypeError, ValueError, IndexError):
            return value
    return value


class ScoringConfig(YamlModel):
    """Weights of the scorecard's criteria (sum 100) and the grade bands."""

    weights: dict[Annotated[str, AfterValidator(known("scoring criterion", SCORING_CRITERIA))], int]
    grades: Annotated[
        list[tuple[float, str]],
        BeforeValidator(_grades),
        WithJsonSchema(
            {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}}
        ),
    ]

    @field_validator("weights")
    @classmethod
    def _weights(cls, weights: dict[str, int]) -> dict[str, int]:
        for key, value in weights.items():
            if value < 0:
                raise ValueError(f"weight of {key!r} is negative ({value}); use 0 to disable it")
        missing = [name for name in SCORING_CRITERIA if name not in weights]
        if missing:
            raise ValueError(f"missing weight for {', '.join(missing)}; set 0 to disable one")
        total = sum(weights.values())
        if total != 100:
            raise ValueError(f"weights must sum to 100, these sum to {total}")
        return weights

    @field_validator("grades")
    @classmethod
    def _bands(cls, grades: list[tuple[float, str]]) -> list[tuple[float, str]]:
        if not grades or grades[-1][0] != 0:
            raise ValueError("the lowest grade must start at 0 points (e.g. F: 0)")
        if len({points for points, _ in grades}) != len(grades) or grades[0][0] > 100:
            raise ValueError("grade thresholds must be distinct and at most 100")
        return grades

    def grade_for(self, points: float) -> str:
        """The grade of a score: the best band whose minimum the points reach."""
        return next(grade for minimum, grade in self.grades if points >= minimum)


class DataLossTargets(YamlModel):
    """Recovery objectives for data loss: how much data (in time) may be lost for good
    (RPO) and how long until the restored data serves again (RTO)."""

    rpo_s: PositiveDuration = Field(default=300.0, validation_alias="rpo")
    rto_s: PositiveDuration = Field(default=3600.0, validation_alias="rto")


ChannelName = Annotated[
    str,
    AfterValidator(known("notification channel", NOTIFY_CHANNELS)),
    enum_schema(NOTIFY_CHANNELS),
]
Fraction = Annotated[Level, Field(ge=0, le=1)]


class FewUsers(YamlModel):
    """Errors that reach at most `at_most` of the customers seen are an edge case."""

    at_most: Fraction = 0.05
    severity: SeverityId = "P3"


class NotificationDeduction(YamlModel):
    """Share of the severity criterion lost for notifying the wrong audience."""

    over: Fraction = 0.3  # too loud: paging for a P3
    under: Fraction = 0.6  # too quiet: only a ticket for a P1


class Triage(YamlModel):
    """How measured impact maps to a severity, and who is told at each severity."""

    # "Performance degraded by X %": a route's median latency against the baseline
    # measured during steady state. Above p1_above: P1; from p2_from: P2; below: P3.
    p1_above: Fraction = Field(default=0.5, validation_alias="degradation_p1_above")
    p2_from: Fraction = Field(default=0.2, validation_alias="degradation_p2_from")
    users_with_errors_p1: Fraction = 0.5  # "50%+ of users experiencing errors"
    segment: SeverityId = "P2"  # errors confined to one segment of customers
    few_users: FewUsers = Field(default_factory=FewUsers)
    notification: dict[SeverityId, ChannelName] = Field(
        default_factory=lambda: {
            "P0": "page_all",
            "P1": "page_primary",
            "P2": "slack",
            "P3": "ticket",
        }
    )
    notification_deduction: NotificationDeduction = Field(default_factory=NotificationDeduction)

    @field_validator("p2_from")
    @classmethod
    def _below_p1(cls, value: float, info: Any) -> float:
        p1 = info.data.get("p1_above")
        if p1 is not None and value >= p1:
            raise ValueError(f"degradation_p2_from ({value}) must be below degradation_p1_above")
        return value

    @field_validator("notification")
    @classmethod
    def _every_severity(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [sid for sid in SEVERITIES if sid not in value]
        if missing:
            raise ValueError(
                f"name a notification for every severity; missing {', '.join(missing)}"
            )
        return value

    def band(self, degraded_pct: float) -> str:
        """The severity the playbook gives a performance degradation of `degraded_pct` %."""
        if degraded_pct > self.p1_above * 100:
            return "P1"
        if degraded_pct >= self.p2_from * 100:
            return "P2"
        return "P3"

    def band_text(self, degraded_pct: float) -> str:
        """'degraded by 35 %, in the 20-50 % band (P2)'."""
        low, high = round(self.p2_from * 100), round(self.p1_above * 100)
        band = self.band(degraded_pct)
        ranges = {"P1": f"over {high} %", "P2": f"{low}-{high} %", "P3": f"under {low} %"}
        return f"degraded by {degraded_pct:.0f} %, in the {ranges[band]} band ({band})"


class Playbook(YamlModel):
    """The whole playbook; see playbook.yaml for the meaning of every number."""

    severities: dict[SeverityId, SeverityLevel]
    alert_severity: dict[AlertSeverityName, SeverityId]
    thresholds: Thresholds
    routing: dict[str, TeamName]
    escalation: list[EscalationStep] = Field(min_length=1)
    update_template: list[str] = Field(min_length=1)
    statuses: list[StatusName] = Field(min_length=2)
    confirm_recovery_s: PositiveDuration = Field(validation_alias="confirm_recovery")
    escalation_rate_target: Annotated[Level, Field(ge=0, le=1)]
    scoring: ScoringConfig
    data_loss: DataLossTargets = Field(default_factory=DataLossTargets)
    # Optional: a playbook without it gets the shipped defaults.
    security_alerts: SecurityAlerts = Field(default_factory=SecurityAlerts)

    triage: Triage = Field(default_factory=Triage)

    @field_validator("severities", mode="before")
    @classmethod
    def _severity_ids(cls, value: Any) -> Any:
        # The mapping key is the id; an explicit `id:` must agree with it.
        if isinstance(value, Mapping):
            return {
                key: {"id": key, **body} if isinstance(body, Mapping) else body
                for key, body in value.items()
            }
        return value

    @field_validator("severities")
    @classmethod
    def _complete(cls, value: dict[str, SeverityLevel]) -> dict[str, SeverityLevel]:
        missing = [sid for sid in SEVERITIES if sid not in value]
        if missing:
            raise ValueError(f"every severity needs a definition; missing {', '.join(missing)}")
        for key, level in value.items():
            if level.id != key:
                raise ValueError(f"{key} has id {level.id!r}; the id must equal the key")
        times = [value[sid].response_time_s for sid in SEVERITIES]
        if times != sorted(times):
            raise ValueError("response times must not get shorter from P0 to P3")
        return value

    @field_validator("alert_severity")
    @classmethod
    def _all_alert_levels(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [name for name in ALERT_SEVERITIES if name not in value]
        if missing:
            raise ValueError(f"map every alert severity to P0-P3; missing {', '.join(missing)}")
        return value

    @field_validator("escalation")
    @classmethod
    def _ladder(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        levels = [step.level for step in steps]
        if levels != list(range(1, len(steps) + 1)):
            raise ValueError(f"levels must be 1, 2, 3 ... in order, found {levels}")
        return steps

    @field_validator("update_template")
    @classmethod
    def _template(cls, fields: list[str]) -> list[str]:
        if len(set(fields)) != len(fields):
            raise ValueError("each update template field may appear only once")
        for name in REQUIRED_UPDATE_FIELDS:
            if name not in fields:
                raise ValueError(f"the update template must contain {name!r}")
        return fields

    @field_validator("statuses")
    @classmethod
    def _lifecycle(cls, statuses: list[str]) -> list[str]:
        if (
            statuses[0] != "NEW"
            or statuses[-1] != "RESOLVED"
            or len(set(statuses)) != len(statuses)
        ):
            raise ValueError("statuses must be distinct, start with NEW and end with RESOLVED")
        return statuses

    def severity_for_alert(self, alert_severity: str) -> SeverityLevel:
        """The incident severity an alert of this level suggests (critical -> P0)."""
        return self.severities[self.alert_severity[alert_severity]]

    def escalation_schedule(self, severity: str) -> list[tuple[float, EscalationStep]]:
        """(seconds after the first page, step) for the rungs that apply to this severity."""
        elapsed = 0.0
        schedule: list[tuple[float, EscalationStep]] = []
        for step in self.escalation:
            elapsed += step.after_s
            if not step.severities or severity in step.severities:
                schedule.append((elapsed, step))
        return schedule


def default_playbook_path() -> Path:
    """playbook.yaml in the working directory if present, else the one at the repo root."""
    local = Path.cwd() / "playbook.yaml"
    return local if local.is_file() else Path(__file__).resolve().parents[1] / "playbook.yaml"


def load_playbook(path: Path | None = None) -> Playbook:
    """Read and validate a playbook; PlaybookError names file, line and field on failure."""
    source = Path(path) if path is not None else default_playbook_path()
    located = load_located_yaml(source, PlaybookError, what="playbook")
    if not isinstance(located.data, Mapping):
        raise PlaybookError(
            f"{source}:1: a playbook must be a mapping of sections (severities, ...)"
        )
    try:
        return Playbook.model_validate(located.data)
    except ValidationError as exc:
        raise PlaybookError(describe_validation_error(exc, located, Playbook)) from None
