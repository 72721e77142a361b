"""`ProxyRegistry`: the proxies and their toxics, as the control API changes them.

It knows nothing of HTTP: `simulator.proxy.api` maps requests onto it, and
`simulator.proxy.server` serves that API next to the proxies on one event loop.
"""

from __future__ import annotations

import asyncio
import logging
import random

from simulator.proxy.addresses import Address, parse_address
from simulator.proxy.errors import ApiError
from simulator.proxy.model import ProxyInput, ProxyUpdate, Toxic, parse_body, toxic_from_json
from simulator.proxy.proxy import Proxy

__all__ = ["ProxyRegistry"]

log = logging.getLogger("simulator.proxy")


class ProxyRegistry:
    """Toxiproxy-compatible proxies with TTLs on toxics and on disabled proxies."""

    def __init__(self, *, default_ttl_s: float = 0.0, seed: int | None = None) -> None:
        if default_ttl_s < 0:
            raise ValueError("the default TTL must be 0 (none) or a positive number of seconds")
        self.default_ttl_s = default_ttl_s
        self.rng = random.Random(seed)
        self.proxies: dict[str, Proxy] = {}

    async def close(self) -> None:
        """Stop every proxy, dropping their connections."""
        proxies = list(self.proxies.values())
        self.proxies.clear()
        for proxy in proxies:
            proxy.close()
        await asyncio.gather(*(proxy.wait_closed() for proxy in proxies))

    # Proxies ----------------------------------------------------------------

    def get(self, name: str) -> Proxy:
        try:
            return self.proxies[name]
        except KeyError:
            raise ApiError.proxy_not_found(name) from None

    async def create(self, body: object) -> Proxy:
        """Create and (unless `enabled` is false) start a proxy; 409 if the name is taken."""
        spec = parse_body(ProxyInput, body, "proxy")
        spec.require_fields()
        if spec.name in self.proxies:
            raise ApiError.proxy_exists(spec.name)
        proxy = Proxy(spec.name, *self._addresses(spec), self.rng)
        if spec.enabled:
            await proxy.start()
        self.proxies[spec.name] = proxy
        return proxy

    async def populate(self, body: object) -> list[Proxy]:
        """Create or replace a list of proxies: all of them, or (on an error) none."""
        if not isinstance(body, list):
            raise ApiError.bad_body("populate takes a JSON array of proxies")
        specs: list[tuple[ProxyInput, Address, Address]] = []
        for index, item in enumerate(body, start=1):
            spec = parse_body(ProxyInput, item, f"proxy {index}")
            if not spec.name:
                raise ApiError.missing_field(f"name at proxy {index}")
            spec.require_fields()
            if any(seen.name == spec.name for seen, _, _ in specs):
                raise ApiError.bad_body(f"duplicate proxy name {spec.name!r}")
            specs.append((spec, *self._addresses(spec)))
        applied: list[tuple[str, Proxy | None, bool, Proxy]] = []
        result = []
        try:
            for spec, listen, upstream in specs:
                existing = self.proxies.get(spec.name)
                if existing and (existing.listen, existing.upstream) == (listen, upstream):
                    result.append(existing)  # unchanged, as Toxiproxy leaves it
                    continue
                proxy = Proxy(spec.name, listen, upstream, self.rng)
                applied.append((spec.name, existing, bool(existing and existing.enabled), proxy))
                if existing:
                    existing.stop()
                if spec.enabled:
                    await proxy.start()
                self.proxies[spec.name] = proxy
                result.append(proxy)
        except ApiError:
            await self._undo(applied)
            raise
        for _, old, _, _ in applied:
            if old is not None:
                old.close()
        return result

    async def _undo(self, applied: list[tuple[str, Proxy | None, bool, Proxy]]) -> None:
        for name, old, old_enabled, new in reversed(applied):
            new.close()
            if old is None:
                self.proxies.pop(name, None)
                continue
            self.proxies[name] = old
            if old_enabled:
                try:
                    await old.start()
                except ApiError as exc:
                    log.error("restore failed", extra={"proxy": name, "error": exc.message})

    async def update(self, name: str, body: object) -> Proxy:
        """Change listen/upstream/enabled; disabling may carry `ttl_s` (or the default TTL)."""
        proxy = self.get(name)
        spec = parse_body(ProxyUpdate, body, "proxy update")
        listen = proxy.listen if spec.listen is None else parse_address(spec.listen, "listen")
        upstream = (
            proxy.upstream if spec.upstream is None else parse_address(spec.upstream, "upstream")
        )
        enabled = proxy.enabled if spec.enabled is None else spec.enabled
        ttl_s = spec.ttl_s
        if not enabled and proxy.enabled and ttl_s is None and self.default_ttl_s > 0:
            ttl_s = self.default_ttl_s
        await proxy.update(listen, upstream, enabled, ttl_s)
        return proxy

    async def delete(self, name: str) -> None:
        proxy = self.get(name)
        del self.proxies[name]
        proxy.close()
        await proxy.wait_closed()

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic, as Toxiproxy's `POST /reset`.

        Every proxy is tried; a proxy that cannot listen again is named in one error.
        """
        failed = []
        for proxy in self.proxies.values():
            proxy.reset_toxics()
            try:
                await proxy.start()
            except ApiError as exc:
                failed.append(f"{proxy.name} ({exc.message})")
        if failed:
            raise ApiError(f"toxics removed, but could not re-enable: {'; '.join(failed)}", 409)

    # Toxics -----------------------------------------------------------------

    def add_toxic(self, proxy_name: str, body: object) -> Toxic:
        proxy = self.get(proxy_name)
        toxic = toxic_from_json(body, self.default_ttl_s)
        proxy.add_toxic(toxic)
        return toxic

    # JSON views -------------------------------------------------------------

    def proxy_json(self, proxy: Proxy) -> dict[str, object]:
        now = asyncio.get_running_loop().time()
        return {
            "name": proxy.name,
            "listen": str(proxy.listen),
            "upstream": str(proxy.upstream),
            "enabled": proxy.enabled,
            "toxics": [toxic.to_json(now) for toxic in proxy.toxics.values()],
            "reenable_in_s": proxy.reenable_in_s(),
        }

    def toxic_json(self, toxic: Toxic) -> dict[str, object]:
        return toxic.to_json(asyncio.get_running_loop().time())

    def _addresses(self, spec: ProxyInput) -> tuple[Address, Address]:
        return parse_address(spec.listen, "listen"), parse_address(spec.upstream, "upstream")
