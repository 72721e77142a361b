"""Load scenario files: located errors, cross-field checks, lookup by id.

Every problem a scenario author can cause ends in one ScenarioError sentence that
names the file, the line and the field, e.g.
`scenarios/db-lock.yaml:14: faults[0].kind: unknown fault kind 'db.lok'; did you mean 'db.lock'?`
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scoring.expectations import parse_remediation
from scoring.playbook import (
    Loc,
    Playbook,
    PlaybookError,
    describe_validation_error,
    field_path,
    load_located_yaml,
    load_playbook,
)
from simulator.platform.names import NAMESPACED
from simulator.scenario.model import Scenario

__all__ = [
    "ParamCheck",
    "ScenarioError",
    "default_scenario_dir",
    "duplicate_id_message",
    "find_scenario",
    "load_scenario",
    "load_scenarios",
    "scenario_files",
]

ParamCheck = Callable[[str, dict[str, Any]], "str | None"]
"""(fault kind, params) -> an error sentence, or None if the params are fine.

The loader always checks each fault against the fault registry (params, TTL,
database, exclusive faults: see fault_checks.py); this hook adds a caller's own."""

SUFFIXES = (".yaml", ".yml")


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names file, line and field."""


def default_scenario_dir() -> Path:
    """scenarios/ in the working directory if present, else the repo's library."""
    local = Path.cwd() / "scenarios"
    return local if local.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


def load_scenario(
    path: Path | str,
    *,
    check_params: ParamCheck | None = None,
    playbook: Playbook | None = None,
) -> Scenario:
    """Read and validate one scenario file against the playbook (default: load_playbook())."""
    source = Path(path)
    located = load_located_yaml(source, ScenarioError, what="scenario")
    if not isinstance(located.data, Mapping):
        raise ScenarioError(f"{source}:1: a scenario must be a mapping (id, title, briefing, ...)")
    if playbook is None:
        try:
            playbook = load_playbook()
        except PlaybookError as exc:
            raise ScenarioError(f"cannot check {source} against the playbook: {exc}") from None
    context = {"routing": playbook.routing, "confirm_recovery_s": playbook.confirm_recovery_s}
    try:
        scenario = Scenario.model_validate(located.data, context=context)
    except ValidationError as exc:
        raise ScenarioError(describe_validation_error(exc, located, Scenario)) from None
    for loc, problem in _cross_checks(scenario, playbook, check_params):
        raise ScenarioError(f"{source}:{located.line_of(loc)}: {field_path(loc)}: {problem}")
    scenario._source = str(source)
    return scenario


def _cross_checks(
    scenario: Scenario, playbook: Playbook, check_params: ParamCheck | None
) -> Iterator[tuple[Loc, str]]:
    """Problems that involve more than one field, in file order, each with its location."""
    # Imported here: the fault registry loads every fault kind (and the docker ones),
    # which `playbook validate` does not need.
    from simulator.scenario.fault_checks import fault_problems, overlap_problems

    yield from _target_problems(scenario)
    limit = scenario.time_limit_s
    for index, fault in enumerate(scenario.faults):
        if fault.at_s >= limit:
            yield (
                ("faults", index, "at"),
                f"{fault.at_s:g}s is not before time_limit_s ({limit:g}s)",
            )
        if fault.until == "remediated" and fault.ttl_s is not None and fault.ttl_s < limit:
            yield (
                ("faults", index, "ttl"),
                f"ttl ({fault.ttl_s:g}s) is shorter than time_limit_s ({limit:g}s), so the fault"
                " would end by itself before the trainee fixes it; raise the ttl",
            )
        yield from fault_problems(scenario, index)
        if check_params is not None:
            problem = check_params(fault.kind, dict(fault.params))
            if problem:
                yield ("faults", index, "params"), problem
    yield from overlap_problems(scenario)
    expected = scenario.expected
    for index, alert in enumerate(expected.alerts):
        if alert.within_s > limit:
            yield (
                ("expected", "alerts", index, "within"),
                f"{alert.within_s:g}s is longer than time_limit_s ({limit:g}s)",
            )
    owner = playbook.routing.get(expected.root_cause_area)
    if owner is not None and owner != expected.team:
        yield (
            ("expected", "team"),
            f"the playbook routes '{expected.root_cause_area}' to '{owner}', not"
            f" '{expected.team}'; change the team or the root_cause_area",
        )
    if not expected.remediations and any(f.until == "remediated" for f in scenario.faults):
        yield (
            ("expected", "remediations"),
            "a fault lasts until remediated, so list at least one accepted remediation",
        )
    for index, ref in enumerate(expected.remediations):
        action, _ = parse_remediation(ref)
        if action in {parse_remediation(h)[0] for h in expected.harmful if ":" not in h}:
            yield ("expected", "remediations", index), f"{action!r} is also listed as harmful"
    for index, hint in enumerate(scenario.hints):
        if hint.after_s >= limit:
            yield ("hints", index, "after"), f"{hint.after_s:g}s is not before time_limit_s"


