"""One shared HTTP client for talking to the environment's own services.

Creating an httpx client builds a TLS context (tens of milliseconds); the
fault layer talks to loopback services many times a second, so it keeps one.
"""

from __future__ import annotations

import atexit
import threading

import httpx

_client: httpx.Client | None = None
_lock = threading.Lock()


def client() -> httpx.Client:
    """The process-wide client (thread-safe; plain HTTP to 127.0.0.1 only)."""
    global _client
    with _lock:
        if _client is None:
            _client = httpx.Client(timeout=3.0, trust_env=False)
            atexit.register(_client.close)  # no unclosed keep-alive sockets at exit
        return _client
