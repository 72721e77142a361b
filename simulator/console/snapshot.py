"""The state of the console as one principal may see it (what `/api/state` returns).

Built from the drill's event log and its incident, shaped for the role: a
trainee's snapshot holds nothing of the answer key (see visibility.py).
"""

from __future__ import annotations

from typing import Any

from simulator.console.auth import DUTIES, Principal, Role
from simulator.console.live import LiveDrill
from simulator.console.session import ConsoleSession
from simulator.drill.incident import TRANSITIONS
from simulator.scenario.model import Scenario

__all__ = ["briefing", "paragraphs", "snapshot"]


def paragraphs(text: str) -> str:
    """YAML wraps lines by hand; keep its paragraphs, not its line breaks."""
    blocks = [" ".join(line.strip() for line in block.splitlines()) for block in text.split("\n\n")]
    return "\n\n".join(b for b in blocks if b)


def briefing(scenario: Scenario | None) -> dict[str, Any] | None:
    """What a trainee may know before and during the drill (no id: ids name causes)."""
    if scenario is None:
        return None
    return {
        "title": scenario.title,
        "briefing": paragraphs(scenario.briefing),
        "difficulty": scenario.difficulty,
        "time_limit_s": scenario.time_limit_s,
        "time_scale": scenario.time_scale,
    }


def _incident(live: LiveDrill) -> dict[str, Any] | None:
    incident = live.drill.responses.incident
    if incident is None:
        return None
    return {
        "id": incident.id,
        "status": incident.status,
        "severity": incident.severity,
        "team": incident.team,
        "acknowledged_by": incident.acknowledged_by,
        "next_statuses": sorted(TRANSITIONS[incident.status]),
        "resolved": incident.resolved,
    }


def _clock(live: LiveDrill) -> dict[str, Any]:
    log = live.log
    now = log.now()
    steady = log.of_type("steady_state.reached")
    ended = log.of_type("drill.finished", "drill.aborted")
    deadline = steady[0].t + live.scenario.time_limit_s + live.drill.extra_s if steady else None
    end_t = ended[0].t if ended else None
    left = None if deadline is None else max(0.0, deadline - (end_t if end_t is not None else now))
    return {"t": round(now, 2), "deadline_t": deadline, "time_left_s": left, "ended_t": end_t}


def _pages(live: LiveDrill) -> list[dict[str, Any]]:
    alerts = {e.data.get("alert_id"): e.data for e in live.log.of_type("alert.firing")}
    pages = []
    for event in live.log.of_type("page.sent", "page.escalated"):
        alert = alerts.get(event.data.get("alert_id"), {})
        pages.append(
            {
                "seq": event.seq,
                "t": event.t,
                "kind": "escalation" if event.type == "page.escalated" else "page",
                "page_id": event.data.get("page_id"),
                "level": event.data.get("level"),
                "target": event.data.get("target"),
                "alert": {k: alert.get(k) for k in ("name", "severity", "value", "threshold")}
                if alert
                else None,
            }
        )
    return pages


def _firing(live: LiveDrill) -> list[dict[str, Any]]:
    resolved = {e.data.get("alert_id") for e in live.log.of_type("alert.resolved")}
    return [
        {**e.data, "t": e.t}
        for e in live.log.of_type("alert.firing")
        if e.data.get("alert_id") not in resolved
    ]


def _live(live: LiveDrill, me: Principal) -> dict[str, Any]:
    sample = live.log.latest("sli.sample")  # the log keeps no list of samples in memory
    data: dict[str, Any] = {
        "stage": live.stage,
        "drill_phase": live.drill.phase,
        "clock": _clock(live),
        "incident": _incident(live),
        "pages": _pages(live),
        "alerts_firing": _firing(live),
        "sli": sample.data if sample is not None else None,
        "hints": [e.data.get("text") for e in live.log.of_type("hint.given")],
        "review_open": live.incident_closed and live.stage in ("running", "review"),
        "reviewed": me.actor in live.reviewed,
        "scored": live.stage == "scored" and live.result is not None,
        "error": live.error if me.sees_answer_key else None,
    }
    if me.sees_answer_key:
        data["drill_id"] = live.drill.id
        data["report_dir"] = str(live.drill.dir)
        data["faults"] = [
            {"t": e.t, "type": e.type, **e.data} for e in live.log.of_type("fault.injected")
        ]
    return data


def snapshot(session: ConsoleSession, me: Principal) -> dict[str, Any]:
    """Everything a page needs to draw itself, for this principal."""
    live = session.live
    scenario = live.scenario if live is not None else session.scenario
    data: dict[str, Any] = {
        "phase": session.phase,
        "single": session.single,
        "me": {"role": me.role.value, "name": me.name, "duty": DUTIES.get(me.duty, "")},
        "scenario": briefing(scenario),
        "participants": [
            {
                "name": p.name,
                "duty": DUTIES.get(p.duty, p.duty),
                "reviewed": live is not None and p.actor in live.reviewed,
            }
            for p in session.tokens.trainees()
        ],
        "live": _live(live, me) if live is not None else None,
    }
    if me.role is Role.FACILITATOR and scenario is not None:
        data["scenario"] = {**(data["scenario"] or {}), "id": scenario.id, "tags": scenario.tags}
    return data
