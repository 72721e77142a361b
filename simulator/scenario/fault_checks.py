"""A scenario's faults against what injection will refuse, checked before anything starts.

Injection (simulator/faults/manager.py) refuses a TTL out of bounds, params its
kind's model rejects, a kind the environment's database or backend cannot serve,
and a second fault on something one fault holds alone (two locks on one table).
Each of those here is a located problem of the scenario, so `scenarios validate`
says it rather than a drill failing after the environment and the load are up.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from scoring.durations import format_duration
from scoring.playbook import Loc
from simulator.faults.base import FaultParams
from simulator.faults.limits import DRILL_TTL_MARGIN_S, MAX_TTL_S, ttl_problem
from simulator.faults.registry import REGISTRY, has_form, param_problem, parse_params
from simulator.platform.registry import NAMES
from simulator.scenario.model import Fault, Scenario

__all__ = ["fault_problems", "overlap_problems"]

_DATABASES = {"sqlite": ("sqlite",), "postgres": ("postgres",), "any": ("sqlite", "postgres")}
_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def fault_problems(scenario: Scenario, index: int) -> Iterator[tuple[Loc, str]]:
    """What injection would refuse about faults[index], each at its location."""
    fault = scenario.faults[index]
    at: Loc = ("faults", index)
    if fault.ttl_s is not None:
        problem = ttl_problem(fault.ttl_s)
        if problem:
            yield (*at, "ttl"), problem
    elif scenario.ttl_s_of(fault) > MAX_TTL_S:
        yield (
            at,
            f"without a ttl the fault gets time_limit_s + {DRILL_TTL_MARGIN_S:g}s"
            f" ({format_duration(scenario.ttl_s_of(fault))}), longer than the"
            f" {format_duration(MAX_TTL_S)} injection allows; shorten time_limit_s",
        )
    if fault.until == "duration" and fault.duration_s is not None:
        end = fault.at_s + fault.duration_s
        if end > scenario.time_limit_s:
            yield (
                (*at, "duration"),
                f"the fault would end at {format_duration(end)}, after time_limit_s"
                f" ({format_duration(scenario.time_limit_s)}) ends the drill; shorten the"
                " duration or raise time_limit_s",
            )
    params = _typed(scenario, index)
    if params is None:
        yield from _param_problems(scenario, index)
        return
    kind = REGISTRY[fault.kind]
    if kind.needs_own_cluster and not scenario.target.own_cluster:
        yield (
            (*at, "kind"),
            f"{fault.kind} acts on the drill's own PostgreSQL cluster; set target.own_cluster:"
            " true (with database: postgres and backend: local)",
        )
    wanted = _DATABASES[scenario.target.database]
    missing = [db for db in wanted if db not in kind.databases(params)]
    if missing:
        needs = " or ".join(_NAMES[db] for db in sorted(kind.databases(params)))
        yield (
            (*at, "kind"),
            f"{fault.kind} acts only on {needs}, and target.database is"
            f" {scenario.target.database}, so a drill on {_NAMES[missing[0]]} would refuse it"
            f" after starting; set target.database to"
            f" {' or '.join(sorted(kind.databases(params))) or 'another kind'}",
        )


def _backends(scenario: Scenario, fault: Fault) -> list[str]:
    # `any` (the default) means "wherever the kind can act": a kind the docker stack
    # cannot express makes the scenario local-only, not invalid.
    if scenario.target.backend != "any":
        return [scenario.target.backend]
    return [name for name in NAMES if has_form(fault.kind, name)]


def _param_problems(scenario: Scenario, index: int) -> Iterator[tuple[Loc, str]]:
    fault = scenario.faults[index]
    backends = _backends(scenario, fault)
    for backend in backends:
        problem = param_problem(fault.kind, dict(fault.params), backend)
        if problem is None:
            continue
        field, message = problem
        if len(backends) > 1 and backend != backends[0]:
            message = f"on the {backend} backend, {message}; or set target.backend: local"
        # No parameter at fault: the kind itself cannot act there.
        loc: Loc = ("faults", index, "params", field) if field else ("faults", index, "kind")
        yield loc, message
        return


def _typed(scenario: Scenario, index: int) -> FaultParams | None:
    """The fault's params as its kind's model, or None if some backend refuses them."""
    fault = scenario.faults[index]
    for backend in _backends(scenario, fault):
        if param_problem(fault.kind, dict(fault.params), backend) is not None:
            return None
    return parse_params(REGISTRY[fault.kind], dict(fault.params))


def overlap_problems(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    """Two faults that may be active at once and hold the same thing alone."""
    faults = scenario.faults
    for later in range(len(faults)):
        for earlier in range(later):
            held = _shared(scenario, earlier, later)
            if held is not None and _overlap(scenario, faults[earlier], faults[later]):
                yield (
                    ("faults", later),
                    f"this {faults[later].kind} and faults[{earlier}] ({faults[earlier].kind})"
                    f" may be active at once, and both need {held}, which only one fault can"
                    " hold; drop one, or end the first with until: duration before the"
                    " second's at",
                )
                return


def _shared(scenario: Scenario, first: int, second: int) -> str | None:
    one, two = _typed(scenario, first), _typed(scenario, second)
    if one is None or two is None:
        return None  # reported by fault_problems
    kind_one = REGISTRY[scenario.faults[first].kind]
    kind_two = REGISTRY[scenario.faults[second].kind]
    for database in _DATABASES[scenario.target.database]:
        held = kind_one.exclusive(one, database)
        if held is not None and held == kind_two.exclusive(two, database):
            return held
    return None


def _overlap(scenario: Scenario, one: Fault, two: Fault) -> bool:
    def window(fault: Fault) -> tuple[float, float]:
        lasts = fault.duration_s if fault.until == "duration" and fault.duration_s else math.inf
        return fault.at_s, fault.at_s + min(lasts, scenario.ttl_s_of(fault))

    (start_one, end_one), (start_two, end_two) = window(one), window(two)
    return start_one < end_two and start_two < end_one
