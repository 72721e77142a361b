"""The platform seam holds: backends side by side, no name branches, docker and kubernetes
behind their Platforms.

Each check reads the source of `simulator/` (the AST, not a regex, so a docstring
or a Locust process called "local" is not a hit) and fails on the first regression.
"""

from __future__ import annotations

import ast
from pathlib import Path

from simulator.docker.backend import DockerBackend
from simulator.env.backend import LocalBackend
from simulator.kubernetes.backend import KubernetesBackend
from simulator.platform.names import NAMES

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"
# Where a platform's name may decide something: the registry that maps names to
# platforms (and the names themselves), and the docker and kubernetes platforms' packages.
MAY_COMPARE = ("platform/", "docker/", "kubernetes/")
MAY_IMPORT_DOCKER = ("docker/", "platform/docker.py")
MAY_IMPORT_KUBERNETES = ("kubernetes/", "platform/kubernetes.py")


def _is_name(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_name(element) for element in node.elts)
    return False


def _is_literal(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "Literal") or (
        isinstance(node, ast.Attribute) and node.attr == "Literal"
    )


def name_branches(source: str) -> list[int]:
    """Lines that compare with a platform's name, key a table by one, or list names in
    a `Literal`: each a decision by name that belongs in the registry."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            hit = any(_is_name(operand) for operand in (node.left, *node.comparators))
        elif isinstance(node, ast.Dict):
            hit = any(key is not None and _is_name(key) for key in node.keys)
        elif isinstance(node, ast.MatchValue):
            hit = _is_name(node.value)
        elif isinstance(node, ast.Subscript) and _is_literal(node.value):
            hit = _is_name(node.slice) or (
                isinstance(node.slice, ast.Constant) and node.slice.value in NAMES
            )
        else:
            hit = False
        if hit:
            lines.append(node.lineno)
    return sorted(set(lines))


def docker_imports(source: str, package: str = "simulator.docker") -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            continue
        if any(n == package or n.startswith(f"{package}.") for n in names):
            lines.append(node.lineno)
    return lines


def _modules(exempt: tuple[str, ...], root: Path = SIMULATOR) -> list[tuple[str, str]]:
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if not relative.startswith(exempt):
            found.append((relative, path.read_text()))
    return found


def offenders(root: Path = SIMULATOR) -> list[str]:
    """simulator/<file>:<line> of every name branch outside the platform packages."""
    return [
        f"simulator/{relative}:{line}"
        for relative, source in _modules(MAY_COMPARE, root)
        for line in name_branches(source)
    ]


def test_the_check_sees_a_branch_on_a_platform_name() -> None:
    # The check itself: each form of a decision by name is a hit, a mere use is not.
    assert name_branches('if state.backend == "docker":\n    pass\n') == [1]
    assert name_branches('x = backend in ("local", "k8s")\n') == [1]
    assert name_branches('TABLE = {"local": 1}\n') == [1]
    assert name_branches('match b:\n    case "docker":\n        pass\n') == [2]
    assert name_branches('backend: Literal["local", "docker"] = "local"\n') == [1]
    assert name_branches('backend: str = "local"\nspawn("local", argv)\n"""docker"""\n') == []
    assert docker_imports("from simulator.docker.backend import DockerBackend\n") == [1]
    assert docker_imports("from simulator import docker\n") == [1]


def test_no_code_outside_the_platform_packages_branches_on_a_platform_name() -> None:
    found = offenders()
    assert found == [], (
        "these lines decide by a platform's name; ask simulator.platform.registry "
        f"(platform_for(name), a Platform attribute, NAMES) instead: {found}"
    )


def test_only_the_docker_platform_imports_the_docker_package() -> None:
    found = [
        f"simulator/{relative}:{line}"
        for relative, source in _modules(MAY_IMPORT_DOCKER)
        for line in docker_imports(source)
    ]
    assert found == [], f"reach docker through platform_for('docker'), not by import: {found}"


def test_only_the_kubernetes_platform_imports_the_kubernetes_package() -> None:
    found = [
        f"simulator/{relative}:{line}"
        for relative, source in _modules(MAY_IMPORT_KUBERNETES)
        for line in docker_imports(source, "simulator.kubernetes")
    ]
    assert found == [], (
        f"reach kubernetes through platform_for('kubernetes'), not by import: {found}"
    )


def test_no_backend_subclasses_another() -> None:
    backends = (LocalBackend, DockerBackend, KubernetesBackend)
    for one in backends:
        for other in backends:
            if one is not other:
                assert other not in one.__mro__
                # Only `object` in common: shared code is functions, not a base class.
                assert set(one.__mro__) & set(other.__mro__) == {object}
