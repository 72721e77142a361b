"""The chaos proxy's pure parts: addresses, toxic bodies, attribute checks, CLI flags."""

from __future__ import annotations

import pytest

from simulator.proxy import TOXIC_KINDS, ApiError
from simulator.proxy.addresses import Address, parse_address
from simulator.proxy.cli import main
from simulator.proxy.model import toxic_from_json, updated_toxic


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:8474", Address("127.0.0.1", 8474)),
        ("[::1]:0", Address("::1", 0)),
        ("localhost:5432", Address("localhost", 5432)),
    ],
)
def test_addresses_parse_and_print_like_toxiproxy(text: str, address: Address) -> None:
    assert parse_address(text, "listen") == address
    assert str(address) == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("nohost", "is not host:port"),
        (":80", "is not host:port"),
        ("127.0.0.1:99999", "no valid port"),
        ("127.0.0.1:http", "no valid port"),
        ("::1:80", "IPv6 hosts in brackets"),
    ],
)
def test_bad_addresses_name_the_field(text: str, says: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_address(text, "upstream")
    assert caught.value.status == 400
    assert caught.value.message.startswith("upstream ") and says in caught.value.message


def test_the_toxic_types_are_toxiproxys_plus_down() -> None:
    toxiproxy = {"latency", "bandwidth", "slicer", "limit_data", "timeout", "reset_peer"}
    toxiproxy |= {"slow_close"}
    assert set(TOXIC_KINDS) == toxiproxy | {"down"}


def test_a_toxic_body_gets_toxiproxys_defaults() -> None:
    toxic = toxic_from_json({"type": "latency"}, default_ttl_s=0)
    assert (toxic.name, toxic.stream, toxic.toxicity, toxic.ttl_s) == (
        "latency_downstream",
        "downstream",
        1.0,
        None,
    )
    assert toxic.attributes.model_dump() == {"latency": 0, "jitter": 0}


def test_the_default_ttl_applies_only_when_the_toxic_has_none() -> None:
    assert toxic_from_json({"type": "down"}, default_ttl_s=30).ttl_s == 30
    assert toxic_from_json({"type": "down", "ttl_s": 5}, default_ttl_s=30).ttl_s == 5
    assert toxic_from_json({"type": "down"}, default_ttl_s=0).ttl_s is None


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"type": "lag"}, "invalid toxic type: 'lag'; known types: bandwidth, down"),
        ({}, "invalid toxic type: None"),
        ({"type": "latency", "stream": "up"}, "stream was invalid"),
        ({"type": "latency", "toxicity": 1.5}, "'toxicity' input should be less than"),
        ({"type": "latency", "ttl_s": 0}, "'ttl_s' input should be greater than 0"),
        ({"type": "latency", "attributes": {"jitter": "lots"}}, "'jitter' input should be"),
        ({"type": "latency", "attributes": [1]}, "must be a JSON object"),
        ({"type": "bandwidth", "attributes": {"rate": -1}}, "'rate'"),
        ({"type": "slicer", "attributes": {"average_size": 10, "size_variation": 10}}, "smaller"),
        ({"type": "timeout", "attributes": {"timeout": 1.5}}, "'timeout'"),
        ([], "toxic must be a JSON object"),
    ],
)
def test_bad_toxic_bodies_are_400s_that_say_what_is_wrong(body: object, says: str) -> None:
    with pytest.raises(ApiError) as caught:
        toxic_from_json(body, default_ttl_s=0)
    assert caught.value.status == 400
    assert says in caught.value.message


def test_an_update_merges_attributes_and_keeps_the_rest() -> None:
    toxic = toxic_from_json(
        {"type": "latency", "name": "slow", "attributes": {"latency": 100, "jitter": 10}},
        default_ttl_s=0,
    )
    updated, ttl_s = updated_toxic(toxic, {"attributes": {"latency": 300}})
    assert updated.attributes.model_dump() == {"latency": 300, "jitter": 10}
    assert (updated.name, updated.toxicity, ttl_s) == ("slow", 1.0, None)
    updated, ttl_s = updated_toxic(toxic, {"toxicity": 0.5, "ttl_s": 9})
    assert (updated.toxicity, updated.ttl_s, ttl_s) == (0.5, 9, 9)
    # An unknown attribute is ignored, as Toxiproxy's Go decoder does.
    updated, _ = updated_toxic(toxic, {"attributes": {"latancy": 1}})
    assert updated.attributes.model_dump() == {"latency": 100, "jitter": 10}


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--default-ttl", "-3"], "use 0 for no TTL or a positive number"),
        (["--seed", "x"], "invalid int value"),
    ],
)
def test_bad_flags_are_one_sentence(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_a_non_loopback_api_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--api", "10.0.0.1:8474"]) == 2
    assert "must listen on loopback" in capsys.readouterr().err


def test_stream_names_are_read_in_any_case_as_toxiproxy_does() -> None:
    toxic = toxic_from_json({"type": "latency", "stream": "UpStream"}, default_ttl_s=0)
    assert (toxic.stream, toxic.name) == ("upstream", "latency_upstream")
