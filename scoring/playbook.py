"""The playbook's numbers (`playbook.yaml`): severities, targets, thresholds, routing, escalation.

Everything that scoring, the detector and the console measure against comes from
here, so teams can edit their playbook without touching code. `load_playbook`
validates the file and reports the first problem as one located sentence:
`playbook.yaml:42: thresholds.error_rate: critical (0.05) must be above high (0.1)`.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from scoring.durations import Duration, PositiveDuration
from scoring.names import ALERT_SEVERITIES, INCIDENT_STATUSES, SEVERITIES, TEAMS

__all__ = [
    "SCORING_CRITERIA",
    "EscalationStep",
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

# --- Reading YAML with line numbers (the scenario loader uses this too) ----------
# It lives here because scoring/ may not import simulator/ and both the playbook and
# the scenario loader need it; it is a candidate for its own module (yaml_source.py).

Loc = tuple[str | int, ...]


class YamlModel(BaseModel):
    """Base of the models read from YAML: unknown keys are errors, YAML may use short names."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )


def suggestion(value: str, choices: Sequence[str]) -> str:
    """ "; did you mean 'x'?" for a near miss, else the list of choices."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; expected one of {', '.join(choices)}"


def known(label: str, choices: Sequence[str]) -> Callable[[str], str]:
    """A validator that accepts only `choices` and suggests the nearest one otherwise."""

    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {label} {value!r}{suggestion(value, choices)}")
        return value

    return check


def enum_schema(choices: Sequence[str]) -> WithJsonSchema:
    """The JSON Schema of a name restricted to `choices` (for editors' completion)."""
    return WithJsonSchema({"type": "string", "enum": list(choices)})


@dataclass(frozen=True)
class LocatedYaml:
    """A parsed YAML document and the line of every key and list item (1-based)."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int:
        """The line of `loc`, or of its nearest recorded ancestor."""
        for end in range(len(loc), 0, -1):
            line = self.lines.get(loc[:end])
            if line is not None:
                return line
        return self.lines.get((), 1)


class _LineLoader(yaml.SafeLoader):
    """Safe loading; we walk its node tree for start marks before constructing."""


def load_located_yaml(path: Path, error: type[ValueError], *, what: str) -> LocatedYaml:
    """Parse a YAML file; syntax errors and duplicate keys raise `error` naming file:line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read the {what} file ({exc})") from None
    loader = _LineLoader(text)
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            _record(node, (), lines, path, error)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "syntax error"
        raise error(
            f"{path}:{line}: not valid YAML ({problem}); check indentation and quoting there"
        ) from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML ({exc})") from None
    finally:
        loader.dispose()
    return LocatedYaml(path, data, lines)


def _record(
    node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path, error: type[ValueError]
) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if len(loc) > 64:  # a recursive alias; nothing useful below
        return
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                raise error(
                    f"{path}:{line}: {field_path(loc) or 'top level'}: duplicate key {key!r}"
                    f" (first on line {seen[key]}); keep only one"
                )
            seen[key] = line
            lines[(*loc, key)] = line
            _record(value_node, (*loc, key), lines, path, error)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*loc, index)] = item.start_mark.line + 1
            _record(item, (*loc, index), lines, path, error)


def field_path(loc: Loc) -> str:
    """('faults', 0, 'kind') -> 'faults[0].kind'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe_validation_error(
    exc: ValidationError, located: LocatedYaml, model: type[BaseModel]
) -> str:
    """One sentence for the first problem in file order: 'file:line: field: what is wrong'."""
    # A missing field next to an unknown key is usually that key misspelt: report the
    # key (with its suggestion) first, then everything else in file order.
    problems = [_describe(error, located, model) for error in exc.errors(include_url=False)]
    _, line, text = min(problems)
    return f"{located.path}:{line}: {text}"


def _describe(error: Any, located: LocatedYaml, model: type[BaseModel]) -> tuple[bool, int, str]:
    loc = _data_loc(error["loc"], located.data)
    where = field_path(loc) or "top level"
    kind = error["type"]
    if kind == "missing":
        return True, located.line_of(loc), f"{where}: missing required field {error['loc'][-1]!r}"
    if kind == "extra_forbidden" and loc:
        parent, key = loc[:-1], str(loc[-1])
        allowed = _keys_at(model, parent)
        hint = suggestion(key, allowed) if allowed else ""
        text = f"{field_path(parent) or 'top level'}: unknown key {key!r}{hint}"
        return False, located.line_of(loc), text
    return False, located.line_of(loc), f"{where}: {_message(error)}"


def _message(error: Any) -> str:
    kind, ctx, shown = error["type"], error.get("ctx") or {}, _shown(error.get("input"))
    template = _MESSAGES.get(kind)
    if template is not None:
        return template.format(shown=shown, **ctx)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        value = str(error.get("input"))
        return f"unknown value {shown}{suggestion(value, choices)}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind not in ("value_error", "assertion_error"):
        message = message.replace("Input should be", "expected", 1)
        message = f"{message[:1].lower()}{message[1:]} (got {shown})"
    return message


# Plain sentences for pydantic's most common error types (its `ctx` fills the blanks).
_MESSAGES: dict[str, str] = {
    "too_short": "needs at least {min_length} item(s) (got {actual_length})",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "{shown} does not match the pattern {pattern}",
    "greater_than_equal": "must be at least {ge} (got {shown})",
    "greater_than": "must be greater than {gt} (got {shown})",
    "less_than_equal": "must be at most {le} (got {shown})",
    "less_than": "must be less than {lt} (got {shown})",
    "int_parsing": "expected a whole number (got {shown})",
    "int_from_float": "expected a whole number (got {shown})",
    "float_parsing": "expected a number (got {shown})",
    "bool_parsing": "expected true or false (got {shown})",
    "list_type": "expected a list (got {shown})",
    "dict_type": "expected a mapping of keys to values (got {shown})",
    "model_type": "expected a mapping of keys to values (got {shown})",
    "string_type": "expected text (got {shown})",
}


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "nothing" if value is None else repr(value)


def _data_loc(raw: Sequence[str | int], data: Any) -> Loc:
    # Keep the parts of pydantic's loc that index the document; drop its own steps
    # (union branches, "[key]") and a missing key, so the line is one the user wrote.
    kept: list[str | int] = []
    node = data
    for part in raw:
        if _indexes(node, part):
            kept.append(part)
            node = node[part]
    return tuple(kept)


def _indexes(node: Any, part: str | int) -> bool:
    if isinstance(node, Mapping):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model accepts at `loc` (for 'did you mean')."""
    current: Any = model
    for part in loc:
        current = _step(_strip(current), part)
    current = _strip(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [
            info.validation_alias if isinstance(info.validation_alias, str) else name
            for name, info in current.model_fields.items()
        ]
    return []


def _strip(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(arg for arg in typing.get_args(tp) if arg is not type(None))
        else:
            return tp


def _step(tp: Any, part: str | int) -> Any:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.validation_alias):
                return info.annotation
        return None
    origin = typing.get_origin(tp)
    if origin is list and isinstance(part, int):
        return typing.get_args(tp)[0]
    if origin is dict:
        return typing.get_args(tp)[1]
    return None


# --- The playbook ------------------------------------------------------------------

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
