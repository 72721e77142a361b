"""The data-loss drill through the CLI on the drill's own PostgreSQL cluster: the
autopilot restores to just before the migration and the scorecard carries RPO/RTO;
a drill whose engine is killed with SIGKILL leaves no cluster behind after cleanup."""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from scoring.events import read_jsonl
from tests.e2e.cli import chaosdrill, drill_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.postgres]
SCENARIO = "data-loss-bad-migration"


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temp dir of this test's own for the drill's cluster (TMPDIR of the drill's
    processes), so that what it leaves behind is told apart from the clusters other
    tests run at the same time. World-traversable: as root the servers run as postgres."""
    private = Path(tempfile.mkdtemp(prefix="chaosdrill-e2e-", dir="/tmp"))
    private.chmod(0o755)
    monkeypatch.setenv("TMPDIR", str(private))
    try:
        yield private
    finally:
        shutil.rmtree(private, ignore_errors=True)


def clusters(root: Path) -> set[Path]:
    """The drill's own clusters under ROOT and the data directories of their running
    servers (as root the cluster lives under the temp dir, else under a state dir)."""
    found = set(root.glob("chaosdrill-pg-*"))
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"postgres") and b"-D" in cmdline:
            data = Path(cmdline[cmdline.index(b"-D") + 1].decode())
            if str(data).startswith(str(root)):
                found.add(data)
    return found


def test_autopilot_restores_to_before_the_migration(tmp_path: Path, private_tmp: Path) -> None:
    done = chaosdrill(tmp_path, "run", SCENARIO, "--autopilot", "--report-dir", "r", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((tmp_path / "r" / "scorecard.json").read_text())["scorecard"]
    loss = card["data_loss"]
    assert loss["restored"] and loss["still_missing"] == 0
    assert loss["restored_orders"] > 0, "the migration deleted orders that the restore brought back"
    assert loss["rto_s"] > 0 and loss["lost_orders"] >= 0
    restores = [
        e
        for e in read_jsonl(tmp_path / "r" / "events.jsonl")
        if e.type == "action.executed" and e.data["action"] == "db.restore"
    ]
    assert [e.data["result"] for e in restores] == ["ok"]
    assert restores[0].data["measured"]["lost_orders"] == loss["lost_orders"]
    assert any("RPO:" in note for note in card["notes"])
    assert clusters(private_tmp) == set(), "teardown leaves no cluster, server or file behind"
    canary_witness(tmp_path / "r", loss)


def canary_witness(report: Path, loss: dict[str, object]) -> None:
    """The load's canaries, recounted from the journal (plain JSON lines): the ones
    acknowledged between the restore's target and the restore are the ones lost, and
    the scorecard says so. One canary in flight at the target may fall either side."""
    log = read_jsonl(report / "events.jsonl")
    (checked,) = [e.data for e in log if e.type == "canary.checked"]
    acked = [
        json.loads(line)
        for line in (report / "canary.jsonl").read_text().splitlines()
        if json.loads(line)["status"] == 201
    ]
    assert len(acked) == checked["acknowledged"] == loss["canary_acknowledged"]
    assert len(acked) >= 20, "one canary a second through the drill"
    assert checked["lost"] == loss["canary_lost"] and checked["lost_ids"] == loss["canary_lost_ids"]
    restore = next(
        e for e in log if e.type == "action.executed" and e.data["action"] == "db.restore"
    )
    started = next(
        e.wall.timestamp()
        for e in log
        if e.type == "action.started" and e.data.get("action_id") == restore.data["action_id"]
    )
    target = datetime.fromisoformat(restore.data["measured"]["restore_target"]).timestamp()
    expected = [a["id"] for a in acked if target < a["at"] < started]
    assert abs(checked["lost"] - len(expected)) <= 1, (checked, expected)
    assert set(checked["lost_ids"]) <= set(expected) | {a["id"] for a in acked}
    review = (report / "review.md").read_text()
    assert "### Data lost and restored" in review
    assert f"| {checked['lost']} of {checked['acknowledged']}" in review


def test_sigkill_of_the_engine_then_cleanup_leaves_no_cluster(
    tmp_path: Path, private_tmp: Path
) -> None:
    with drill_until(tmp_path, ["run", SCENARIO, "--autopilot"], "fault.injected") as drill:
        assert drill.poll() is None
        assert clusters(private_tmp), "the drill runs its own cluster"
    # Leaving drill_until SIGKILLs the engine mid-drill (and reaps it).
    assert drill.returncode == -signal.SIGKILL
    cleaned = chaosdrill(tmp_path, "cleanup", timeout=120)
    assert cleaned.returncode == 0, cleaned.stderr[-2000:]
    assert clusters(private_tmp) == set()


def batch_jobs(under: Path) -> list[str]:
    """Command lines of the rogue batch job processes whose files are under `under` (a
    test's own directory: other tests on other workers run batch jobs of their own)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "simulator.faults.batch_job" in cmdline and str(under) in cmdline:
            found.append(cmdline)
    return found


def test_autopilot_stops_the_rogue_job_before_restoring(tmp_path: Path, private_tmp: Path) -> None:
    done = chaosdrill(
        tmp_path, "run", "data-corruption-rogue-job", "--autopilot", "--report-dir", "r", "--json"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((tmp_path / "r" / "scorecard.json").read_text())["scorecard"]
    loss = card["data_loss"]
    assert loss["restored"] and loss["still_missing"] == 0
    assert loss["rto_end"] == "writes resumed after a passing data.verify"
    assert 0 < loss["damage_window_s"] <= loss["rto_s"]
    executed = {
        e.data["action"]: e
        for e in read_jsonl(tmp_path / "r" / "events.jsonl")
        if e.type == "action.executed"
    }
    order = list(executed)
    assert order.index("job.stop") < order.index("db.restore") < order.index("writes.resume")
    # What the job destroyed, as job.stop counted it; none when the responder stopped it
    # inside its first round (the round's transaction never committed): every deleted
    # order is back either way.
    stopped = executed["job.stop"].data["measured"]
    assert stopped["deleted_orders"] >= 0 and stopped["rounds"] >= 0
    assert executed["db.restore"].data["measured"]["restored_orders"] >= min(
        1, stopped["deleted_orders"]
    )
    assert executed["data.verify"].data["measured"]["integrity"]["passed"]
    remediation = next(c for c in card["team"]["criteria"] if c["key"] == "remediation")
    assert remediation["points"] == remediation["max_points"], remediation["feedback"]
    assert clusters(private_tmp) == set() and not batch_jobs(tmp_path)
