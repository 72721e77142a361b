"""The environment's error, in a module of its own so that light callers (the CLI's
error handler) can catch it without importing the whole lifecycle."""

from __future__ import annotations


class EnvError(RuntimeError):
    """The environment cannot be brought up or down; one sentence says why."""
