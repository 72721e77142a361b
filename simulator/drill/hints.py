"""Hints a trainee asks for (`chaosdrill incident hint`, `POST /api/incident/hint`).

The scenario's hints come in their order, whenever asked once the incident has
begun (a timer no longer decides when a trainee may learn). They stop once every
fault has ended: from then on a hint would only tell what was already done.
Only these asked-for hints (source "asked") cost points; hints the facilitator
or the scenario's timer push are never charged to the trainee.
"""

from __future__ import annotations

from scoring.criteria.discipline import ASKED
from simulator.drill.eventlog import EventLog
from simulator.scenario.model import Scenario

__all__ = ["ASKED", "HintRefused", "ask_hint"]


class HintRefused(ValueError):
    """No hint now; the message says why, in one sentence."""


def ask_hint(log: EventLog, scenario: Scenario, actor: str) -> str:
    """Log the next hint as asked for by ACTOR and return its text, or refuse."""
    injected = {e.data.get("fault_id") for e in log.of_type("fault.injected")}
    if not injected:
        raise HintRefused("nothing has gone wrong yet; hints open once the incident begins")
    ended = {e.data.get("fault_id") for e in log.of_type("fault.reverted")}
    if injected <= ended:
        raise HintRefused(
            "the fault has ended, so there are no more hints; watch the SLIs and resolve once"
            " recovery is confirmed"
        )
    given = {str(e.data.get("text")) for e in log.of_type("hint.given")}
    waiting = [h for h in sorted(scenario.hints, key=lambda h: h.after_s) if h.text not in given]
    if not waiting:
        total = len(scenario.hints)
        raise HintRefused(f"no hints left: this scenario has {total} and you have had them all")
    text = waiting[0].text
    log.append("hint.given", {"text": text, "source": ASKED}, actor)
    return text
