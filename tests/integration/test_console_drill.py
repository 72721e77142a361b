"""The console against a real drill (db-lock on SQLite) served by `chaosdrill run`.

One drill for the module, in order: every endpoint x every role; nothing of the
answer key in anything a trainee or observer can fetch or stream; a responder
working the incident from the terminal; the facilitator's controls; review,
scoring and per-person scorecards; user text escaped in the report.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from scoring.playbook import load_playbook
from simulator.console.app import create_app
from simulator.console.live import DrillSettings
from simulator.console.process import ConsoleProcess, start_console_drill
from simulator.console.routes.pages import PAGES
from simulator.console.session import ConsoleSession
from simulator.scenario.loader import find_scenario

pytestmark = pytest.mark.integration

F, T, OBS, J = "facilitator", "trainee:alice", "observer", "join"
ALL = frozenset({F, T, OBS})
XSS = '<img src=x onerror="document.title=1">'
SCENARIO = find_scenario("db-lock")


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleProcess]:
    running = start_console_drill(
        tmp_path_factory.mktemp("console"),
        trainees=["alice:commander", "bob:operations"],
        args=["--start-now", "--review-window", "60"],
    )
    try:
        running.wait_for("page.sent", timeout_s=150)
        # The tests below take turns on one drill; on a loaded machine they can outlast
        # the scenario's time limit and the fault's TTL, so the facilitator gives the
        # drill the time it needs, as one would in a real session.
        with running.client(F) as facilitator:
            facilitator.post("/api/facilitator/extend", {"seconds": 600})
        yield running
    finally:
        running.stop()


def _http(drill: ConsoleProcess, who: str | None) -> httpx.Client:
    headers = {"X-Chaosdrill-Token": drill.token(who)} if who else {}
    return httpx.Client(base_url=drill.url, headers=headers, timeout=30)


# (method, route) -> (roles allowed, concrete path, body, statuses an allowed role gets).
# Bodies of state-changing calls are invalid on purpose: they prove the role passed the
# check (422/409, not 401/403) without aborting or ending the drill under test.
MATRIX: dict[tuple[str, str], tuple[frozenset[str], str, Any, set[int]]] = {
    ("GET", "/api/me"): (ALL, "/api/me", None, {200}),
    ("GET", "/api/state"): (ALL, "/api/state", None, {200}),
    ("GET", "/api/events"): (ALL, "/api/events", None, {200}),
    ("GET", "/api/stream"): (ALL, "/api/stream", None, {200}),
    ("GET", "/api/slis"): (ALL, "/api/slis", None, {200}),
    ("GET", "/api/playbook"): (ALL, "/api/playbook", None, {200}),
    ("GET", "/api/actions"): (ALL, "/api/actions", None, {200}),
    ("GET", "/api/scorecard"): (ALL, "/api/scorecard", None, {409}),
    ("GET", "/api/report"): (ALL, "/api/report", None, {409}),
    ("GET", "/api/diagnostics"): (frozenset({T}), "/api/diagnostics", None, {200}),
    ("GET", "/api/diagnostics/{name}"): (frozenset({T}), "/api/diagnostics/health", None, {200}),
    ("GET", "/api/logs"): (frozenset({T}), "/api/logs?record=false", None, {200}),
    ("POST", "/api/incident/declare"): (frozenset({T}), "/api/incident/declare", {}, {200}),
    ("POST", "/api/incident/ack"): (frozenset({T}), "/api/incident/ack", {"page_id": 5}, {422}),
    ("POST", "/api/incident/severity"): (
        frozenset({T}),
        "/api/incident/severity",
        {"severity": 5},
        {422},
    ),
    ("POST", "/api/incident/assign"): (frozenset({T}), "/api/incident/assign", {"team": 5}, {422}),
    ("POST", "/api/incident/status"): (
        frozenset({T}),
        "/api/incident/status",
        {"status": 5},
        {422},
    ),
    ("POST", "/api/incident/update"): (
        frozenset({T}),
        "/api/incident/update",
        {"fields": 5},
        {422},
    ),
    ("POST", "/api/incident/action"): (
        frozenset({T}),
        "/api/incident/action",
        {"action": "db.kill_long_queries"},
        {409},
    ),
    ("POST", "/api/incident/notify"): (
        frozenset({T}),
        "/api/incident/notify",
        {"channel": 5},
        {422},
    ),
    # A trainee may ask for a hint (200), or is told none is left to give (409).
    ("POST", "/api/incident/hint"): (frozenset({T}), "/api/incident/hint", {}, {200, 409}),
    ("POST", "/api/join"): (frozenset({J, F}), "/api/join", {"name": "no good!"}, {422}),
    ("POST", "/api/review"): (frozenset({T}), "/api/review", {"fields": {"why": "x"}}, {409}),
    ("GET", "/api/facilitator/scenarios"): (
        frozenset({F}),
        "/api/facilitator/scenarios",
        None,
        {200},
    ),
    ("GET", "/api/facilitator/fault-kinds"): (
        frozenset({F}),
        "/api/facilitator/fault-kinds",
        None,
        {200},
    ),
    ("GET", "/api/facilitator/links"): (frozenset({F}), "/api/facilitator/links", None, {200}),
    ("GET", "/api/facilitator/answer-key"): (
        frozenset({F}),
        "/api/facilitator/answer-key",
        None,
        {200},
    ),
    ("POST", "/api/facilitator/scenario"): (
        frozenset({F}),
        "/api/facilitator/scenario",
        {"id": "db-lock"},
        {409},
    ),
    ("POST", "/api/facilitator/participants"): (
        frozenset({F}),
        "/api/facilitator/participants",
        {"name": "no good!"},
        {422},
    ),
    ("POST", "/api/facilitator/start"): (frozenset({F}), "/api/facilitator/start", {}, {409}),
    ("POST", "/api/facilitator/abort"): (
        frozenset({F}),
        "/api/facilitator/abort",
        {"reason": 5},
        {422},
    ),
    ("POST", "/api/facilitator/hint"): (
        frozenset({F}),
        "/api/facilitator/hint",
        {"index": 99},
        {409},
    ),
    ("POST", "/api/facilitator/inject"): (
        frozenset({F}),
        "/api/facilitator/inject",
        {"kind": "no.such"},
        {409},
    ),
    ("POST", "/api/facilitator/extend"): (
        frozenset({F}),
        "/api/facilitator/extend",
        {"seconds": 0},
        {422},
    ),
    ("POST", "/api/facilitator/score"): (frozenset({F}), "/api/facilitator/score", {}, {409}),
    ("POST", "/api/facilitator/next"): (frozenset({F}), "/api/facilitator/next", {}, {409}),
    ("POST", "/api/facilitator/end"): (frozenset({F}), "/api/facilitator/end", {}, {422}),
}
PAGE_ROUTES = {"/", "/join/{token}", "/c/{token}/", "/c/{token}/report", "/c/{token}/{page}"}


def _endpoints(routes: list[Any]) -> Iterator[tuple[str, str]]:
    for route in routes:
        if hasattr(route, "original_router"):  # an included router (newer FastAPI)
            yield from _endpoints(route.original_router.routes)
        elif getattr(route, "methods", None):
            yield from ((m, route.path) for m in route.methods - {"HEAD"})


def test_the_matrix_covers_every_route() -> None:
    app = create_app(ConsoleSession(DrillSettings(playbook=load_playbook())))
    routes = set(_endpoints(app.routes))
    assert routes == set(MATRIX) | {("GET", p) for p in PAGE_ROUTES}


def _call(client: httpx.Client, method: str, path: str, body: Any) -> int:
    if path == "/api/stream":
        with client.stream("GET", path) as response:
            return response.status_code
    return client.request(method, path, json=body).status_code


def test_every_endpoint_checks_the_role(drill: ConsoleProcess) -> None:
    wrong: list[str] = []
    for (method, route), (allowed, path, body, ok) in MATRIX.items():
        for who in (None, F, T, OBS, J):
            with _http(drill, who) as client:
                status = _call(client, method, path, body)
            expected = {401} if who is None else ok if who in allowed else {403}
            if status not in expected:
                wrong.append(f"{method} {route} as {who}: {status}, expected {sorted(expected)}")
    assert not wrong, "\n".join(wrong)


def test_tokens_ride_only_in_headers_except_for_reading_streams(drill: ConsoleProcess) -> None:
    token = drill.token(T)
    with httpx.Client(base_url=drill.url, timeout=30) as client:
        # A link or form elsewhere could put a token in a URL: never enough to change state.
        assert client.post(f"/api/incident/ack?token={token}", json={}).status_code == 401
        assert client.get(f"/api/state?token={token}").status_code == 401
        with client.stream("GET", f"/api/stream?token={token}") as response:
            assert response.status_code == 200
        assert client.get("/api/state", headers={"Cookie": f"token={token}"}).status_code == 401


def test_pages_per_role(drill: ConsoleProcess) -> None:
    every = {slug for pages in PAGES.values() for slug, _ in pages}
    with httpx.Client(base_url=drill.url, timeout=30) as client:
        for who, role in ((F, "facilitator"), (T, "trainee"), (OBS, "observer")):
            mine = {slug for slug, _ in PAGES[role]}  # type: ignore[index]
            for slug in every:
                status = client.get(f"/c/{drill.token(who)}/{slug}").status_code
                assert status == (200 if slug in mine else 404), (who, slug, status)
            home = client.get(f"/join/{drill.token(who)}")
            assert home.status_code == 303
        assert client.get(f"/join/{drill.token(J)}").status_code == 200
        assert client.get("/c/not-a-token/incident").status_code == 404
        headers = client.get(f"/c/{drill.token(T)}/incident").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"


def _forbidden(drill: ConsoleProcess) -> list[str]:
    """What a trainee must not see: the answer key, the faults, hints not given yet."""
    with drill.client(F) as client:
        events = client.get("/api/events")
    given = {e["data"].get("text") for e in events if e["type"] == "hint.given"}
    fault_ids = [e["data"]["fault_id"] for e in events if e["type"] == "fault.injected"]
    expected = SCENARIO.expected
    return [
        expected.root_cause,
        "root_cause_area",
        '"expected"',
        "answer_key",
        "fault.injected",
        "fault.reverted",
        "db.lock",
        SCENARIO.id,  # ids name the cause, and the drill id (and its paths) start with it
        "harmful",
        '"remediations"',
        *fault_ids,
        *[h.text for h in SCENARIO.hints if h.text not in given],
    ]


def _stream_text(drill: ConsoleProcess, who: str, seconds: float = 3.0) -> str:
    chunks: list[str] = []
    deadline = time.monotonic() + seconds
    with _http(drill, who) as client, client.stream("GET", "/api/stream?since=0") as response:
        for chunk in response.iter_text():
            chunks.append(chunk)
            if time.monotonic() > deadline:
                break
    return "".join(chunks)


def test_nothing_a_trainee_or_observer_sees_holds_the_answer_key(drill: ConsoleProcess) -> None:
    seen: dict[str, str] = {}
    for who in (T, OBS):
        with _http(drill, who) as client:
            for path in (
                "/api/me",
                "/api/state",
                "/api/events",
                "/api/slis",
                "/api/playbook",
                "/api/actions",
                "/api/scorecard",
            ):
                seen[f"{who} {path}"] = client.get(path).text
            for role, pages in PAGES.items():
                if role.value == who.split(":")[0]:
                    for slug, _ in pages:
                        seen[f"{who} page {slug}"] = client.get(
                            f"/c/{drill.token(who)}/{slug}"
                        ).text
        seen[f"{who} stream"] = _stream_text(drill, who)
    with _http(drill, T) as client:
        for view in client.get("/api/diagnostics").json():
            seen[f"diagnostics {view}"] = client.get(f"/api/diagnostics/{view}").text
        seen["logs"] = client.get("/api/logs?limit=1000").text
    assert '"sli.sample"' in seen[f"{T} stream"] and '"page.sent"' in seen[f"{T} stream"]
    # Read after looking: a hint the drill gave while we looked may be seen.
    forbidden = _forbidden(drill)
    leaks = [
        f"{where}: {word!r}" for where, text in seen.items() for word in forbidden if word in text
    ]
    assert not leaks, "\n".join(leaks)
    assert not re.search(r"/chaos/", seen["logs"]), "the engine's chaos calls reached the log view"


def _cli(drill: ConsoleProcess, who: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHAOSDRILL_CONSOLE_URL": drill.url, "CHAOSDRILL_TOKEN": drill.token(who)}
    return subprocess.run(
        [sys.executable, "-m", "simulator.cli", "incident", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_responder_works_the_incident_from_a_terminal(drill: ConsoleProcess) -> None:
    bob = "trainee:bob"
    watch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "incident",
            "--url",
            f"{drill.url}/join/{drill.token(bob)}",
            "watch",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        steps = [
            (T, "ack"),
            (T, "severity", "P1"),
            (bob, "assign", "dba"),
            (T, "status", "INVESTIGATING"),
            (bob, "diagnose", "database"),
            (bob, "status", "IDENTIFIED"),
            (bob, "action", "db.kill_long_queries", "--yes", "--why", "a process holds shop.db"),
            (
                T,
                "update",
                f"Orders fail {XSS}",
                "--impact",
                "a tenth of requests",
                "--next-steps",
                "watch the SLIs",
            ),
            (T, "status", "MONITORING"),
        ]
        for who, *args in steps:
            done = _cli(drill, who, *args)
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        refused = _cli(drill, T, "status", "NEW")
        assert refused.returncode == 2
        assert "cannot go from MONITORING to NEW" in refused.stderr
        assert "Traceback" not in refused.stderr
        with drill.client(F) as client:
            mine = [e for e in client.get("/api/events") if e["actor"].startswith("trainee:")]
        by = {e["type"]: e["actor"] for e in mine}
        assert by["incident.acknowledged"] == T and by["incident.assigned"] == bob
        actions = [e for e in mine if e["type"] == "action.executed"]
        assert actions[0]["data"]["result"] == "ok" and actions[0]["actor"] == bob
        time.sleep(2)
    finally:
        watch.terminate()
        out, _ = watch.communicate(timeout=30)
    assert "acknowledged the page" in out and "ran db.kill_long_queries" in out
    assert "fault" not in out


def test_facilitator_hint_time_and_extra_fault(drill: ConsoleProcess) -> None:
    with drill.client(F) as facilitator, drill.client(T) as trainee:
        facilitator.post("/api/facilitator/hint", {"text": "Check the database view."})
        assert "Check the database view." in trainee.state()["live"]["hints"]
        before = trainee.state()["live"]["clock"]["deadline_t"]
        facilitator.post("/api/facilitator/extend", {"seconds": 60})
        assert trainee.state()["live"]["clock"]["deadline_t"] == pytest.approx(before + 60)
        fault = facilitator.post(
            "/api/facilitator/inject",
            {"kind": "app.latency", "params": {"ms": 1}, "ttl_s": 120},
        )
        injected = [e for e in facilitator.get("/api/events") if e["type"] == "fault.injected"]
        assert injected[-1]["data"]["fault_id"] == fault["fault_id"]
        assert injected[-1]["actor"] == "facilitator"
        assert fault["fault_id"] not in json.dumps(trainee.get("/api/events"))


def test_review_scoring_and_scorecards_per_person(drill: ConsoleProcess) -> None:
    drill.wait_for("service.recovered", timeout_s=150)
    bob = "trainee:bob"
    with drill.client(T) as alice, drill.client(bob) as bobs, drill.client(OBS) as observer:
        alice.status("RESOLVED")
        for client in (alice, bobs):
            client.post("/api/review", {"fields": {"what_happened": f"lock {XSS}", "why": "tx"}})
        deadline = time.monotonic() + 120
        while not alice.state()["live"]["scored"] and time.monotonic() < deadline:
            time.sleep(1)
        card = alice.get("/api/scorecard")
        assert card["mine"]["name"] == "alice" and card["mine"]["role"] == "commander"
        assert card["answer"]["team"] == "dba"  # revealed only now that it is over
        assert "participants" not in card
        assert "participants" not in observer.get("/api/scorecard")
    with drill.client(F) as facilitator:
        cards = facilitator.get("/api/scorecard")
        assert {p["name"] for p in cards["participants"]} == {"alice", "bob"}
        facilitator.post("/api/facilitator/end", {"confirm": True})
    assert drill.proc.wait(60) == 0
    report = (drill.report_dir / "report.html").read_text()
    assert XSS not in report and "&lt;img src=x" in report
    scorecard = json.loads((drill.report_dir / "scorecard.json").read_text())
    assert "alice" in json.dumps(scorecard) and "bob" in json.dumps(scorecard)
