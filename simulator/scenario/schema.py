"""JSON Schemas of the scenario and playbook files, generated from the models.

Editors use them for completion and inline errors (`# yaml-language-server: $schema=...`).
Regenerate the committed copies with: `.venv/bin/python -m simulator.scenario.schema`
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scoring.playbook import Playbook
from simulator.scenario.model import Scenario

__all__ = ["REGENERATE", "SCHEMA_FILES", "playbook_schema", "render", "scenario_schema", "write"]

REGENERATE = ".venv/bin/python -m simulator.scenario.schema"
SCHEMA_FILES = {"scenario.schema.json": Scenario, "playbook.schema.json": Playbook}


def _schema(model: type[BaseModel], title: str) -> dict[str, Any]:
    body = model.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **body,
        "title": title,
        "$comment": f"Generated from {model.__module__}.{model.__name__}; run {REGENERATE}",
    }


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file."""
    return _schema(Scenario, "chaosdrill scenario")


def playbook_schema() -> dict[str, Any]:
    """The JSON Schema of playbook.yaml."""
    return _schema(Playbook, "chaosdrill playbook")


def render(name: str) -> str:
    """The exact text of a committed schema file."""
    schema = scenario_schema() if name == "scenario.schema.json" else playbook_schema()
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


def write(directory: Path) -> list[Path]:
    """Write both schema files into `directory` (the scenario library)."""
    written = []
    for name in SCHEMA_FILES:
        target = directory / name
        target.write_text(render(name), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":
    for path in write(Path(__file__).resolve().parents[2] / "scenarios"):
        print(f"wrote {path}")
