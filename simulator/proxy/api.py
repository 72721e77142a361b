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

Errors are `{"error": "...", "status": N}` with that HTTP status. HTTP itself
(keep-alive, chunked bodies, `Expect: 100-continue`) is Starlette's and
uvicorn's. Like Toxiproxy's API it refuses browsers (a `Mozilla/` user agent),
so a web page cannot drive the loopback API behind the user's back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.proxy.errors import ApiError
from simulator.proxy.registry import ProxyRegistry

__all__ = ["MAX_BODY", "VERSION", "build_app"]

log = logging.getLogger("simulator.proxy")

# Toxiproxy's API version 2, served by chaosdrill's proxy.
VERSION = "2.0.0-chaosdrill"
MAX_BODY = 1024 * 1024

# (path parameters, decoded JSON body) -> (status, JSON body or None for no body)
Handler = Callable[[dict[str, str], object], Awaitable[tuple[int, object]]]


def _json_response(status: int, body: object) -> Response:
    if body is None:
        return Response(status_code=status)
    # A trailing newline, as Go's json.Encoder writes.
    content = json.dumps(body) + "\n"
    return Response(content, status_code=status, media_type="application/json")


def _error_response(exc: ApiError) -> Response:
    return _json_response(exc.status, exc.to_json())


async def _read_json(request: Request) -> object:
    """The decoded JSON body (None when empty), whatever the framing (length or chunked)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(f"body larger than {MAX_BODY} bytes", 413)
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError.bad_body(f"not valid JSON ({exc})") from None


def _endpoint(handler: Handler, reads_body: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if request.headers.get("user-agent", "").startswith("Mozilla/"):
                raise ApiError("User agent not allowed", 403)
            body = await _read_json(request) if reads_body else None
            status, payload = await handler(dict(request.path_params), body)
        except ApiError as exc:
            return _error_response(exc)
        except Exception as exc:
            # A bug in one handler answers 500 with its cause and is logged with its
            # traceback; the API (and every proxy on this loop) keeps running.
            log.exception("api handler failed")
            return _json_response(500, {"error": f"internal error: {exc}", "status": 500})
        return _json_response(status, payload)

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    """No such route or method, in Toxiproxy's error shape instead of Starlette's text."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f"method {request.method} not allowed on {request.url.path}"
    elif exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}"
    else:
        message = str(exc.detail)
    return _error_response(ApiError(message, exc.status_code))


def build_app(registry: ProxyRegistry) -> Starlette:
    """The control API over `registry`, as an ASGI app."""
    # Changes that await (binding, closing) run one at a time, so two requests
    # cannot both create the same name or interleave a populate.
    changing = asyncio.Lock()

    async def version(params: dict[str, str], body: object) -> tuple[int, object]:
        return 200, {"version": VERSION}

    async def reset(params: dict[str, str], body: object) -> tuple[int, object]:
        async with changing:
            await registry.reset()
        return 204, None

    async def list_proxies(params: dict[str, str], body: object) -> tuple[int, object]:
        return 200, {name: registry.proxy_json(p) for name, p in registry.proxies.items()}

    async def create_proxy(params: dict[str, str], body: object) -> tuple[int, object]:
        async with changing:
            proxy = await registry.create(body)
        return 201, registry.proxy_json(proxy)

    async def populate(params: dict[str, str], body: object) -> tuple[int, object]:
        try:
            async with changing:
                proxies = await registry.populate(body)
        except ApiError as exc:
            return exc.status, {**exc.to_json(), "proxies": []}
        return 201, {"proxies": [registry.proxy_json(p) for p in proxies]}

    async def show_proxy(params: dict[str, str], body: object) -> tuple[int, object]:
        return 200, registry.proxy_json(registry.get(params["proxy"]))

    async def update_proxy(params: dict[str, str], body: object) -> tuple[int, object]:
        async with changing:
            proxy = await registry.update(params["proxy"], body)
        return 200, registry.proxy_json(proxy)

    async def delete_proxy(params: dict[str, str], body: object) -> tuple[int, object]:
        async with changing:
            await registry.delete(params["proxy"])
        return 204, None

    async def list_toxics(params: dict[str, str], body: object) -> tuple[int, object]:
        proxy = registry.get(params["proxy"])
        return 200, [registry.toxic_json(t) for t in proxy.toxics.values()]

    async def create_toxic(params: dict[str, str], body: object) -> tuple[int, object]:
        return 200, registry.toxic_json(registry.add_toxic(params["proxy"], body))

    async def show_toxic(params: dict[str, str], body: object) -> tuple[int, object]:
        proxy = registry.get(params["proxy"])
        return 200, registry.toxic_json(proxy.get_toxic(params["toxic"]))

    async def update_toxic(params: dict[str, str], body: object) -> tuple[int, object]:
        proxy = registry.get(params["proxy"])
        return 200, registry.toxic_json(proxy.update_toxic(params["toxic"], body))

    async def delete_toxic(params: dict[str, str], body: object) -> tuple[int, object]:
        registry.get(params["proxy"]).remove_toxic(params["toxic"])
        return 204, None

    def route(path: str, methods: str, handler: Handler) -> Route:
        reads_body = methods not in ("GET", "DELETE")
        return Route(path, _endpoint(handler, reads_body), methods=methods.split("|"))

    routes = [
        route("/version", "GET", version),
        route("/reset", "POST", reset),
        route("/proxies", "GET", list_proxies),
        route("/proxies", "POST", create_proxy),
        route("/populate", "POST", populate),
        route("/proxies/{proxy}", "GET", show_proxy),
        route("/proxies/{proxy}", "POST|PATCH", update_proxy),
        route("/proxies/{proxy}", "DELETE", delete_proxy),
        route("/proxies/{proxy}/toxics", "GET", list_toxics),
        route("/proxies/{proxy}/toxics", "POST", create_toxic),
        route("/proxies/{proxy}/toxics/{toxic}", "GET", show_toxic),
        route("/proxies/{proxy}/toxics/{toxic}", "POST|PATCH", update_toxic),
        route("/proxies/{proxy}/toxics/{toxic}", "DELETE", delete_toxic),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