def _target_problems(scenario: Scenario) -> Iterator[tuple[Loc, str]]:
    """A team's own service as the target: named fully, and only on Kubernetes."""
    target = scenario.target
    if target.deployment is not None and target.namespace is None:
        yield ("target", "deployment"), "a team's Deployment needs its namespace; add namespace"
    if target.selector is not None and target.deployment is None:
        yield (
            ("target", "selector"),
            "selector picks pods of a team's own Deployment; add deployment (and namespace)",
        )
    named = [name for name in ("namespace", "deployment") if getattr(target, name) is not None]
    if named and target.backend not in NAMESPACED:
        yield (
            ("target", named[0]),
            f"{named[0]} names a team's service in a cluster; set target.backend: "
            f"{' or '.join(NAMESPACED)}",
        )
    if target.slis is not None and target.backend not in NAMESPACED:
        yield (  # elsewhere the SLIs are measured on this host, never queried
            ("target", "slis"),
            f"slis are queried from a cluster's Prometheus; set target.backend: "
            f"{' or '.join(NAMESPACED)}",
        )


def scenario_files(dir_or_files: Path | str | Iterable[Path | str]) -> list[Path]:
    """The scenario files of a directory (sorted) or the given files; directories expand."""
    items = [dir_or_files] if isinstance(dir_or_files, Path | str) else list(dir_or_files)
    files: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            files.extend(sorted(p for p in item.iterdir() if p.suffix in SUFFIXES))
        else:
            files.append(item)
    return files


def load_scenarios(
    dir_or_files: Path | str | Iterable[Path | str] | None = None,
    *,
    check_params: ParamCheck | None = None,
    playbook: Playbook | None = None,
) -> list[Scenario]:
    """Load many scenarios (default: the library); ids must be unique across them."""
    if playbook is None:
        try:
            playbook = load_playbook()
        except PlaybookError as exc:
            raise ScenarioError(f"cannot check scenarios against the playbook: {exc}") from None
    files = scenario_files(default_scenario_dir() if dir_or_files is None else dir_or_files)
    scenarios: list[Scenario] = []
    seen: dict[str, Path] = {}
    for path in files:
        scenario = load_scenario(path, check_params=check_params, playbook=playbook)
        if scenario.id in seen:
            raise ScenarioError(duplicate_id_message(path, scenario.id, seen[scenario.id]))
        seen[scenario.id] = path
        scenarios.append(scenario)
    return scenarios


def duplicate_id_message(path: Path, scenario_id: str, other: Path) -> str:
    """The located sentence for a second file that reuses an id."""
    line = load_located_yaml(path, ScenarioError, what="scenario").line_of(("id",))
    return (
        f"{path}:{line}: id: duplicate scenario id '{scenario_id}' (also in {other});"
        " every scenario needs its own id"
    )


def find_scenario(
    id_or_path: str | Path,
    *,
    directory: Path | None = None,
    check_params: ParamCheck | None = None,
    playbook: Playbook | None = None,
) -> Scenario:
    """A scenario by file path, or by id in the library (scenarios/ID.yaml, else any file)."""
    candidate = Path(id_or_path)
    if candidate.suffix in SUFFIXES or candidate.is_file():
        return load_scenario(candidate, check_params=check_params, playbook=playbook)
    wanted = str(id_or_path)
    library = directory or default_scenario_dir()
    for suffix in SUFFIXES:
        named = library / f"{wanted}{suffix}"
        if named.is_file():
            scenario = load_scenario(named, check_params=check_params, playbook=playbook)
            if scenario.id == wanted:
                return scenario
    for scenario in load_scenarios(library, check_params=check_params, playbook=playbook):
        if scenario.id == wanted:
            return scenario
    raise ScenarioError(
        f"no scenario with id '{wanted}' in {library}; `chaosdrill scenarios list` shows the ids"
    )
