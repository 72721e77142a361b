"""The names the whole product shares: fault kinds, remediations, alerts, teams.

They are the user-facing contract. Scenarios, the CLI and scoring refer to them;
the engine's fault registry (`simulator.faults.registry`) maps each kind and
action to its implementation. They live in `scoring/` because scoring is the
pure core that the engine builds on, never the other way round.
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
    "feature.enable",
    "db.down",
    "db.latency",
    "db.lock",
    "db.pool_exhaustion",
    "dependency.latency",
    "dependency.down",
    "disk.full",
    "network.loss",
    "security.leaked_key",
    "security.credential_stuffing",
    "data.bad_migration",
    "db.replica_lag",
    "data.rogue_job",
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
    "key.revoke",
    "keys.rotate",
    "client.block",
    "users.notify",
    "accounts.lock",
    "accounts.reset",
    "db.replica_resume",
    "writes.stop",
    "writes.resume",
    "backup.list",
    "data.verify",
    "job.stop",
)

# A data incident's steps around the fix: they stop the damage from growing (job.stop),
# hold or give back the writes, look (backup.list, data.verify) or tell the customers
# (users.notify). None ends a fault and none is judged by the SLIs after it (a write
# stop's 503s are its purpose; a notice sent while writes are stopped did not cause them).
DATA_STEPS: tuple[str, ...] = (
    "job.stop",
    "writes.stop",
    "writes.resume",
    "backup.list",
    "data.verify",
    "users.notify",
)

# Who hears about an incident, loudest first (the playbook's notification rules map
# each severity to one of them).
NOTIFY_CHANNELS: tuple[str, ...] = ("page_all", "page_primary", "slack", "ticket")

TEAMS: tuple[str, ...] = ("dba", "development", "sre", "security", "backend", "frontend")
SEVERITIES: tuple[str, ...] = ("P0", "P1", "P2", "P3")

# Alerts of the builtin detector, one per SLI of the playbook's thresholds; each
# fires at the severities critical / high / medium.
ALERT_NAMES: tuple[str, ...] = ("error_rate", "latency_p99", "availability")
ALERT_SEVERITIES: tuple[str, ...] = ("critical", "high", "medium")
# Security alerts, each at the one severity the playbook's `security_alerts` gives it,
# routed to the team the playbook routes the `security` area to: any use of a planted
# canary, a key exporting customer records faster than its normal rate, and a surge of
# failed customer logins (credential stuffing).
SECURITY_ALERT_NAMES: tuple[str, ...] = (
    "canary_token_used",
    "export_volume",
    "login_failure_surge",
)
# Every alert a scenario may expect.
EXPECTABLE_ALERTS: tuple[str, ...] = ALERT_NAMES + SECURITY_ALERT_NAMES
INCIDENT_STATUSES: tuple[str, ...] = (
    "NEW",
    "INVESTIGATING",
    "IDENTIFIED",
    "MONITORING",
    "RESOLVED",
)

# The post-incident review's fields, as the console's form and `incident review` send them.
REVIEW_FIELDS = ("what_happened", "why", "went_well", "went_badly", "improvements")
