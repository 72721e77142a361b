"""The chaos proxy's data path: every toxic against real sockets on 127.0.0.1.

An echo server (plain threads and sockets) is the upstream; clients are plain
sockets. Timing asserts are lower bounds (the toxic really delayed) with generous
upper bounds, since the machine is shared.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from simulator.proxy import ProxyServerThread

pytestmark = pytest.mark.integration

IO_TIMEOUT_S = 5.0


class EchoServer:
    """A threaded TCP echo server on 127.0.0.1:0."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            thread = threading.Thread(target=self._echo, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _echo(self, conn: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self._stop.set()
        for conn in self._conns:
            conn.close()
        for thread in self._threads:
            thread.join(2)
        self.sock.close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def chaos() -> Iterator[ProxyServerThread]:
    with ProxyServerThread(seed=1234) as server:
        yield server


@pytest.fixture
def api(chaos: ProxyServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=chaos.api_url, timeout=IO_TIMEOUT_S) as client:
        yield client


@pytest.fixture
def port(api: httpx.Client, echo: EchoServer) -> int:
    """A proxy named `echo` in front of the echo server; the port it listens on."""
    created = api.post("/proxies", json={"name": "echo", "upstream": f"127.0.0.1:{echo.port}"})
    assert created.status_code == 201, created.text
    return int(created.json()["listen"].rsplit(":", 1)[1])


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    buf = bytearray()
    while len(buf) < size:
        data = sock.recv(size - len(buf))
        if not data:
            break
        buf += data
    return bytes(buf)


def roundtrip(sock: socket.socket, payload: bytes = b"ping") -> float:
    """Seconds for `payload` to come back through the proxy; asserts it came back intact."""
    start = time.monotonic()
    sock.sendall(payload)
    assert recv_exactly(sock, len(payload)) == payload
    return time.monotonic() - start


# The toxics here are slow enough (>= 1 s) that "no longer delayed by it" is a
# behaviour, not a race with a busy machine's scheduler.


