"""Joining a drill and the post-incident review."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from scoring.names import REVIEW_FIELDS
from simulator.console.deps import Joiner, Responder, SessionDep
from simulator.console.session import SessionError

router = APIRouter(prefix="/api")

# The playbook's review topics (Post-Incident Review) and its action-item table.


class JoinBody(BaseModel):
    name: str = Field(max_length=64)
    duty: str = Field(default="operations", max_length=32)


class ActionItem(BaseModel):
    item: str = Field(max_length=500)
    owner: str = Field(default="", max_length=100)
    due: str = Field(default="", max_length=32)
    status: str = Field(default="Open", max_length=32)


class ReviewBody(BaseModel):
    fields: dict[str, str] = Field(max_length=len(REVIEW_FIELDS))
    action_items: list[ActionItem] = Field(default_factory=list, max_length=20)


@router.post("/join")
async def join(session: SessionDep, _who: Joiner, body: JoinBody) -> dict[str, Any]:
    """Trade the open join link (or the facilitator's token) for a personal trainee link."""
    person = session.join(body.name, body.duty)
    return {
        "name": person.name,
        "duty": person.duty,
        "token": person.token,
        "link": session.link(person),
    }


@router.post("/review")
async def review(session: SessionDep, who: Responder, body: ReviewBody) -> dict[str, Any]:
    """Submit the post-incident review (once the incident is resolved or the drill is over)."""
    live = session.require_live()
    if live.stage in ("scoring", "scored"):
        raise SessionError("the drill has been scored; reviews are closed")
    if not live.incident_closed:
        raise SessionError("the review opens once the incident is resolved")
    unknown = set(body.fields) - set(REVIEW_FIELDS)
    if unknown:
        raise SessionError(
            f"unknown review field(s) {', '.join(sorted(unknown))}; fields are "
            f"{', '.join(REVIEW_FIELDS)}"
        )
    fields = {k: v.strip() for k, v in body.fields.items() if v.strip()}
    if not fields:
        raise SessionError("the review is empty; answer at least 'what happened'")
    items = [i.model_dump() for i in body.action_items if i.item.strip()]
    event = live.log.append(
        "review.submitted", {"fields": fields, "action_items": items}, who.actor
    )
    live.review_submitted(who.actor)
    return {"seq": event.seq}
