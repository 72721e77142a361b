"""A client of the chaos proxy's Toxiproxy-compatible control API."""

from __future__ import annotations

from typing import Any

import httpx

from simulator.env.http import client


class ProxyError(RuntimeError):
    """The proxy refused or could not be reached; the message says which."""


class ProxyClient:
    def __init__(self, api_url: str, timeout_s: float = 3.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = client().request(
                method, self.api_url + path, json=body, timeout=self.timeout_s
            )
        except httpx.HTTPError as exc:
            raise ProxyError(
                f"chaos proxy at {self.api_url} unreachable: {type(exc).__name__}"
            ) from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("error", response.text)
            except ValueError:
                detail = response.text
            raise ProxyError(f"chaos proxy {method} {path}: {response.status_code} {detail}")
        return response.json() if response.content else None

    def create_proxy(self, name: str, listen: str, upstream: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST",
            "/proxies",
            {"name": name, "listen": listen, "upstream": upstream, "enabled": True},
        )
        return result

    def proxies(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/proxies")
        return result

    def set_enabled(self, name: str, enabled: bool, ttl_s: float | None = None) -> None:
        body: dict[str, Any] = {"enabled": enabled}
        if ttl_s is not None:
            body["ttl_s"] = ttl_s
        self._call("POST", f"/proxies/{name}", body)

    def set_upstream(self, name: str, upstream: str) -> None:
        """Point the proxy at another server; its open connections are dropped."""
        self._call("POST", f"/proxies/{name}", {"upstream": upstream, "enabled": True})

    def add_toxic(
        self,
        proxy: str,
        name: str,
        kind: str,
        attributes: dict[str, Any],
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        ttl_s: float | None = None,
    ) -> None:
        body: dict[str, Any] = {
            "name": name,
            "type": kind,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes,
        }
        if ttl_s is not None:
            body["ttl_s"] = ttl_s
        self._call("POST", f"/proxies/{proxy}/toxics", body)

    def extend_toxic(self, proxy: str, name: str, ttl_s: float) -> None:
        """A new deadline for a toxic: `ttl_s` seconds from now."""
        self._call("POST", f"/proxies/{proxy}/toxics/{name}", {"ttl_s": ttl_s})

    def remove_toxic(self, proxy: str, name: str) -> bool:
        try:
            self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")
        except ProxyError as exc:
            if " 404 " in str(exc):
                return False
            raise
        return True

    def toxics(self, proxy: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", f"/proxies/{proxy}/toxics")
        return result

    def proxy(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", f"/proxies/{name}")
        return result

    def reset(self) -> None:
        self._call("POST", "/reset")
