"""`host:port` strings as Toxiproxy writes them (`127.0.0.1:8474`, `[::]:8474`)."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.proxy.errors import ApiError

__all__ = ["Address", "parse_address"]


@dataclass(frozen=True)
class Address:
    """A TCP endpoint; `host` has no brackets, even for IPv6."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_address(text: str, field: str) -> Address:
    """Parse `host:port` (IPv6 in brackets); raise a 400 naming `field` when malformed."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not host:
        raise ApiError(f"{field} {text!r} is not host:port (for example 127.0.0.1:8080)", 400)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ApiError(f"{field} {text!r}: write IPv6 hosts in brackets, like [::1]:8080", 400)
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ApiError(f"{field} {text!r} has no valid port (0-65535)", 400)
    return Address(host, int(port_text))
