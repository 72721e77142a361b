"""The control API: Toxiproxy's resource paths, methods, status codes and JSON shapes.

| method | path | answer |
|---|---|---|
| GET | /version | 200 `{"version"}` |
| POST | /reset | 204 (every proxy enabled, every toxic removed) |
| GET | /proxies | 200 `{name: proxy}` |
| POST | /proxies | 201 proxy; 409 if the name exists |
| POST | /populate | 201 `{"proxies": [proxy]}` |
| GET, POST/PATCH, DELETE | /proxies/{proxy} | 200 proxy, 200 proxy, 204 |
| GET, POST | /proxies/{proxy}/toxics | 200 [toxic], 200 toxic |
| GET, POST/PATCH, DELETE | /proxies/{proxy}/toxics/{toxic} | 200 toxic, 200 toxic, 204 |

Errors are `{"error": "...", "status": N}` with that HTTP status.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from simulator.proxy.errors import ApiError
from simulator.proxy.http import Request, Response, Router

if TYPE_CHECKING:
    from simulator.proxy.server import ProxyServer

__all__ = ["VERSION", "build_router"]

# Toxiproxy's API version 2, served by chaosdrill's proxy.
VERSION = "2.0.0-chaosdrill"


def build_router(server: ProxyServer) -> Router:
    """The routes of the control API over `server`."""
    router = Router()
    # Changes that await (binding, closing) run one at a time, so two requests
    # cannot both create the same name or interleave a populate.
    changing = asyncio.Lock()

    async def version(request: Request) -> Response:
        return Response(200, {"version": VERSION})

    async def reset(request: Request) -> Response:
        async with changing:
            await server.reset()
        return Response(204)

    async def list_proxies(request: Request) -> Response:
        return Response(200, {name: server.proxy_json(p) for name, p in server.proxies.items()})

    async def create_proxy(request: Request) -> Response:
        async with changing:
            proxy = await server.create(request.json())
        return Response(201, server.proxy_json(proxy))

    async def populate(request: Request) -> Response:
        try:
            async with changing:
                proxies = await server.populate(request.json())
        except ApiError as exc:
            return Response(exc.status, {**exc.to_json(), "proxies": []})
        return Response(201, {"proxies": [server.proxy_json(p) for p in proxies]})

    async def show_proxy(request: Request) -> Response:
        return Response(200, server.proxy_json(server.get(request.params["proxy"])))

    async def update_proxy(request: Request) -> Response:
        async with changing:
            proxy = await server.update(request.params["proxy"], request.json())
        return Response(200, server.proxy_json(proxy))

    async def delete_proxy(request: Request) -> Response:
        async with changing:
            await server.delete(request.params["proxy"])
        return Response(204)

    async def list_toxics(request: Request) -> Response:
        proxy = server.get(request.params["proxy"])
        return Response(200, [server.toxic_json(t) for t in proxy.toxics.values()])

    async def create_toxic(request: Request) -> Response:
        toxic = server.add_toxic(request.params["proxy"], request.json())
        return Response(200, server.toxic_json(toxic))

    async def show_toxic(request: Request) -> Response:
        proxy = server.get(request.params["proxy"])
        return Response(200, server.toxic_json(proxy.get_toxic(request.params["toxic"])))

    async def update_toxic(request: Request) -> Response:
        proxy = server.get(request.params["proxy"])
        toxic = proxy.update_toxic(request.params["toxic"], request.json())
        return Response(200, server.toxic_json(toxic))

    async def delete_toxic(request: Request) -> Response:
        server.get(request.params["proxy"]).remove_toxic(request.params["toxic"])
        return Response(204)

    router.add("GET", "/version", version)
    router.add("POST", "/reset", reset)
    router.add("GET", "/proxies", list_proxies)
    router.add("POST", "/proxies", create_proxy)
    router.add("POST", "/populate", populate)
    router.add("GET", "/proxies/{proxy}", show_proxy)
    router.add("POST|PATCH", "/proxies/{proxy}", update_proxy)
    router.add("DELETE", "/proxies/{proxy}", delete_proxy)
    router.add("GET", "/proxies/{proxy}/toxics", list_toxics)
    router.add("POST", "/proxies/{proxy}/toxics", create_toxic)
    router.add("GET", "/proxies/{proxy}/toxics/{toxic}", show_toxic)
    router.add("POST|PATCH", "/proxies/{proxy}/toxics/{toxic}", update_toxic)
    router.add("DELETE", "/proxies/{proxy}/toxics/{toxic}", delete_toxic)
    return router
