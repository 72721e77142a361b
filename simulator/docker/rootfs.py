"""A small root filesystem made from this host's own files, for `docker import`.

No registry is reachable here, so the images tests run are made locally: the
shared libraries the host's Python (and the venv's extension modules) need, a
few tools an operator uses inside a container, and optionally Debian's
PostgreSQL binaries. Python and the venv themselves are bind-mounted read-only
at run time, so they are not copied.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

# Tools an operator expects in a container (`docker exec shop sh`, df, ls).
TOOLS = ("/bin/sh", "/bin/ls", "/bin/cat", "/bin/df", "/bin/sleep", "/bin/rm", "/bin/mkdir")
POSTGRES_BIN = ("postgres", "initdb", "pg_ctl", "pg_isready", "psql")
# Top-level links of Debian's merged /usr, copied as links.
MERGED_USR = ("bin", "sbin", "lib", "lib64")


class RootfsError(RuntimeError):
    """The host lacks something the image needs; the message names it."""


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


def elf_dependencies(files: Iterable[Path]) -> set[Path]:
    """Shared libraries (as ldd resolves them) of the given ELF files."""
    elves = [str(f) for f in files if f.is_file() and _is_elf(f)]
    found: set[Path] = set()
    for start in range(0, len(elves), 200):
        out = subprocess.run(
            ["ldd", *elves[start : start + 200]],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        ).stdout
        for line in out.splitlines():
            parts = line.split()
            if "=>" in parts:
                target = parts[parts.index("=>") + 1]
                if target.startswith("/"):
                    found.add(Path(target))
            elif parts and parts[0].startswith("/") and not parts[0].endswith(":"):
                found.add(Path(parts[0]))  # the dynamic loader itself
    return found


def _canonical(path: Path) -> Path:
    """The path with its directories resolved (so /lib/x -> /usr/lib/x), name kept."""
    return path.parent.resolve() / path.name


class RootfsBuilder:
    """Collects host paths and writes them, links kept, into an uncompressed tar."""

    def __init__(self) -> None:
        self.paths: set[Path] = set()
        self.extra: dict[str, tuple[bytes, int, int, int]] = {}  # name -> data, mode, uid, gid
        self.dirs: dict[str, tuple[int, int, int]] = {"tmp": (0o1777, 0, 0)}

    def add(self, path: Path) -> None:
        """A file and, if it is a link, what it points to (recursively)."""
        path = _canonical(Path(path))
        while path not in self.paths:
            self.paths.add(path)
            if not path.is_symlink():
                return
            path = _canonical(path.parent / os.readlink(path))

    def add_tree(self, root: Path, skip: tuple[str, ...] = ()) -> None:
        for base, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not d.startswith(skip)]
            for name in filenames:
                if not name.startswith(skip):
                    self.add(Path(base) / name)

    def add_with_libraries(self, files: Iterable[Path], exclude: tuple[Path, ...] = ()) -> None:
        """ELF files' libraries (not the files), leaving out those under `exclude`."""
        for lib in elf_dependencies(files):
            if not any(lib.is_relative_to(e) for e in exclude):
                self.add(lib)

    def text(self, name: str, content: str, mode: int = 0o644, owner: int = 0) -> None:
        self.extra[name] = (content.encode(), mode, owner, owner)

    def directory(self, name: str, mode: int = 0o755, owner: int = 0) -> None:
        self.dirs[name] = (mode, owner, owner)

    def write(self, out: IO[bytes]) -> None:
        with tarfile.open(fileobj=out, mode="w|") as tar:
            for link in MERGED_USR:
                host = Path("/") / link
                if host.is_symlink():
                    info = tarfile.TarInfo(link)
                    info.type, info.linkname = tarfile.SYMTYPE, os.readlink(host)
                    tar.addfile(info)
            written: set[str] = set(self.dirs)
            for name, (mode, uid, gid) in sorted(self.dirs.items()):
                self._add_parents(tar, Path("/") / name, written)
                info = tarfile.TarInfo(name)
                info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, mode, uid, gid
                tar.addfile(info)
            for path in sorted(self.paths):
                self._add_parents(tar, path, written)
                tar.add(str(path), arcname=str(path).lstrip("/"), recursive=False)
            for name, (data, mode, uid, gid) in sorted(self.extra.items()):
                self._add_parents(tar, Path("/") / name, written)
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.uid, info.gid = len(data), mode, uid, gid
                tar.addfile(info, io.BytesIO(data))

    @staticmethod
    def _add_parents(tar: tarfile.TarFile, path: Path, written: set[str]) -> None:
        for parent in reversed(path.parents[:-1]):
            name = str(parent).lstrip("/")
            if name and name not in written and name not in MERGED_USR:
                written.add(name)
                info = tarfile.TarInfo(name)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)


def python_rootfs(python_home: Path, venv: Path) -> RootfsBuilder:
    """Libraries for `python_home`'s interpreter and `venv`'s extension modules."""
    builder = RootfsBuilder()
    interpreters = sorted((python_home / "bin").glob("python3*"))
    if not interpreters:
        raise RootfsError(f"no python3 interpreter under {python_home / 'bin'}")
    modules = [*python_home.glob("lib/**/*.so*"), *venv.glob("lib/**/*.so*")]
    builder.add_with_libraries([*interpreters, *modules], exclude=(python_home, venv))
    for tool in TOOLS:
        builder.add(Path(tool))
    builder.add_with_libraries(Path(t) for t in TOOLS)
    builder.text("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
    builder.text("etc/group", "root:x:0:\n")
    builder.directory("data")
    return builder


def postgres_rootfs(version: str | None = None) -> tuple[RootfsBuilder, Path]:
    """Debian's PostgreSQL server and tools; returns the builder and its bin dir."""
    base = Path("/usr/lib/postgresql")
    versions = sorted((p.name for p in base.glob("*") if (p / "bin/postgres").exists()), key=int)
    if not versions:
        raise RootfsError("Debian's PostgreSQL is not installed: apt-get install postgresql")
    version = version or versions[-1]
    bindir = base / version / "bin"
    builder = RootfsBuilder()
    binaries = [bindir / name for name in POSTGRES_BIN]
    for binary in binaries:
        builder.add(binary)
    # Server modules initdb loads (plpgsql, snowball); the JIT is left out (LLVM is huge).
    builder.add_tree(base / version / "lib", skip=("llvmjit", "bitcode"))
    builder.add_tree(Path("/usr/share/postgresql") / version)
    builder.add_tree(Path("/usr/share/zoneinfo"))
    modules = [m for m in (base / version / "lib").glob("*.so") if "llvmjit" not in m.name]
    builder.add_with_libraries([*binaries, *modules, *(Path(t) for t in TOOLS)])
    for tool in TOOLS:
        builder.add(Path(tool))
    builder.text(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/sh\npostgres:x:999:999::/var/lib/postgresql:/bin/sh\n",
    )
    builder.text("etc/group", "root:x:0:\npostgres:x:999:\n")
    builder.directory("var/lib/postgresql", 0o755, 999)
    builder.directory("var/lib/postgresql/data", 0o700, 999)
    builder.directory("var/run/postgresql", 0o2775, 999)
    return builder, bindir
