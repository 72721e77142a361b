"""Fault kinds by name on a platform: look-up, parameter checks and conflicts.

The kinds themselves are each platform's (`simulator.platform`); the local ones and
third parties' entry points are `simulator.faults.catalog`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from simulator.faults import catalog
from simulator.faults.base import FaultKind, FaultParams
from simulator.faults.errors import BadParams, UnknownFault
from simulator.platform.registry import DEFAULT, NAMES, platform_for

REGISTRY = catalog.REGISTRY  # the local platform's kinds


def registry_for(backend: str) -> dict[str, FaultKind]:
    """Every kind by name as the platform called `backend` implements it."""
    return platform_for(backend).kinds()


def get_kind(name: str, backend: str = DEFAULT) -> FaultKind:
    """The kind called `name` as the given backend implements it."""
    registry = registry_for(backend)
    try:
        return registry[name]
    except KeyError:
        for other in NAMES:
            if name in registry_for(other):
                raise UnknownFault(
                    f"fault kind '{name}' exists only on the {other} backend; use --backend {other}"
                ) from None
        close = difflib.get_close_matches(name, registry, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UnknownFault(
            f"unknown fault kind '{name}'; {hint}`chaosdrill fault kinds` lists them"
        ) from None


def parse_params(kind: FaultKind, raw: dict[str, Any]) -> FaultParams:
    """Validate raw params (from YAML or `--param k=v`) into the kind's typed model."""
    try:
        return kind.params_model.model_validate(raw)
    except ValidationError as exc:
        raise BadParams(_describe(kind, exc)[1]) from None


def param_problem(
    kind_name: str, raw: dict[str, Any], backend: str = DEFAULT
) -> tuple[str | None, str] | None:
    """(the parameter at fault, or None; one sentence) if injection on `backend` would
    refuse this kind with these params, else None. Scenario validation asks this."""
    try:
        kind = get_kind(kind_name, backend)
    except UnknownFault as exc:
        return None, str(exc)
    refusal = platform_for(backend).refusal(kind_name)
    if refusal is not None:
        return None, refusal
    try:
        kind.params_model.model_validate(raw)
    except ValidationError as exc:
        return _describe(kind, exc)
    return None


def has_form(kind_name: str, backend: str) -> bool:
    """Whether `backend` can inject this kind at all (the docker stack lacks some)."""
    platform = platform_for(backend)
    return kind_name in platform.kinds() and platform.refusal(kind_name) is None


def _describe(kind: FaultKind, exc: ValidationError) -> tuple[str | None, str]:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    known = ", ".join(kind.params_model.model_fields) or "none"
    if first["type"] == "extra_forbidden":
        return field, f"{kind.name} has no parameter '{field}'; its parameters are: {known}"
    message = str(first["msg"]).removeprefix("Value error, ")
    message = f"{message[:1].lower()}{message[1:]} (got {first.get('input')!r})"
    return field, f"{kind.name} parameter '{field or 'params'}': {message}"


def check_params(kind_name: str, raw: dict[str, Any]) -> str | None:
    """The scenario loader's and the console's hook: an error sentence, or None if fine."""
    problem = param_problem(kind_name, raw)
    return None if problem is None else problem[1]


def conflict(
    kind: FaultKind,
    params: FaultParams,
    database: str,
    open_faults: Iterable[tuple[str, str, dict[str, Any]]],
    backend: str = DEFAULT,
) -> str | None:
    """Why this fault cannot start while the open faults (id, kind, params) are active:
    one of them already holds what it needs alone (`FaultKind.exclusive`). Else None."""
    held = kind.exclusive(params, database)
    if held is None:
        return None
    for fault_id, other_name, raw in open_faults:
        other = get_kind(other_name, backend)
        if other.exclusive(parse_params(other, raw), database) == held:
            return (
                f"fault {fault_id} ({other_name}) already holds {held}, which only one fault"
                f" can hold; revert it first (`chaosdrill fault revert {fault_id}`)"
            )
    return None
