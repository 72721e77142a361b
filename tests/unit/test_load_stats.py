"""Pure parts of the load figures: the wire messages, deltas, percentiles, aggregation."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from simulator.load.protocol import (
    EndMessage,
    EndpointTick,
    ErrorTick,
    ProtocolError,
    StartedMessage,
    TickMessage,
    encode,
    parse_message,
)
from simulator.load.reporter import StatsDeltas, error_text
from simulator.load.stats import TOTAL, LoadAggregate, percentile


def tick(t: float, *endpoints: EndpointTick, dt: float = 1.0, final: bool = False) -> TickMessage:
    return TickMessage(t=t, dt=dt, users=3, endpoints=list(endpoints), final=final)


def test_percentile_is_nearest_rank() -> None:
    hist = {10: 50, 20: 45, 300: 4, 900: 1}
    assert percentile(hist, 0.50) == 10.0
    assert percentile(hist, 0.95) == 20.0
    assert percentile(hist, 0.99) == 300.0
    assert percentile(hist, 1.0) == 900.0
    assert percentile({}, 0.5) is None
    assert percentile({7: 1}, 0.99) == 7.0


@pytest.mark.parametrize(
    "message",
    [
        StartedMessage(pid=42),
        EndMessage(exit_code=0),
        TickMessage(
            t=2.0,
            dt=1.0,
            users=5,
            endpoints=[EndpointTick("GET", "/products", 10, 1, {3: 9, 120: 1})],
            errors=[ErrorTick("GET", "/products", "HTTP 500", 1)],
        ),
    ],
)
def test_messages_survive_the_pipe(message: StartedMessage | EndMessage | TickMessage) -> None:
    line = encode(message)
    assert line.endswith("\n") and "\n" not in line[:-1]
    assert parse_message(line) == message


@pytest.mark.parametrize(
    "line",
    ["not json", "[1, 2]", '{"type": "nope"}', '{"type": "tick", "t": 1}', '{"type": "end"}'],
)
def test_foreign_lines_are_protocol_errors(line: str) -> None:
    with pytest.raises(ProtocolError):
        parse_message(line)


def test_snapshot_has_per_second_rates_and_running_totals() -> None:
    agg = LoadAggregate()
    first = agg.add(
        tick(
            1.0,
            EndpointTick("GET", "/products", 100, 0, {5: 90, 50: 10}),
            EndpointTick("POST", "/orders", 10, 2, {20: 10}),
        )
    )
    assert first is not None
    assert first.endpoints["GET /products"].rps == 100.0
    assert first.endpoints["POST /orders"].failures_per_s == 2.0
    assert first.total.requests == 110 and first.total.failures == 2
    assert first.total.p50_ms == 5.0

    second = agg.add(tick(2.0, EndpointTick("GET", "/products", 40, 0, {7: 40}), dt=0.5))
    assert second is not None
    products = second.endpoints["GET /products"]
    assert products.rps == 80.0  # 40 requests in half a second
    assert products.requests == 140  # total since the start
    assert products.p99_ms == 7.0  # this interval only
    idle = second.endpoints["POST /orders"]
    assert (idle.rps, idle.requests, idle.failures, idle.p50_ms) == (0.0, 10, 2, None)
    assert second.total.name == TOTAL and second.total.requests == 150


def test_short_final_piece_counts_in_the_summary_but_is_no_second() -> None:
    agg = LoadAggregate()
    agg.add(tick(1.0, EndpointTick("GET", "/products", 10, 0, {5: 10})))
    assert (
        agg.add(tick(1.1, EndpointTick("GET", "/products", 2, 1, {9: 2}), dt=0.1, final=True))
        is None
    )
    summary = agg.summary()
    assert summary.duration_s == 1.1
    assert summary.total.requests == 12 and summary.total.failures == 1
    assert summary.endpoints["GET /products"].rps == round(12 / 1.1, 3)
    assert summary.total.p99_ms == 9.0
    # A distributed run's late reports do not dilute the rate past the configured duration.
    assert agg.summary(max_duration_s=1.0).total.rps == 12.0


def test_summary_counts_errors_per_endpoint_most_frequent_first() -> None:
    agg = LoadAggregate()
    agg.add(
        TickMessage(
            t=1.0,
            dt=1.0,
            users=1,
            endpoints=[EndpointTick("GET", "/products/{id}", 5, 5, {1: 5})],
            errors=[
                ErrorTick("GET", "/products/{id}", "HTTP 500", 4),
                ErrorTick("GET", "/products/{id}", "timeout", 1),
            ],
        )
    )
    agg.add(
        TickMessage(
            t=2.0,
            dt=1.0,
            users=1,
            endpoints=[],
            errors=[ErrorTick("GET", "/products/{id}", "timeout", 5)],
        )
    )
    errors = agg.summary().errors
    assert [(e.endpoint, e.error, e.count) for e in errors] == [
        ("GET /products/{id}", "timeout", 6),
        ("GET /products/{id}", "HTTP 500", 4),
    ]


@dataclass
class Entry:
    """The attributes of Locust's StatsEntry that the reporter reads."""

    num_requests: int = 0
    num_failures: int = 0
    response_times: dict[int, int] = field(default_factory=dict)


