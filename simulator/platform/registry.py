"""The one registry of platforms: selection by name happens here and nowhere else."""

from __future__ import annotations

from functools import cache

from simulator.env.errors import EnvError
from simulator.platform.base import Platform
from simulator.platform.names import DEFAULT, NAMES

__all__ = ["DEFAULT", "NAMES", "UnknownPlatform", "platform_for"]


class UnknownPlatform(EnvError):
    pass


@cache
def platform_for(name: str) -> Platform:
    """The platform called `name`; the Docker and Kubernetes ones load
    their clients only when asked."""
    if name == "local":
        from simulator.platform.local import LocalPlatform

        return LocalPlatform()
    if name == "docker":
        from simulator.platform.docker import DockerPlatform

        return DockerPlatform()
    if name == "kubernetes":
        from simulator.platform.kubernetes import KubernetesPlatform

        return KubernetesPlatform()
    raise UnknownPlatform(f"unknown backend '{name}'; choose {' or '.join(NAMES)}")
