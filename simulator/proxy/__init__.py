"""The chaos proxy: an asyncio TCP proxy with Toxiproxy's API, and TTLs on every fault.

    python -m simulator.proxy --api 127.0.0.1:8474 [--config proxies.json] [--default-ttl 300]

In-process: `ProxyServer` (async `start`/`stop`) or `ProxyServerThread` (sync).
As a process: `start_proxy_process(workdir, proxies=[...], default_ttl_s=...)`.
Driving it: `simulator.env.proxy_client.ProxyClient(api_url)` or any Toxiproxy client.
Toxic types are registered in `TOXIC_KINDS`.

Where we differ from Toxiproxy, on purpose:
- TTLs: a toxic may carry `ttl_s` (or get `--default-ttl`), a disable too; the
  proxy undoes them by itself at the deadline, so a dead engine leaves nothing
  broken for longer than that.
- `down` is also a toxic (per connection, with toxicity): it resets the
  connections it applies to. Disabling the proxy (`enabled: false`) closes the
  listener and drops every connection, as in Toxiproxy.
- `timeout` holds data instead of dropping it, and lets it through if the toxic
  is removed before the close; the byte stream stays whole.
- `reset_peer` always resets the client's side (SO_LINGER 0), upstream or downstream.
- A connection decides once per toxic whether the toxic applies to it (when it
  connects, or when the toxic is added or updated).
- A busy listen port is a 400 with a sentence, not a 500.
- Not implemented: `/metrics`.

As Toxiproxy does: unknown fields and attributes are ignored, stream names are
read in any case, chunked bodies and `Expect: 100-continue` work (the API is a
Starlette app on uvicorn, on the proxies' own event loop).
"""

from simulator.proxy.api import VERSION
from simulator.proxy.errors import ApiError
from simulator.proxy.process import start_proxy_process
from simulator.proxy.server import ProxyServer
from simulator.proxy.thread import ProxyServerThread
from simulator.proxy.toxics import TOXIC_KINDS

__all__ = [
    "TOXIC_KINDS",
    "VERSION",
    "ApiError",
    "ProxyServer",
    "ProxyServerThread",
    "start_proxy_process",
]
