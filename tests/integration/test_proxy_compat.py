"""Toxiproxy differences that real clients hit, driven by `toxiproxy-python`,
httpx and a raw socket: slow_close, stream names in any case, unknown
attributes ignored, chunked bodies and `Expect: 100-continue`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from simulator.proxy import ProxyServerThread

pytestmark = pytest.mark.integration

NOWHERE = "127.0.0.1:9"  # an upstream nothing listens on
SLOW_CLOSE_MS = 400


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


@pytest.fixture
def chaos() -> Iterator[ProxyServerThread]:
    with ProxyServerThread() as server:
        yield server


@pytest.fixture
def hello_upstream() -> Iterator[int]:
    """A TCP server that says hello and closes each connection at once."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            with conn:
                conn.sendall(b"hello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(5)


def _hello_then_eof(port: int) -> tuple[bytes, float]:
    """The bytes before EOF, and how long EOF came after the first byte."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        data = conn.recv(100)
        first = time.monotonic()
        while chunk := conn.recv(100):
            data += chunk
        return data, time.monotonic() - first


def test_toxiproxy_python_drives_slow_close_and_mixed_case_streams(
    chaos: ProxyServerThread, hello_upstream: int
) -> None:
    toxiproxy = pytest.importorskip("toxiproxy", reason="dev extra toxiproxy-python missing")
    from toxiproxy.api import APIConsumer

    saved = (APIConsumer.host, APIConsumer.port)
    server = toxiproxy.Toxiproxy()
    server.update_api_consumer("127.0.0.1", port_of(chaos.api_url))
    try:
        proxy = server.create(upstream=f"127.0.0.1:{hello_upstream}", name="hello")
        port = port_of(proxy.listen)
        assert _hello_then_eof(port)[0] == b"hello"

        proxy.add_toxic(type="slow_close", name="slow", attributes={"delay": SLOW_CLOSE_MS})
        data, eof_after_s = _hello_then_eof(port)
        assert data == b"hello"  # the data passes at once; only the close waits
        assert eof_after_s >= SLOW_CLOSE_MS / 1000 * 0.9
        assert proxy.toxics()["slow"].attributes == {"delay": SLOW_CLOSE_MS}

        proxy.add_toxic(type="latency", stream="Upstream", attributes={"latency": 1})
        proxy.add_toxic(type="bandwidth", name="bw", stream="DOWNSTREAM")
        streams = {name: toxic.stream for name, toxic in proxy.toxics().items()}
        assert streams == {"slow": "downstream", "latency_Upstream": "upstream", "bw": "downstream"}

        proxy.destroy_toxic("slow")
        proxy.destroy_toxic("latency_Upstream")
        proxy.destroy_toxic("bw")
        assert proxy.toxics() == {}
        assert _hello_then_eof(port)[0] == b"hello"
    finally:
        server.destroy_all()
        APIConsumer.host, APIConsumer.port = saved


def test_unknown_fields_and_attributes_are_ignored_as_go_does(chaos: ProxyServerThread) -> None:
    with httpx.Client(base_url=chaos.api_url, timeout=10) as api:
        api.post("/proxies", json={"name": "db", "upstream": NOWHERE, "colour": "red"})
        body = {"type": "latency", "attributes": {"latency": 5, "latancy": 7}, "extra": 1}
        added = api.post("/proxies/db/toxics", json=body)
        assert added.status_code == 200
        assert added.json()["attributes"] == {"latency": 5, "jitter": 0}


def test_a_chunked_request_body_is_read(chaos: ProxyServerThread) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"name": "db", '
        yield b'"upstream": "' + NOWHERE.encode() + b'"}'

    with httpx.Client(base_url=chaos.api_url, timeout=10) as api:
        request = api.build_request("POST", "/proxies", content=body())
        assert request.headers["transfer-encoding"] == "chunked"
        created = api.send(request)
        assert created.status_code == 201 and created.json()["name"] == "db"


def test_expect_100_continue_is_answered_before_the_body(chaos: ProxyServerThread) -> None:
    body = b'{"name": "db", "upstream": "' + NOWHERE.encode() + b'"}'
    head = (
        "POST /proxies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port_of(chaos.api_url)), timeout=10) as conn:
        conn.sendall(head.encode())
        # The interim answer comes before we send any body: the server asked for it.
        assert conn.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        conn.sendall(body)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 ")
    assert b'"name": "db"' in answer
