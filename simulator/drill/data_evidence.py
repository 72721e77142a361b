"""The outside canary count at the end of a data-loss drill, for the event log
(`canary.checked`): taken after the load stopped and before the cluster is torn down,
and the journal kept next to the drill's report (`canary.jsonl`) so anyone can
recount it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from simulator.env.state import load_state
from simulator.pgcluster.canary import check, journal_of


def canary_evidence(state_dir: Path, report_dir: Path) -> dict[str, Any] | None:
    """The canary check of this environment's serving database; None without canaries."""
    state = load_state(state_dir)
    if state is None or state.pg is None:
        return None
    journal = journal_of(state.pg.root)
    if not journal.exists():
        return None
    shutil.copyfile(journal, report_dir / "canary.jsonl")
    return check(state.pg.primary, journal)
