"""An import-linter contract: no module of a package imports itself back.

import-linter's own `acyclic_siblings` squashes each subpackage into one node, so it
also flags packages that merely use each other in both directions through unrelated
modules; issue 12 asks for no import circles between modules, which is what
`python3 ../shared/hooks/import_cycles.py . simulator` lists. Loaded by
`lint-imports` through `contract_types` in pyproject.toml.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def circles(graph: ImportGraph, package: str) -> list[list[str]]:
    """The strongly connected sets of modules under `package` with more than one member."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    inside = set(modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & inside) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(root: str) -> None:
        # Tarjan's algorithm, iterative so deep chains do not hit the recursion limit.
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if i < len(targets):
                work.append((node, i + 1))
                nxt = targets[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    members.append(top)
                    if top == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))

    for module in modules:
        if module not in index:
            visit(module)
    return sorted(found)


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        found = [c for p in self.packages for c in circles(graph, str(p))]  # type: ignore[attr-defined]
        return ContractCheck(kept=not found, warnings=[], metadata={"circles": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for members in check.metadata["circles"]:
            output.print_error(f"Import circle: {' <-> '.join(members)}")
            output.new_line()
