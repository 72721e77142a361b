"""Looking at the service: the diagnostic views and the shop's logs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from simulator.console.deps import Responder, SessionDep
from simulator.console.logs import tail_logs
from simulator.console.session import SessionError
from simulator.console.visibility import redact
from simulator.drill.diagnostics import VIEWS
from simulator.env.state import load_state

router = APIRouter(prefix="/api")


@router.get("/diagnostics")
def views(_who: Responder) -> list[str]:
    """The names of the diagnostic views."""
    return list(VIEWS)


@router.get("/diagnostics/{name}")
async def diagnostic(session: SessionDep, who: Responder, name: str) -> dict[str, Any]:
    """One diagnostic view of the running service (recorded as diagnostic.viewed)."""
    live = session.require_running()
    if name not in VIEWS:
        raise SessionError(f"unknown view '{name}'; views are {', '.join(VIEWS)}")
    result = await live.drill.responses.diagnose(who.actor, name)
    return dict(redact(result, live.drill.id))


@router.get("/logs")
def logs(
    session: SessionDep,
    who: Responder,
    level: str = Query("all", pattern="^(all|debug|info|warning|error)$"),
    q: str = Query("", max_length=200),
    route: str = Query("", max_length=200),
    status: str = Query("", pattern="^(|2xx|3xx|4xx|5xx)$"),
    limit: int = Query(200, ge=1, le=1000),
    record: bool = True,
) -> dict[str, Any]:
    """The tail of the shop's log, filtered; `record=false` for the page's follow polls."""
    live = session.require_running()
    env = load_state(live.drill.state_dir)
    if env is None:
        raise SessionError("the service is not up yet; wait for the drill to start")
    lines = tail_logs(env, level=level, text=q, route=route, status=status, limit=limit)
    if record:
        live.log.append("diagnostic.viewed", {"name": "logs"}, who.actor)
    return {"lines": lines, "filters": {"level": level, "q": q, "route": route, "status": status}}
