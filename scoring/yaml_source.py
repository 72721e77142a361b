"""Reading YAML with line numbers, and pydantic errors as one located sentence.

The playbook and the scenario loader both read YAML through `load_located_yaml`,
which records the line of every key and list item, and report the first
validation problem with `describe_validation_error`:
`scenarios/db-lock.yaml:14: faults[0].kind: unknown fault kind 'db.lok'; did you mean 'db.lock'?`
Hostile documents (alias bombs, deep nesting, huge files) are refused by the
guarded loader of scoring/yaml_guard.py, so every YAML input goes through here.
It sits in scoring/ because scoring/ may not import simulator/ and both need it.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, WithJsonSchema

from scoring.yaml_guard import (
    DEFAULT_LIMITS,
    YamlLimits,
    YamlRefused,
    guarded_loader,
    read_limited,
    too_deep,
)

__all__ = [
    "Loc",
    "LocatedYaml",
    "YamlLimits",
    "YamlModel",
    "describe_validation_error",
    "enum_schema",
    "field_path",
    "known",
    "load_located_yaml",
    "suggestion",
]

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


def load_located_yaml(
    path: Path,
    error: type[ValueError],
    *,
    what: str,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> LocatedYaml:
    """Parse a YAML file; syntax errors, duplicate keys and hostile documents (alias
    bombs, deep nesting, huge files: see yaml_guard) raise `error` naming file:line."""
    try:
        text = read_limited(path, limits)
    except FileNotFoundError:
        raise error(f"{path}: no such {what} file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read the {what} file ({exc})") from None
    except YamlRefused as exc:
        raise error(f"{path}: {exc.message}") from None
    loader = guarded_loader(text, limits)
    lines: dict[Loc, int] = {}
    try:
        node = loader.get_single_node()
        if node is not None:
            _record(node, (), lines, path, error)
        data = loader.construct_document(node) if node is not None else None
    except YamlRefused as exc:
        raise error(f"{path}:{exc.line}: {exc.message}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "syntax error"
        if "maximum nesting depth" in problem:  # libyaml stops deep nesting while scanning
            raise error(f"{path}:{line}: {too_deep(line, limits).message}") from None
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
    # The loader refused recursive aliases and bounded the expanded size and depth,
    # so this walk (which follows aliases) is bounded too.
    lines.setdefault(loc, node.start_mark.line + 1)
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
