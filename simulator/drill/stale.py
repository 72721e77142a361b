"""Leftovers of drills whose engine died: taken down at every engine start."""

from __future__ import annotations

from simulator.faults.cleanup import cleanup_stale

__all__ = ["cleanup_stale"]
