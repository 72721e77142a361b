"""The layout rule: scoring/ is the pure core and never imports the engine (simulator/)."""

from __future__ import annotations

import ast
from pathlib import Path

SCORING = Path(__file__).resolve().parents[2] / "scoring"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_scoring_never_imports_the_engine() -> None:
    files = sorted(SCORING.rglob("*.py"))
    assert len(files) > 10
    offenders = {
        str(path.relative_to(SCORING)): sorted(
            m for m in imported_modules(path) if m.split(".")[0] in ("simulator", "locust")
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_templates_ship_with_the_package() -> None:
    names = {p.name for p in (SCORING / "templates").iterdir()}
    assert {"report.html.j2", "review.md.j2", "history.html.j2", "_style.css.j2"} <= names


def test_every_playbook_criterion_has_a_scoring_rule() -> None:
    from scoring.criteria import RULES
    from scoring.playbook import SCORING_CRITERIA

    assert set(RULES) == set(SCORING_CRITERIA)
    assert all(rule.label and rule.kind in ("team", "decision") for rule in RULES.values())
