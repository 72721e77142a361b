"""The facilitator's controls: pick, start, abort, hint, inject, extend, score, next."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from scoring.names import FAULT_KINDS
from simulator.console.auth import DUTIES
from simulator.console.deps import FacilitatorOnly, SessionDep
from simulator.console.session import SessionError
from simulator.console.snapshot import paragraphs
from simulator.faults.registry import check_params, get_kind

router = APIRouter(prefix="/api/facilitator")
MAX_EXTRA_TTL_S = 3600.0


class ScenarioBody(BaseModel):
    id: str = Field(max_length=64)


class PersonBody(BaseModel):
    name: str = Field(max_length=64)
    duty: str = Field(default="operations", max_length=32)


class AbortBody(BaseModel):
    reason: str = Field(default="aborted by the facilitator", max_length=500)


class HintBody(BaseModel):
    text: str | None = Field(default=None, max_length=2000)
    index: int | None = Field(default=None, ge=0)


class InjectBody(BaseModel):
    kind: str = Field(max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)
    ttl_s: float = Field(default=300.0, gt=0, le=MAX_EXTRA_TTL_S)


class EndBody(BaseModel):
    confirm: bool


class ExtendBody(BaseModel):
    seconds: float = Field(gt=0, le=3600)


@router.get("/scenarios")
def scenarios(session: SessionDep, _who: FacilitatorOnly) -> list[dict[str, Any]]:
    """The scenario library, for the picker."""
    library = [session.scenario] if session.single and session.scenario else session.library()
    return [
        {
            "id": s.id,
            "title": s.title,
            "difficulty": s.difficulty,
            "tags": s.tags,
            "database": s.target.database,
            "time_limit_s": s.time_limit_s,
            "briefing": paragraphs(s.briefing),
        }
        for s in library
        if s is not None
    ]


@router.get("/fault-kinds")
def fault_kinds(_who: FacilitatorOnly) -> list[dict[str, str]]:
    """The fault kinds the facilitator can inject, with what each does."""
    return [{"kind": kind, "summary": get_kind(kind).summary} for kind in FAULT_KINDS]


@router.post("/scenario")
async def choose(session: SessionDep, _who: FacilitatorOnly, body: ScenarioBody) -> dict[str, str]:
    scenario = session.choose(body.id)
    return {"id": scenario.id, "title": scenario.title}


@router.get("/links")
def links(session: SessionDep, _who: FacilitatorOnly) -> dict[str, Any]:
    """Every join link of the session."""
    tokens = session.tokens
    return {
        "facilitator": session.link(tokens.facilitator),
        "observer": session.link(tokens.observer),
        "join": session.link(tokens.join),
        "trainees": [
            {"name": p.name, "duty": DUTIES[p.duty], "link": session.link(p)}
            for p in tokens.trainees()
        ],
    }


@router.post("/participants")
async def add_person(
    session: SessionDep, _who: FacilitatorOnly, body: PersonBody
) -> dict[str, str]:
    person = session.join(body.name, body.duty)
    return {"name": person.name, "link": session.link(person)}


@router.post("/start")
async def start(session: SessionDep, _who: FacilitatorOnly) -> dict[str, str]:
    live = session.start()
    return {"drill_id": live.drill.id}


@router.post("/abort")
async def abort(session: SessionDep, _who: FacilitatorOnly, body: AbortBody) -> dict[str, Any]:
    """Abort now; answers once every injected fault is reverted (or after 5 s)."""
    live = session.require_running()
    seconds = await live.abort(body.reason)
    return {"aborted": True, "faults_reverted_in_s": round(seconds, 3)}


@router.get("/answer-key")
def answer_key(session: SessionDep, _who: FacilitatorOnly) -> dict[str, Any]:
    """The scenario's faults, expectations and hints (facilitator only)."""
    scenario = session.live.scenario if session.live else session.scenario
    if scenario is None:
        raise SessionError("pick a scenario first")
    return {
        "id": scenario.id,
        "faults": [f.model_dump(mode="json") for f in scenario.faults],
        "expected": scenario.expected.model_dump(mode="json"),
        "hints": [h.model_dump(mode="json") for h in scenario.hints],
    }


@router.post("/hint")
async def hint(session: SessionDep, who: FacilitatorOnly, body: HintBody) -> dict[str, Any]:
    """Give one of the scenario's hints (`index`) or a free-text one."""
    live = session.require_running()
    if body.index is not None:
        hints = live.scenario.hints
        if body.index >= len(hints):
            raise SessionError(
                f"the scenario has {len(hints)} hint(s); index {body.index} is past them"
            )
        text = hints[body.index].text
    elif body.text and body.text.strip():
        text = body.text.strip()
    else:
        raise SessionError("write a hint or pick one of the scenario's")
    live.drill.give_hint(text, who.actor)
    return {"text": text}


@router.post("/inject")
async def inject(session: SessionDep, who: FacilitatorOnly, body: InjectBody) -> dict[str, str]:
    """An extra fault, now (validated like a scenario's faults)."""
    live = session.require_running()
    if body.kind not in FAULT_KINDS:
        raise SessionError(f"unknown fault kind '{body.kind}'; kinds are {', '.join(FAULT_KINDS)}")
    problem = check_params(body.kind, body.params)
    if problem:
        raise SessionError(problem)
    fault_id = await live.drill.inject_extra(body.kind, body.params, body.ttl_s, who.actor)
    return {"fault_id": fault_id}


@router.post("/extend")
async def extend(session: SessionDep, who: FacilitatorOnly, body: ExtendBody) -> dict[str, float]:
    live = session.require_running()
    await live.drill.extend(body.seconds, who.actor)
    return {"total_extra_s": live.drill.extra_s}


@router.post("/score")
async def score(session: SessionDep, _who: FacilitatorOnly) -> dict[str, str]:
    """Close the review window and score now."""
    live = session.require_live()
    if live.stage != "review":
        raise SessionError("scoring starts after the drill, during the review window")
    live.score_now()
    return {"stage": "scoring"}


@router.post("/next")
async def next_drill(session: SessionDep, _who: FacilitatorOnly) -> dict[str, str]:
    session.next_drill()
    return {"phase": session.phase}


@router.post("/end")
async def end(session: SessionDep, _who: FacilitatorOnly, body: EndBody) -> dict[str, str]:
    """End the whole session (aborts a running drill; results are still written)."""
    if not body.confirm:
        raise SessionError("ending the session stops the console for everyone: confirm it")
    if session.live is not None and session.live.stage == "running":
        await session.live.abort("the facilitator ended the session")
    session.request_close()
    return {"phase": "closing"}
