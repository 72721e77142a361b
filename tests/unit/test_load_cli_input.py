"""`chaosdrill load` refuses bad input with one sentence and exit code 2."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from simulator.cli.load_cmd import _duration, load


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--duration", "soon"], "'soon' is not a duration"),
        (["--duration", "0s"], "above zero"),
        (["--users", "0"], "--users"),
        (["--profile", "everything"], "--profile"),
        (["--host", "127.0.0.1:8100"], "not an http(s) URL"),
        (["--host", "http://127.0.0.1:8100/shop"], "has a path"),
        (["--wait-min", "-1"], "--wait-min"),
    ],
)
def test_bad_input_is_a_clear_error_and_exit_2(args: list[str], needle: str) -> None:
    options = {"--host": "http://127.0.0.1:8100", "--duration": "3s"}
    options.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [item for pair in options.items() for item in pair]
    result = CliRunner().invoke(load, argv)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("text", ["30s", "2m", "90", "1m30s"])
def test_durations_people_write_are_accepted(text: str) -> None:
    expected = {"30s": 30.0, "2m": 120.0, "90": 90.0, "1m30s": 90.0}[text]
    param = next(p for p in load.params if p.name == "duration")
    assert _duration(click.Context(load), param, text) == expected
