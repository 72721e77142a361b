"""Reading the drill: state, events, the live stream, SLIs, the playbook, scorecards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, HTTPException, Query
from fastapi.responses import HTMLResponse, StreamingResponse

from scoring.names import TEAMS
from simulator.console.auth import DUTIES, Principal, Role
from simulator.console.deps import Anyone, SessionDep, StreamReader
from simulator.console.session import ConsoleSession, SessionError
from simulator.console.snapshot import snapshot
from simulator.console.visibility import facilitator_event, trainee_event
from simulator.remediation.actions import ACTIONS
from simulator.remediation.availability import unavailable_reasons

router = APIRouter(prefix="/api")
SLI_FIELDS = ("rps", "error_rate", "p50_ms", "p99_ms", "availability")


@router.get("/me")
def me(who: Anyone) -> dict[str, str]:
    """Who the token belongs to."""
    return {"role": who.role.value, "name": who.name, "actor": who.actor, "duty": who.duty}


@router.get("/state")
def state(session: SessionDep, who: Anyone) -> dict[str, Any]:
    """The console's state as this principal may see it."""
    return snapshot(session, who)


def _view(who: Principal) -> str:
    return "facilitator" if who.sees_answer_key else "trainee"


@router.get("/events")
def events(session: SessionDep, who: Anyone, since: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    """The drill's events after `since` (trainees: only what they may see)."""
    if session.live is None:
        return []
    shape = facilitator_event if who.sees_answer_key else trainee_event
    return [e for e in map(shape, session.live.log.events(since)) if e is not None]


@router.get("/stream")
async def stream(
    session: SessionDep,
    who: StreamReader,
    since: int | None = Query(None, ge=0),
    last_event_id: str | None = Header(None),
) -> StreamingResponse:
    """Server-Sent Events: `hello`, the backlog after `since`, then every new event."""
    hello = {"phase": session.phase, "role": who.role.value, "name": who.name}
    start = session.hub.since_from(last_event_id, since)
    return StreamingResponse(
        session.hub.stream(_view(who), start, hello),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/slis")
def slis(session: SessionDep, _who: Anyone, since_t: float = 0.0) -> list[dict[str, Any]]:
    """The detector's SLI samples (one a second) since drill time `since_t`."""
    if session.live is None:
        return []
    return [
        {"t": e.t, **{k: e.data.get(k) for k in SLI_FIELDS}}
        for e in session.live.log.of_type("sli.sample")
        if e.t > since_t
    ]


@router.get("/playbook")
def playbook(session: SessionDep, _who: Anyone) -> dict[str, Any]:
    """What responders work with: severities and their definitions, teams, the template."""
    book = session.playbook
    owners: dict[str, list[str]] = {}
    for area, team in book.routing.items():
        owners.setdefault(team, []).append(area)
    return {
        "severities": [
            {
                "id": s.id,
                "name": s.name,
                "label": s.label,
                "definition": s.definition,
                "response_time_s": s.response_time_s,
                "examples": s.examples,
            }
            for s in book.severities.values()
        ],
        "teams": [{"id": t, "areas": owners.get(t, [])} for t in TEAMS],
        "update_template": book.update_template,
        "statuses": book.statuses,
        "escalation": [
            {"level": s.level, "target": s.target, "after_s": s.after_s, "condition": s.condition}
            for s in book.escalation
        ],
        "duties": DUTIES,
    }


@router.get("/actions")
def actions(session: SessionDep, _who: Anyone) -> list[dict[str, Any]]:
    """The runbook toolbox: the remediations that can act in this drill's environment."""
    cannot = (
        unavailable_reasons(session.live.drill.state_dir, list(ACTIONS))
        if session.live is not None
        else {}
    )
    return [
        {"name": a.name, "summary": a.summary, "arg": a.arg, "restarts_shop": a.restarts_shop}
        for a in ACTIONS.values()
        if a.name not in cannot
    ]


def scorecards(session: ConsoleSession, who: Principal) -> dict[str, Any]:
    """The results after the drill: own and team card (trainee), every card (facilitator)."""
    live = session.require_live()
    if live.stage != "scored":
        raise SessionError("the scorecard is ready when the drill is over and scored")
    if live.result is None:
        raise SessionError(f"the drill could not be scored: {live.error or 'no result'}")
    card = live.result.scorecard
    data: dict[str, Any] = {
        "drill_id": card.drill_id,
        "title": card.title,
        "outcome": card.outcome,
        "outcome_detail": card.outcome_detail,
        "time_scale": card.time_scale,
        "answer": {
            "severity": card.true_severity,
            "severity_label": card.severity_label,
            "team": card.expected_team,
            "root_cause": card.root_cause,
            "remediations": card.remediations,
        },
        "alerts": [a.model_dump() for a in card.alerts],
        "team": card.team.model_dump(mode="json"),
    }
    if who.role is Role.FACILITATOR:
        data["participants"] = [p.model_dump(mode="json") for p in card.participants]
        data["baseline"] = card.baseline.model_dump(mode="json") if card.baseline else None
        data["files"] = {k: str(v) for k, v in live.result.files.items()}
    elif who.role is Role.TRAINEE:
        mine = [p for p in card.participants if p.actor == who.actor]
        data["mine"] = mine[0].model_dump(mode="json") if mine else None
    return data


@router.get("/scorecard")
def scorecard(session: SessionDep, who: Anyone) -> dict[str, Any]:
    """Scorecards once the drill is scored (409 before)."""
    return scorecards(session, who)


def report_html(session: ConsoleSession, who: Principal) -> HTMLResponse:
    """The drill's HTML report, behind the same gate as the scorecards."""
    scorecards(session, who)
    live = session.require_live()
    assert live.result is not None
    path = live.result.files.get("report")
    if path is None or not path.is_file():
        raise HTTPException(404, "the report file is missing")
    return HTMLResponse(path.read_text(encoding="utf-8"))


@router.get("/report", response_class=HTMLResponse)
def report(session: SessionDep, who: Anyone) -> HTMLResponse:
    """The drill's HTML report (after scoring)."""
    return report_html(session, who)
