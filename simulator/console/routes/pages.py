"""The server-rendered pages. A page's URL carries its holder's token (`/c/TOKEN/page`):
links cannot set headers, and several people may share one browser. The page hands
the token to its script, which sends it as a header on every state-changing call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from simulator.console.auth import DUTIES, Principal, Role
from simulator.console.deps import SessionDep
from simulator.console.routes.read import report_html
from simulator.console.session import ConsoleSession
from simulator.console.snapshot import snapshot
from simulator.remediation.actions import ACTIONS
from simulator.remediation.availability import unavailable_reasons

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))


def duration(seconds: float) -> str:
    """300 -> '5 min', 3600 -> '1 h', 86400 -> '24 h' (the playbook's own words)."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


templates.env.filters["duration"] = duration

# role -> (page, label) in navigation order; the first is the role's home.
PAGES: dict[Role, list[tuple[str, str]]] = {
    Role.TRAINEE: [
        ("incident", "Incident"),
        ("dashboards", "Dashboards"),
        ("logs", "Logs"),
        ("diagnostics", "Diagnostics"),
        ("runbook", "Runbook"),
        ("timeline", "Timeline"),
        ("review", "Review"),
        ("scorecard", "Scorecard"),
    ],
    Role.FACILITATOR: [
        ("control", "Control room"),
        ("dashboards", "Dashboards"),
        ("timeline", "Timeline"),
        ("scorecard", "Scorecards"),
    ],
    Role.OBSERVER: [
        ("dashboards", "Dashboards"),
        ("timeline", "Timeline"),
        ("scorecard", "Scorecard"),
    ],
}


def _principal(session: Any, token: str) -> Principal:
    principal: Principal | None = session.tokens.get(token)
    if principal is None:
        raise HTTPException(404, "this link is not valid for this console; ask for a new one")
    return principal


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> Response:
    return templates.TemplateResponse(request, "landing.html.j2", {"title": "chaosdrill"})


@router.get("/join/{token}", response_model=None)
def join_link(request: Request, session: SessionDep, token: str) -> Response:
    """A join link: the open one asks for a name; personal ones go to their home page."""
    principal = _principal(session, token)
    if principal.role is Role.JOIN:
        return templates.TemplateResponse(
            request,
            "join.html.j2",
            {
                "title": "Join the drill",
                "token": token,
                "duties": DUTIES,
                "state": snapshot(session, principal),
            },
        )
    return RedirectResponse(f"/c/{token}/", status_code=303)


@router.get("/c/{token}/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, token: str) -> Response:
    principal = _principal(session, token)
    if principal.role is Role.JOIN:
        return RedirectResponse(f"/join/{token}", status_code=303)
    return _render(request, session, principal, PAGES[principal.role][0][0])


@router.get("/c/{token}/report", response_class=HTMLResponse)
def report_page(session: SessionDep, token: str) -> Response:
    """The drill's self-contained HTML report, once it is scored."""
    principal = _principal(session, token)
    if principal.role is Role.JOIN:
        raise HTTPException(404, "there is no report for a join link")
    return report_html(session, principal)


@router.get("/c/{token}/{page}", response_class=HTMLResponse)
def page(request: Request, session: SessionDep, token: str, page: str) -> Response:
    principal = _principal(session, token)
    if principal.role is Role.JOIN or page not in dict(PAGES[principal.role]):
        raise HTTPException(404, f"there is no page '{page}' for the {principal.role}")
    return _render(request, session, principal, page)


def _render(request: Request, session: Any, who: Principal, page: str) -> Response:
    cannot = _cannot(session)
    context = {
        "title": dict(PAGES[who.role])[page],
        "page": page,
        "who": who,
        "duty": DUTIES.get(who.duty, ""),
        "nav": PAGES[who.role],
        "token": who.token,
        "state": snapshot(session, who),
        "playbook": session.playbook,
        "actions": [a for a in ACTIONS.values() if a.name not in cannot],
    }
    return templates.TemplateResponse(request, f"{page}.html.j2", context)


def _cannot(session: ConsoleSession) -> dict[str, str]:
    """The toolbox shows only the actions that can act in this drill's environment."""
    if session.live is None:
        return {}
    return unavailable_reasons(session.live.drill.state_dir, list(ACTIONS))
