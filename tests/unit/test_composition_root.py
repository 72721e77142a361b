"""One composition root: only simulator/drill/assemble.py builds a Drill or an Autopilot.

`run`, `verify`, the console and the tests get their drills from `assemble`, so a
drill is wired the same way (responder, notifiers, progress, results, exit code)
whoever starts it. Read from the source, so a second place that builds one fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "simulator" / "drill" / "assemble.py"
BUILT_ONLY_AT_THE_ROOT = {"Drill", "Autopilot"}


def _constructions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if isinstance(node.func, ast.Attribute):
                name = node.func.attr
            if name in BUILT_ONLY_AT_THE_ROOT:
                found.append(f"{path.relative_to(REPO)}:{node.lineno} builds {name}")
    return found


def test_only_the_composition_root_builds_drills() -> None:
    sources = [p for d in ("simulator", "tests", "bench") for p in (REPO / d).rglob("*.py")]
    assert len(sources) > 100
    elsewhere = [c for p in sources if p != ROOT for c in _constructions(p)]
    assert elsewhere == [], "build drills with simulator.drill.assemble.assemble"
    assert len(_constructions(ROOT)) == 2


def test_run_verify_and_the_console_use_the_root() -> None:
    for module in ("simulator/drill/run.py", "simulator/console/live.py"):
        assert "from simulator.drill.assemble import assemble" in (REPO / module).read_text()
