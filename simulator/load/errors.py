"""Errors of the load generator, all under `LoadError`.

    LoadError            anything that stops a load run from starting or finishing
    ├── LoadConfigError  a setting that cannot work (names the field and the fix)
    ├── TargetUnreachable  nothing answers at the target's host and port
    └── LoadStartError   the Locust process(es) died or did not start in time

Every message is one sentence a user can act on.
"""

from __future__ import annotations

__all__ = ["LoadConfigError", "LoadError", "LoadStartError", "TargetUnreachable"]


class LoadError(Exception):
    """A load run could not start or ended abnormally."""


class LoadConfigError(LoadError):
    """A load setting that cannot work."""


class TargetUnreachable(LoadError):
    """The target host refused or did not answer a TCP connection."""


class LoadStartError(LoadError):
    """Locust exited or stayed silent before the test started."""
