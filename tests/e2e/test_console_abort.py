"""The facilitator aborts a drill from the console: every fault reverted at once, results
still written, the session still serving the debrief."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.console.client import ConsoleClient, ConsoleClientError
from simulator.console.live import ABORT_WAIT_S
from simulator.console.process import start_console_drill
from tests.probes import wait_until

pytestmark = pytest.mark.e2e


def _scorecard(client: ConsoleClient) -> dict[str, Any]:
    """The scorecard, or {} while the console says it is not ready yet."""
    try:
        card: dict[str, Any] = client.get("/api/scorecard")
    except ConsoleClientError as exc:
        if "ready when" not in str(exc):
            raise
        return {}
    return card


def test_abort_reverts_every_fault_and_scores_the_drill(tmp_path: Path) -> None:
    drill = start_console_drill(tmp_path, trainees=["alice"], args=["--start-now"])
    try:
        injected = drill.wait_for("fault.injected", timeout_s=150)
        with drill.client("facilitator") as boss, drill.client("trainee:alice") as alice:
            answer = boss.post("/api/facilitator/abort", {"reason": "fire drill over"})
            assert answer["aborted"] is True
            # Bounded wait inside the endpoint: it answered because the faults were reverted.
            assert answer["faults_reverted_in_s"] < ABORT_WAIT_S
            events = boss.get("/api/events")
            reverted = [e for e in events if e["type"] == "fault.reverted"]
            assert [e["data"]["fault_id"] for e in reverted] == [injected["data"]["fault_id"]]
            assert reverted[0]["data"]["reason"] == "abort"
            aborted = next(e for e in events if e["type"] == "drill.aborted")
            assert aborted["data"]["reason"] == "fire drill over"
            # Trainees learn the drill was aborted, never which fault was reverted.
            seen = alice.get("/api/events")
            assert any(e["type"] == "drill.aborted" for e in seen)
            assert not any(e["type"].startswith("fault.") for e in seen)
            with pytest.raises(ValueError, match="the drill is over"):
                alice.ack()
        drill.wait_for("answer_key.revealed", timeout_s=120)  # scored without a review window
        with drill.client("facilitator") as boss:
            # The key is revealed a moment before the scorecard is served: until then
            # the console answers "not ready yet", which is "not yet", not a failure.
            card: dict[str, Any] = {}

            def served() -> bool:
                card.update(_scorecard(boss))
                return bool(card)

            assert wait_until(served, 60), "the scorecard was never served"
            assert card["outcome"] == "aborted"
            boss.post("/api/facilitator/end", {"confirm": True})
        assert drill.proc.wait(60) == 1, "an aborted drill exits 1 (after its results)"
        assert (drill.report_dir / "report.html").is_file()
    finally:
        drill.stop()
