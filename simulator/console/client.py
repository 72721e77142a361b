"""A client of the console's API: what `chaosdrill incident ...`, tests and benchmarks use.

It speaks the same JSON API as the pages, with the token in the header, so a
responder in a terminal is exactly as able (and as limited) as one in a browser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from simulator.console.auth import HEADER

__all__ = ["ConsoleClient", "ConsoleClientError", "parse_link"]

TIMEOUT_S = 30.0


class ConsoleClientError(ValueError):
    """The console refused or could not be reached; the message is one sentence."""


def parse_link(url: str, token: str | None) -> tuple[str, str]:
    """(base URL, token) from a console URL and a token, or from a join link alone."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConsoleClientError(
            f"'{url}' is not a console URL; pass e.g. --url http://127.0.0.1:8000 (or set"
            " CHAOSDRILL_CONSOLE_URL)"
        )
    base = f"{parts.scheme}://{parts.netloc}"
    segments = [s for s in parts.path.split("/") if s]
    if not token and len(segments) >= 2 and segments[0] in ("join", "c"):
        token = segments[1]  # a join link carries its token
    if not token:
        raise ConsoleClientError(
            "no token: pass --token (or set CHAOSDRILL_TOKEN), or use your join link as --url"
        )
    return base, token


class ConsoleClient:
    def __init__(self, url: str, token: str | None = None, timeout_s: float = TIMEOUT_S) -> None:
        self.base, self.token = parse_link(url, token)
        self._http = httpx.Client(
            base_url=self.base, headers={HEADER: self.token}, timeout=timeout_s
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ConsoleClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        try:
            response = self._http.request(
                method, path, json=body, params={k: v for k, v in params.items() if v is not None}
            )
        except httpx.HTTPError as exc:
            raise ConsoleClientError(
                f"cannot reach the console at {self.base} ({type(exc).__name__}); is the drill"
                " still running?"
            ) from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise ConsoleClientError(str(detail))
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self._call("GET", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("POST", path, body if body is not None else {})

    # -- the responder's verbs ------------------------------------------------------
    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/api/state")
        return result

    def ack(self) -> Any:
        return self.post("/api/incident/ack")

    def severity(self, severity: str) -> Any:
        return self.post("/api/incident/severity", {"severity": severity})

    def notify(self, channel: str) -> Any:
        return self.post("/api/incident/notify", {"channel": channel})

    def assign(self, team: str) -> Any:
        return self.post("/api/incident/assign", {"team": team})

    def status(self, status: str) -> Any:
        return self.post("/api/incident/status", {"status": status})

    def update(self, fields: dict[str, str]) -> Any:
        return self.post("/api/incident/update", {"fields": fields})

    def action(self, name: str, arg: str | None = None, evidence: str = "") -> Any:
        body = {"action": name, "arg": arg, "evidence": evidence, "confirm": True}
        return self.post("/api/incident/action", body)

    def hint(self) -> Any:
        return self.post("/api/incident/hint")

    def review(self, fields: dict[str, str], action_items: list[dict[str, str]]) -> Any:
        return self.post("/api/review", {"fields": fields, "action_items": action_items})

    def stream(self, since: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
        """(kind, data) for every SSE message: hello, drill events, phase changes."""
        with httpx.Client(
            base_url=self.base, headers={HEADER: self.token}, timeout=httpx.Timeout(5, read=None)
        ) as http:
            try:
                with http.stream("GET", "/api/stream", params={"since": since}) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise ConsoleClientError(response.json().get("detail", "refused"))
                    kind = "message"
                    for line in response.iter_lines():
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: "):
                            yield kind, json.loads(line[6:])
                            kind = "message"
            except httpx.HTTPError as exc:
                raise ConsoleClientError(
                    f"the stream from {self.base} ended ({type(exc).__name__})"
                ) from None
