"""The chaos proxy: an asyncio TCP proxy with Toxiproxy's API, and TTLs on every fault.

    python -m simulator.proxy --api 127.0.0.1:8474 [--config proxies.json] [--default-ttl 300]

In-process: `ProxyServer` (async `start`/`stop`) or `ProxyServerThread` (sync).
Toxic types are registered in `TOXIC_KINDS`.
"""

from simulator.proxy.api import VERSION
from simulator.proxy.errors import ApiError
from simulator.proxy.server import ProxyServer
from simulator.proxy.thread import ProxyServerThread
from simulator.proxy.toxics import TOXIC_KINDS

__all__ = ["TOXIC_KINDS", "VERSION", "ApiError", "ProxyServer", "ProxyServerThread"]