@dataclass
class Error:
    """The attributes of Locust's StatsError that the reporter reads."""

    method: str
    name: str
    error: str
    occurrences: int

    def to_name(self) -> str:
        return f"{self.method} {self.name}: {self.error}"


def test_reporter_sends_differences_of_cumulative_stats() -> None:
    deltas = StatsDeltas()
    entry = Entry(10, 1, {3: 8, 40: 2})
    entries = {("/products", "GET"): entry}
    errors = {"k": Error("GET", "/products", "HTTP 500", 1)}
    first = deltas.tick(entries, errors, t=1.0, dt=1.0, users=2)
    assert first.endpoints == [EndpointTick("GET", "/products", 10, 1, {3: 8, 40: 2})]
    assert first.errors == [ErrorTick("GET", "/products", "HTTP 500", 1)]

    entry.num_requests, entry.response_times = 13, {3: 10, 40: 2, 90: 1}
    second = deltas.tick(entries, errors, t=2.0, dt=1.0, users=2)
    assert second.endpoints == [EndpointTick("GET", "/products", 3, 0, {3: 2, 90: 1})]
    assert second.errors == []

    third = deltas.tick(entries, errors, t=3.0, dt=1.0, users=2, final=True)
    assert third.endpoints == [] and third.final


def test_reporter_starts_over_when_locust_resets_its_stats() -> None:
    deltas = StatsDeltas()
    entries = {("/products", "GET"): Entry(50, 0, {3: 50})}
    deltas.tick(entries, {}, t=1.0, dt=1.0, users=1)
    entries[("/products", "GET")] = Entry(4, 0, {3: 4})
    after_reset = deltas.tick(entries, {}, t=2.0, dt=1.0, users=1)
    assert after_reset.endpoints == [EndpointTick("GET", "/products", 4, 0, {3: 4})]


def test_summary_since_a_checkpoint_covers_only_what_came_after() -> None:
    agg = LoadAggregate()
    agg.add(tick(1.0, EndpointTick("GET", "/products", 10, 0, {900: 10})))  # slow warm-up
    mark = agg.checkpoint()
    agg.add(tick(2.0, EndpointTick("GET", "/products", 30, 3, {5: 30})))
    agg.add(tick(3.0, EndpointTick("POST", "/orders", 10, 0, {8: 10})))
    window = agg.summary(since=mark)
    assert window.duration_s == 2.0
    assert window.total.requests == 40 and window.total.failures == 3
    assert window.total.rps == 20.0
    assert window.endpoints["GET /products"].p99_ms == 5.0  # the warm-up's 900 ms are out
    assert agg.summary().total.requests == 50


def test_error_texts_read_the_same_for_every_request_kind() -> None:
    assert error_text("LocustBadStatusCode(code=500)") == "HTTP 500"
    assert error_text("HTTP 503") == "HTTP 503"
    assert error_text("ConnectionRefusedError(111, 'Connection refused')").startswith(
        "ConnectionRefused"
    )
    assert len(error_text("x" * 1000)) == 300
