"""The images a docker environment runs, built on this machine (no registry needed).

`build_local_images()` makes, once per set of inputs:
- `chaosdrill/pybase:local`: the libraries of the host's Python (imported rootfs);
  the interpreter, the venv and the source are bind-mounted read-only at run time
  (see docker/compose.local.yml);
- `chaosdrill/shop:<version>-local` for each release (the release is baked into
  the image as APP_VERSION, so a rollback really is "the previous image tag");
- `chaosdrill/payment:local`;
- `chaosdrill/postgres:local`: Debian's PostgreSQL with an entrypoint that honours
  the official image's variables.
Users build the real images from docker/*.Dockerfile on public base images.
"""

from __future__ import annotations

import hashlib
import io
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from simulator.docker.client import docker_client, docker_errors
from simulator.docker.rootfs import RootfsBuilder, postgres_rootfs, python_rootfs
from simulator.faults.errors import FaultError

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "docker" / "postgres-local" / "entrypoint.sh"
KEY_LABEL = "org.chaosdrill.inputs"
RELEASES = ("1.0.0", "1.1.0")
PYBASE = "chaosdrill/pybase:local"
POSTGRES = "chaosdrill/postgres:local"
PAYMENT = "chaosdrill/payment:local"


def shop_image(version: str) -> str:
    return f"chaosdrill/shop:{version}-local"


@dataclass(frozen=True)
class HostPython:
    """Where the host's interpreter, venv and source are: what containers mount."""

    home: Path  # sys.base_prefix
    venv: Path  # sys.prefix
    source: Path  # the repository (the venv's editable install points here)

    @classmethod
    def current(cls) -> HostPython:
        return cls(Path(sys.base_prefix), Path(sys.prefix), REPO)

    def compose_env(self) -> dict[str, str]:
        """The variables docker/compose.local.yml needs."""
        return {
            "CHAOSDRILL_PYTHON_HOME": str(self.home),
            "CHAOSDRILL_VENV": str(self.venv),
            "CHAOSDRILL_SOURCE": str(self.source),
        }


def _key(*parts: object) -> str:
    """A digest of the inputs: file contents for files, the value for anything else."""
    digest = hashlib.sha256()
    for part in (*parts, Path(__file__), REPO / "simulator/docker/rootfs.py"):
        if isinstance(part, Path) and part.is_file():
            digest.update(part.read_bytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()[:16]


def _current(tag: str, key: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        image = docker_client().images.get(tag)
    except ImageNotFound:
        return False
    labels = image.attrs.get("Config", {}).get("Labels") or {}
    return bool(labels.get(KEY_LABEL) == key)


def _import(builder: RootfsBuilder, tag: str, changes: list[str]) -> None:
    """Write the rootfs to a temporary tar and `docker import` it as `tag`."""
    repository, _, version = tag.partition(":")
    with tempfile.NamedTemporaryFile(suffix=".tar") as handle:
        builder.write(handle)
        handle.flush()
        docker_client().api.import_image_from_file(
            handle.name, repository=repository, tag=version, changes=changes
        )


def _build(dockerfile: str, tag: str) -> None:
    docker_client().images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, pull=False
    )


def build_local_images(python: HostPython | None = None, *, force: bool = False) -> list[str]:
    """Build (or keep, when their inputs did not change) every local image; returns the
    tags built now."""
    python = python or HostPython.current()
    built: list[str] = []
    try:
        key = _key(python.home, python.venv, sys.version)
        if force or not _current(PYBASE, key):
            builder = python_rootfs(python.home, python.venv)
            changes = ["ENV PATH=/usr/local/bin:/usr/bin:/bin", f"LABEL {KEY_LABEL}={key}"]
            _import(builder, PYBASE, changes)
            built.append(PYBASE)
        for tag, dockerfile in [
            (PAYMENT, f"FROM {PYBASE}\nLABEL org.chaosdrill.role=payment\n"),
            *[(shop_image(v), f"FROM {PYBASE}\nENV APP_VERSION={v}\n") for v in RELEASES],
        ]:
            derived = _key(key, dockerfile)
            if force or not _current(tag, derived):
                _build(f"{dockerfile}LABEL {KEY_LABEL}={derived}\n", tag)
                built.append(tag)
        pg_key = _key(ENTRYPOINT, sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*")))
        if force or not _current(POSTGRES, pg_key):
            builder, bindir = postgres_rootfs()
            builder.text("usr/local/bin/docker-entrypoint.sh", ENTRYPOINT.read_text(), 0o755)
            changes = [
                f"ENV PATH={bindir}:/usr/local/bin:/usr/bin:/bin",
                "ENV PGDATA=/var/lib/postgresql/data",
                "USER postgres",
                'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
                "EXPOSE 5432",
                f"LABEL {KEY_LABEL}={pg_key}",
            ]
            _import(builder, POSTGRES, changes)
            built.append(POSTGRES)
    except docker_errors() as exc:
        raise FaultError(f"could not build the local images: {str(exc).splitlines()[0]}") from None
    return built


def main() -> None:
    """`python -m simulator.docker.images [--force]`: build the local images."""
    force = "--force" in sys.argv[1:]
    built = build_local_images(force=force)
    print("built: " + ", ".join(built) if built else "local images are up to date")


if __name__ == "__main__":
    main()
