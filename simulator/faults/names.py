"""The names of fault kinds and remediation actions: the user-facing contract.

Scenarios, the CLI and scoring refer to these names; the registry
(`simulator.faults.registry`) maps each to its implementation.
"""

from __future__ import annotations

FAULT_KINDS: tuple[str, ...] = (
    "app.crash",
    "app.hang",
    "app.error_rate",
    "app.latency",
    "app.cpu_burn",
    "app.memory_leak",
    "deploy.bad_release",
    "db.down",
    "db.latency",
    "db.lock",
    "db.pool_exhaustion",
    "dependency.latency",
    "dependency.down",
    "disk.full",
    "network.loss",
)

REMEDIATIONS: tuple[str, ...] = (
    "service.restart",
    "deploy.rollback",
    "db.kill_long_queries",
    "db.restore",
    "db.failover_to_replica",
    "service.scale_up",
    "cache.clear",
    "feature.disable",
    "dependency.switch_backup",
    "disk.cleanup",
)

TEAMS: tuple[str, ...] = ("dba", "development", "sre", "security", "backend", "frontend")
SEVERITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")
