"""Longest files first: how the suite's test files are spread over xdist workers.

The suite mostly waits on real processes (drills, TTLs, detection windows), so its
wall time is decided by how the files are packed onto workers, not by CPU. xdist's
`--dist loadfile` sends files in order of their test count (many quick unit tests
first, the few long drills last) and tops a worker up while it still has two tests
pending, so two long drill files can end up queued on one worker while the others
sit idle at the end. This scheduler keeps files whole (module fixtures start one
drill per file) but sends the longest remaining file to whichever worker is about
to run out, and tops a worker up only when its last test is waiting (an xdist
worker holds back its last test until it knows what comes next).

A file whose module fixture starts one drill per parameter (SPLIT_BY_PARAM) is split
by that parameter instead: its drills run on several workers, each still once.

The lengths are the files' measured durations in `tests/durations.json`; a file not
listed there is assumed to take what the median file of its directory takes.
`pytest --record-durations` rewrites that file from the run it ends.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadFileScheduling
from xdist.workermanage import WorkerController

DURATIONS = Path(__file__).with_name("durations.json")
# Files whose module-scoped fixture is parametrized (one whole drill per parameter):
# their tests are grouped per parameter, not per file.
SPLIT_BY_PARAM = frozenset({"tests/e2e/test_fidelity.py"})


def scope_of(nodeid: str) -> str:
    """The unit kept on one worker: the file, or the file and parameter for SPLIT_BY_PARAM."""
    file, _, rest = nodeid.partition("::")
    if file in SPLIT_BY_PARAM and rest.endswith("]") and "[" in rest:
        return f"{file}[{rest[rest.index('[') + 1 : -1]}]"
    return file


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    """File → seconds; empty when the file is missing or not what we wrote."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(v, int | float)}


def estimate(durations: dict[str, float], scope: str) -> float:
    """The measured seconds of a file, or the median of its directory's files."""
    if scope in durations:
        return durations[scope]
    directory = scope.split("[", 1)[0].rsplit("/", 1)[0]
    siblings = [s for f, s in durations.items() if f.rsplit("/", 1)[0] == directory]
    return statistics.median(siblings) if siblings else 1.0


class LongestFirstScheduling(LoadFileScheduling):
    """`--dist loadfile`, longest file first, one file queued per worker at a time."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        self.durations = load_durations()

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)

    def _assign_work_unit(self, node: WorkerController) -> None:
        longest = max(self.workqueue, key=lambda scope: estimate(self.durations, scope))
        self.workqueue.move_to_end(longest, last=False)
        super()._assign_work_unit(node)

    def _reschedule(self, node: WorkerController) -> None:
        if node.shutting_down:
            return
        if not self.workqueue:
            node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) > 1:
            return
        self._assign_work_unit(node)


class DurationRecorder:
    """Sums each file's setup, call and teardown times; writes them at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[scope_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            return  # the controller sees every worker's reports and writes the file
        # A partial run updates the files it ran and keeps the others' figures.
        merged = load_durations(self.path) | {f: round(s, 1) for f, s in self.seconds.items()}
        self.path.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
