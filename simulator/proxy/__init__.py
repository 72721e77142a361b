"""The chaos proxy: an asyncio TCP proxy with Toxiproxy's API, and TTLs on every fault.

    python -m simulator.proxy --api 127.0.0.1:8474 [--config proxies.json] [--default-ttl 300]

In-process: `ProxyServer` (async `start`/`stop`) or `ProxyServerThread` (sync).
As a process: `start_proxy_process(workdir, proxies=[...], default_ttl_s=...)`.
Driving it: `ProxyClient(api_url)` (typed) or any Toxiproxy client.
Toxic types are registered in `TOXIC_KINDS`.
"""

from simulator.proxy.api import VERSION
from simulator.proxy.client import ProxyClient, ProxyInfo, ToxicInfo
from simulator.proxy.errors import ApiError
from simulator.proxy.process import start_proxy_process
from simulator.proxy.server import ProxyServer
from simulator.proxy.thread import ProxyServerThread
from simulator.proxy.toxics import TOXIC_KINDS

__all__ = [
    "TOXIC_KINDS",
    "VERSION",
    "ApiError",
    "ProxyClient",
    "ProxyInfo",
    "ProxyServer",
    "ProxyServerThread",
    "ToxicInfo",
    "start_proxy_process",
]
