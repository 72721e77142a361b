"""What a responder does: acknowledge, classify, route, move the status, communicate, fix.

Every call goes through the drill's `Responses` API (the same one the autopilot
uses) and is attributed to the trainee ("trainee:NAME"). A request the
lifecycle refuses answers 409 with the lifecycle's one sentence.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from simulator.console.deps import Responder, SessionDep
from simulator.console.session import SessionError
from simulator.console.visibility import redact
from simulator.drill.hints import HintRefused, ask_hint
from simulator.drill.incident import new_incident_id
from simulator.remediation.actions import ACTIONS
from simulator.remediation.availability import unavailable_reasons

router = APIRouter(prefix="/api/incident")
Text = Field(default="", max_length=4000)


class Ack(BaseModel):
    page_id: str | None = Field(default=None, max_length=64)


class SeverityBody(BaseModel):
    severity: str = Field(max_length=8)
    evidence: str = Text


class AssignBody(BaseModel):
    team: str = Field(max_length=32)
    evidence: str = Text


class StatusBody(BaseModel):
    status: str = Field(max_length=32)


class UpdateBody(BaseModel):
    fields: dict[str, str] = Field(max_length=20)


# An action's argument can be a list (`accounts.reset a@x.org,b@y.org,...`: every account a
# stuffing drill opened), so it is bounded well above one name.
MAX_ARG_CHARS = 4096


class ActionBody(BaseModel):
    action: str = Field(max_length=64)
    arg: str | None = Field(default=None, max_length=MAX_ARG_CHARS)
    evidence: str = Text
    confirm: bool = False


def _event(event: Any) -> dict[str, Any]:
    return {"seq": event.seq, "type": event.type, "t": event.t}


@router.post("/declare")
async def declare(session: SessionDep, who: Responder) -> dict[str, Any]:
    """Open the incident before anything paged (a responder noticed first)."""
    live = session.require_running()
    event = live.drill.responses.declare(who.actor, new_incident_id())
    incident = live.drill.responses.incident
    assert incident is not None
    return {"incident_id": incident.id, "declared": event is not None}


@router.post("/ack")
async def acknowledge(
    session: SessionDep, who: Responder, body: Ack | None = None
) -> dict[str, Any]:
    """Acknowledge the page (stops the escalation ladder's unacknowledged rungs)."""
    live = session.require_running()
    page_id = body.page_id if body and body.page_id else _first_page(live.log.of_type("page.sent"))
    return _event(live.drill.responses.acknowledge(who.actor, page_id))


def _first_page(pages: list[Any]) -> str | None:
    return str(pages[0].data.get("page_id")) if pages else None


@router.post("/severity")
async def severity(session: SessionDep, who: Responder, body: SeverityBody) -> dict[str, Any]:
    """Classify the incident (P0-P3, the playbook's definitions)."""
    live = session.require_running()
    sev = body.severity.strip().upper()
    return _event(live.drill.responses.set_severity(who.actor, sev, body.evidence or None))


class NotifyBody(BaseModel):
    channel: str = Field(max_length=40)
    evidence: str = Field(default="", max_length=2000)


@router.post("/notify")
async def notify(session: SessionDep, who: Responder, body: NotifyBody) -> dict[str, Any]:
    """Tell people: page_all, page_primary, slack or ticket (the playbook's rules)."""
    live = session.require_running()
    channel = body.channel.strip().lower()
    return _event(live.drill.responses.notify(who.actor, channel, body.evidence or None))


@router.post("/assign")
async def assign(session: SessionDep, who: Responder, body: AssignBody) -> dict[str, Any]:
    """Route the incident to a team."""
    live = session.require_running()
    team = body.team.strip().lower()
    return _event(live.drill.responses.assign(who.actor, team, body.evidence or None))


@router.post("/status")
async def status(session: SessionDep, who: Responder, body: StatusBody) -> dict[str, Any]:
    """Move the incident along NEW -> INVESTIGATING -> IDENTIFIED -> MONITORING -> RESOLVED."""
    live = session.require_running()
    return _event(live.drill.responses.set_status(who.actor, body.status.strip().upper()))


@router.post("/update")
async def update(session: SessionDep, who: Responder, body: UpdateBody) -> dict[str, Any]:
    """Post an update with the playbook's Incident Update Template fields."""
    live = session.require_running()
    fields = {k: v.strip()[:4000] for k, v in body.fields.items() if v.strip()}
    return _event(live.drill.responses.post_update(who.actor, fields))


@router.post("/action")
async def action(session: SessionDep, who: Responder, body: ActionBody) -> dict[str, Any]:
    """Run a remediation for real; needs `confirm: true` (the runbook asks first)."""
    live = session.require_running()
    if body.action not in ACTIONS:
        raise SessionError(
            f"unknown action '{body.action}'; the runbook lists {', '.join(ACTIONS)}"
        )
    if not body.confirm:
        raise SessionError(f"{body.action} acts on the real service: confirm it (confirm: true)")
    why = unavailable_reasons(live.drill.state_dir, [body.action]).get(body.action)
    if why is not None:  # refused before it runs: nothing happened, nothing is charged
        raise SessionError(
            f"{body.action} cannot act here: {why}; nothing was run and it costs nothing"
            " (`chaosdrill incident show` lists the actions that can act)"
        )
    event = await live.drill.responses.run_action(
        who.actor, body.action, body.arg or None, evidence=body.evidence or None
    )
    detail = redact(str(event.data.get("detail", "")), live.drill.id)
    return {**_event(event), "result": event.data.get("result"), "detail": detail}


@router.post("/hint")
async def hint(session: SessionDep, who: Responder) -> dict[str, Any]:
    """Ask for the scenario's next hint (each one asked for costs points)."""
    live = session.require_running()
    try:
        text = ask_hint(live.log, live.scenario, who.actor)
    except HintRefused as exc:
        raise SessionError(str(exc)) from None
    return {"text": text, "asked": len(live.log.of_type("hint.given"))}
