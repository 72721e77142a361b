"""Scenarios: the drill library's YAML files as validated models.

`load_scenario(path)` returns a `Scenario` or raises `ScenarioError` (a ValueError)
whose message is one located sentence. Every fault is checked against what injection
would refuse (fault_checks.py); `check_params` adds a caller's own parameter check.
"""

from simulator.scenario.loader import (
    ParamCheck,
    ScenarioError,
    default_scenario_dir,
    duplicate_id_message,
    find_scenario,
    load_scenario,
    load_scenarios,
    scenario_files,
)
from simulator.scenario.model import Fault, Hint, Load, Scenario, SteadyState, Target

__all__ = [
    "Fault",
    "Hint",
    "Load",
    "ParamCheck",
    "Scenario",
    "ScenarioError",
    "SteadyState",
    "Target",
    "default_scenario_dir",
    "duplicate_id_message",
    "find_scenario",
    "load_scenario",
    "load_scenarios",
    "scenario_files",
]
