"""Scoring rules, registered by the playbook weight they earn (see `base`).

Importing this package registers every built-in rule in `RULES`.
"""

from __future__ import annotations

from scoring.criteria import communication, decisions, discipline, escalation, remediation, timing
from scoring.criteria.base import RULES, Criterion, RuleInput, Verdict, rule, timeliness

__all__ = ["RULES", "Criterion", "RuleInput", "Verdict", "rule", "timeliness"]

# The modules above register their rules on import; keep the names referenced.
_RULE_MODULES = (communication, decisions, discipline, escalation, remediation, timing)
