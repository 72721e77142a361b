"""A typed, synchronous client of the proxy's control API, for the engine's faults.

    client = ProxyClient("http://127.0.0.1:8474")
    client.add_toxic("db", "latency", {"latency": 200}, ttl_s=120)
    client.remove_toxic("db", "latency_downstream")   # idempotent: fine if expired

Errors the API reports come back as `ApiError` with its status and sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from simulator.proxy.errors import ApiError

__all__ = ["ProxyClient", "ProxyInfo", "ToxicInfo"]

TIMEOUT_S = 5.0


@dataclass(frozen=True)
class ToxicInfo:
    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int]
    ttl_s: float | None = None
    expires_in_s: float | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ToxicInfo:
        return cls(
            name=data["name"],
            type=data["type"],
            stream=data["stream"],
            toxicity=data["toxicity"],
            attributes=data["attributes"],
            ttl_s=data.get("ttl_s"),
            expires_in_s=data.get("expires_in_s"),
        )


@dataclass(frozen=True)
class ProxyInfo:
    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: list[ToxicInfo] = field(default_factory=list)
    reenable_in_s: float | None = None

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProxyInfo:
        return cls(
            name=data["name"],
            listen=data["listen"],
            upstream=data["upstream"],
            enabled=data["enabled"],
            toxics=[ToxicInfo.from_json(t) for t in data.get("toxics", [])],
            reenable_in_s=data.get("reenable_in_s"),
        )


class ProxyClient:
    """Talks to one proxy process (or in-process server) over its loopback API."""

    def __init__(self, api_url: str, timeout_s: float = TIMEOUT_S) -> None:
        self._http = httpx.Client(base_url=api_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProxyClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, body: object = None) -> Any:
        response = self._http.request(method, path, json=body)
        if response.status_code >= 400:
            try:
                message = str(response.json()["error"])
            except (ValueError, KeyError, TypeError):
                message = response.text.strip() or response.reason_phrase
            raise ApiError(message, response.status_code)
        return response.json() if response.content else None

    def version(self) -> str:
        return str(self._call("GET", "/version")["version"])

    def proxies(self) -> dict[str, ProxyInfo]:
        return {k: ProxyInfo.from_json(v) for k, v in self._call("GET", "/proxies").items()}

    def proxy(self, name: str) -> ProxyInfo:
        return ProxyInfo.from_json(self._call("GET", f"/proxies/{name}"))

    def create_proxy(
        self, name: str, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> ProxyInfo:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return ProxyInfo.from_json(self._call("POST", "/proxies", body))

    def populate(self, proxies: list[dict[str, object]]) -> list[ProxyInfo]:
        return [ProxyInfo.from_json(p) for p in self._call("POST", "/populate", proxies)["proxies"]]

    def set_enabled(self, name: str, enabled: bool, ttl_s: float | None = None) -> ProxyInfo:
        """Enable or disable; a disable with `ttl_s` is undone by the proxy itself."""
        body: dict[str, object] = {"enabled": enabled}
        if ttl_s is not None:
            body["ttl_s"] = ttl_s
        return ProxyInfo.from_json(self._call("POST", f"/proxies/{name}", body))

    def delete_proxy(self, name: str) -> None:
        self._call("DELETE", f"/proxies/{name}")

    def toxics(self, proxy: str) -> list[ToxicInfo]:
        return [ToxicInfo.from_json(t) for t in self._call("GET", f"/proxies/{proxy}/toxics")]

    def add_toxic(
        self,
        proxy: str,
        type: str,
        attributes: dict[str, int] | None = None,
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
        ttl_s: float | None = None,
    ) -> ToxicInfo:
        body: dict[str, object] = {
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes or {},
        }
        if name is not None:
            body["name"] = name
        if ttl_s is not None:
            body["ttl_s"] = ttl_s
        return ToxicInfo.from_json(self._call("POST", f"/proxies/{proxy}/toxics", body))

    def remove_toxic(self, proxy: str, name: str) -> bool:
        """Remove a toxic; False if it was already gone (expired or removed), so reverts repeat."""
        try:
            self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")
        except ApiError as exc:
            if exc.status == 404 and exc.message.startswith("toxic not found"):
                return False
            raise
        return True

    def reset(self) -> None:
        self._call("POST", "/reset")
