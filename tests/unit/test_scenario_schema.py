"""The published JSON Schemas match the models and accept the files we ship."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from simulator.scenario.schema import REGENERATE, SCHEMA_FILES, render

REPO = Path(__file__).resolve().parents[2]
LIBRARY = REPO / "scenarios"


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_committed_schema_is_up_to_date(name: str) -> None:
    committed = (LIBRARY / name).read_text(encoding="utf-8")
    assert committed == render(name), (
        f"scenarios/{name} is out of date with the models; regenerate it with: {REGENERATE}"
    )


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((LIBRARY / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_scenario_schema_accepts_the_library_and_rejects_typos() -> None:
    validator = jsonschema.Draft202012Validator(_schema("scenario.schema.json"))
    files = sorted(LIBRARY.glob("*.yaml"))
    assert files
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], f"{path.name}: {errors}"
        broken = {**document, "faults": [{**document["faults"][0], "kind": "db.lok"}]}
        assert not validator.is_valid(broken)
        assert not validator.is_valid({**document, "briefng": "typo"})
        assert not validator.is_valid({**document, "time_limit_s": "3 minutes"})


def test_playbook_schema_accepts_the_playbook_and_rejects_unknown_teams() -> None:
    validator = jsonschema.Draft202012Validator(_schema("playbook.schema.json"))
    document = yaml.safe_load((REPO / "playbook.yaml").read_text(encoding="utf-8"))
    assert [e.message for e in validator.iter_errors(document)] == []
    assert not validator.is_valid({**document, "routing": {"database": "dbas"}})