def wait_until_no_toxics(api: httpx.Client, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while api.get("/proxies/echo/toxics").json():
        assert time.monotonic() < deadline, "the toxic was not removed at its TTL"
        time.sleep(0.05)


def add_toxic(api: httpx.Client, **toxic: object) -> dict[str, object]:
    response = api.post("/proxies/echo/toxics", json=toxic)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_bytes_pass_intact_both_ways(port: int) -> None:
    payload = os.urandom(1 << 20)
    with connect(port) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        assert recv_exactly(sock, len(payload)) == payload
        sender.join()


def test_latency_delays_the_response_by_at_least_the_setting(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="latency", attributes={"latency": 300})
    with connect(port) as sock:
        elapsed = roundtrip(sock)
    assert elapsed >= 0.3  # a much longer delay would end in the socket's timeout


def test_upstream_latency_delays_the_request(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="latency", stream="upstream", attributes={"latency": 250})
    with connect(port) as sock:
        assert roundtrip(sock) >= 0.25


def test_jitter_varies_the_delay_within_its_range(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="latency", attributes={"latency": 100, "jitter": 80})
    with connect(port) as sock:
        delays = [roundtrip(sock) for _ in range(12)]
    assert min(delays) >= 0.02
    # Uniform over 20..180 ms: twelve draws all within 25 ms of each other is ~impossible.
    assert max(delays) - min(delays) > 0.025


def test_toxics_come_and_go_on_an_open_connection(port: int, api: httpx.Client) -> None:
    with connect(port) as sock:
        roundtrip(sock)
        add_toxic(api, name="slow", type="latency", attributes={"latency": 1000})
        assert roundtrip(sock) >= 1.0
        slower = {"attributes": {"latency": 1500}}
        assert api.post("/proxies/echo/toxics/slow", json=slower).json()["attributes"] == {
            "latency": 1500,
            "jitter": 0,
        }
        assert roundtrip(sock) >= 1.5
        assert api.delete("/proxies/echo/toxics/slow").status_code == 204
        assert roundtrip(sock) < 1.0  # no longer delayed by the toxic


def test_disabled_proxy_refuses_and_drops_then_works_again(port: int, api: httpx.Client) -> None:
    with connect(port) as sock:
        roundtrip(sock)
        assert api.post("/proxies/echo", json={"enabled": False}).json()["enabled"] is False
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""  # dropped
    with pytest.raises(ConnectionRefusedError):
        connect(port)
    assert api.post("/proxies/echo", json={"enabled": True}).json()["enabled"] is True
    with connect(port) as sock:
        roundtrip(sock)  # echoes intact again


def test_disable_with_ttl_reenables_by_itself(port: int, api: httpx.Client) -> None:
    body = api.post("/proxies/echo", json={"enabled": False, "ttl_s": 1.5}).json()
    assert body["enabled"] is False and 0 < body["reenable_in_s"] <= 1.5
    with pytest.raises(ConnectionRefusedError):
        connect(port)
    deadline = time.monotonic() + 6
    while not api.get("/proxies/echo").json()["enabled"]:
        assert time.monotonic() < deadline, "proxy was not re-enabled at its TTL"
        time.sleep(0.05)
    with connect(port) as sock:
        roundtrip(sock)


def test_down_toxic_resets_new_and_existing_connections(
    port: int, api: httpx.Client, echo: EchoServer
) -> None:
    with connect(port) as open_conn:
        roundtrip(open_conn)
        add_toxic(api, type="down")
        with pytest.raises((ConnectionResetError, BrokenPipeError, AssertionError)):
            roundtrip(open_conn)
    accepted = echo.accepted
    assert not echoes(port)
    assert echo.accepted == accepted  # the upstream never saw the refused connection


def test_reset_peer_gives_the_client_a_connection_reset(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="reset_peer", attributes={"timeout": 200})
    with connect(port) as sock:
        start = time.monotonic()
        sock.sendall(b"ping")
        with pytest.raises(ConnectionResetError):
            sock.recv(4)
        assert time.monotonic() - start >= 0.2


def test_timeout_zero_blackholes_until_removed(port: int, api: httpx.Client) -> None:
    with connect(port) as sock:
        add_toxic(api, name="hole", type="timeout", attributes={"timeout": 0})
        sock.sendall(b"ping")
        sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            sock.recv(4)
        api.delete("/proxies/echo/toxics/hole")
        sock.settimeout(IO_TIMEOUT_S)
        # We hold (not drop) what arrived meanwhile, so the stream stays whole.
        assert recv_exactly(sock, 4) == b"ping"


def test_timeout_closes_the_connection_after_the_setting(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="timeout", attributes={"timeout": 300})
    start = time.monotonic()  # before connecting: the countdown starts when the proxy accepts
    with connect(port) as sock:
        sock.sendall(b"ping")
        assert sock.recv(4) == b""
        assert time.monotonic() - start >= 0.3  # recv's own timeout bounds it above


def test_bandwidth_caps_throughput(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="bandwidth", attributes={"rate": 100})  # 100 KB/s
    payload = os.urandom(60_000)
    with connect(port) as sock:
        elapsed = roundtrip(sock, payload)
    assert elapsed >= 0.6  # 60 KB at 100 KB/s


def test_slicer_delivers_every_byte_in_order(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="slicer", attributes={"average_size": 700, "size_variation": 300})
    add_toxic(api, type="slicer", stream="upstream", attributes={"average_size": 64, "delay": 10})
    payload = os.urandom(100_000)
    with connect(port) as sock:
        roundtrip(sock, payload)  # asserts every byte came back, in order


def test_limit_data_closes_after_the_limit(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="limit_data", attributes={"bytes": 100})
    with connect(port) as sock:
        sock.sendall(os.urandom(1000))
        received = recv_exactly(sock, 1000)
    assert len(received) == 100


def echoes(port: int) -> bool:
    """Whether a new connection through the proxy echoes; False if it is reset or closed."""
    try:
        with connect(port) as sock:
            sock.sendall(b"ping")
            return recv_exactly(sock, 4) == b"ping"
    except (ConnectionResetError, BrokenPipeError):
        return False


def count_refused(port: int, attempts: int) -> int:
    return sum(not echoes(port) for _ in range(attempts))


@pytest.mark.parametrize(("toxicity", "low", "high"), [(0.0, 0, 0), (1.0, 30, 30)])
def test_toxicity_zero_never_and_one_always_applies(
    port: int, api: httpx.Client, toxicity: float, low: int, high: int
) -> None:
    add_toxic(api, type="down", toxicity=toxicity)
    assert low <= count_refused(port, 30) <= high


def test_toxicity_half_applies_to_about_half_the_connections(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="down", toxicity=0.5)
    # Binomial(80, 0.5): 20..60 is beyond 4 standard deviations.
    assert 20 <= count_refused(port, 80) <= 60


def test_toxic_ttl_removes_it_by_itself(port: int, api: httpx.Client) -> None:
    with connect(port) as sock:
        roundtrip(sock)
        added = time.monotonic()
        toxic = add_toxic(api, type="latency", attributes={"latency": 1000}, ttl_s=2.0)
        assert toxic["ttl_s"] == 2.0
        assert roundtrip(sock) >= 1.0
        wait_until_no_toxics(api)
        assert time.monotonic() - added >= 2.0
        assert roundtrip(sock) < 1.0  # no longer delayed by the toxic


def test_default_ttl_applies_to_toxics_without_one(echo: EchoServer) -> None:
    with (
        ProxyServerThread(default_ttl_s=0.4) as chaos,
        httpx.Client(base_url=chaos.api_url) as api,
    ):
        api.post("/proxies", json={"name": "echo", "upstream": f"127.0.0.1:{echo.port}"})
        added = time.monotonic()
        toxic = add_toxic(api, type="timeout")
        assert toxic["ttl_s"] == 0.4
        wait_until_no_toxics(api)
        assert time.monotonic() - added >= 0.4


def test_reset_enables_every_proxy_and_removes_every_toxic(port: int, api: httpx.Client) -> None:
    add_toxic(api, type="latency", attributes={"latency": 4000})
    api.post("/proxies/echo", json={"enabled": False})
    assert api.post("/reset").status_code == 204
    proxy = api.get("/proxies/echo").json()
    assert proxy["enabled"] is True and proxy["toxics"] == []
    with connect(port) as sock:
        assert roundtrip(sock) < 4.0  # not delayed by the 4 s toxic
