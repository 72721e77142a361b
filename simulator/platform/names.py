"""The names of the platforms, and the default one.

Apart from `simulator.platform.registry`, which maps each name to its platform, code
only passes these names along (an option, a record's field) and asks the registry;
it never compares them. This module imports nothing, so the environment's record and
the scenario model can type their field with it without reaching up to the registry.
"""

from __future__ import annotations

from typing import Literal, get_args

# A new platform adds its name here and its branch in registry.platform_for.
PlatformName = Literal["local", "docker", "kubernetes"]
NAMES: tuple[PlatformName, ...] = get_args(PlatformName)  # the default first
DEFAULT: PlatformName = NAMES[0]
# The platforms that can run a drill's own PostgreSQL cluster (simulator.pgcluster:
# initdb, WAL archive, point-in-time restore), for scenarios with `own_cluster: true`.
OWN_CLUSTER: tuple[PlatformName, ...] = ("local",)
# The platforms with namespaces, where a scenario may target a team's own Deployment
# (`target: {namespace, deployment, selector}`).
NAMESPACED: tuple[PlatformName, ...] = ("kubernetes",)
