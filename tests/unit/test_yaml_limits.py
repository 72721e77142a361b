"""Hostile YAML (alias bombs, deep nesting, huge files) is refused quickly by every loader."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scoring.playbook import PlaybookError, load_playbook
from scoring.yaml_guard import HAVE_LIBYAML, YamlLimits, YamlRefused, safe_load_text
from scoring.yaml_source import load_located_yaml
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.teamrules import alerts_in
from simulator.scenario import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = load_playbook(REPO / "playbook.yaml")

# The classic "billion laughs": nine levels of nine aliases, 10^9 strings once expanded.
BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def one_sentence(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message


@pytest.fixture
def bomb(tmp_path: Path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS)
    return path


def test_billion_laughs_is_refused_in_under_a_second_of_cpu(bomb: Path) -> None:
    started = time.process_time()
    with pytest.raises(ScenarioError) as info:
        load_located_yaml(bomb, ScenarioError, what="scenario")
    spent = time.process_time() - started
    # The acceptance criterion; it takes milliseconds, the bound is generous.
    assert spent < 1.0, f"{spent:.2f}s of CPU"
    message = str(info.value)
    assert message.startswith(f"{bomb}:6: the document expands past 100000 nodes through aliases")
    assert "(a YAML alias bomb?)" in message
    one_sentence(message)


def test_every_loader_refuses_the_bomb(bomb: Path) -> None:
    with pytest.raises(ScenarioError, match="alias bomb") as scenario:
        load_scenario(bomb, playbook=PLAYBOOK)
    with pytest.raises(PlaybookError, match="alias bomb") as playbook:
        load_playbook(bomb)
    with pytest.raises(PrometheusError, match="alias bomb") as rules:
        alerts_in(bomb)
    for info in (scenario, playbook, rules):
        assert str(info.value).startswith(f"{bomb}:6: ")
        one_sentence(str(info.value))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,  # flow nesting
        "a:\n" + "".join("  " * i + "k:\n" for i in range(1, 200)),  # block nesting
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_located_yaml(path, ScenarioError, what="scenario")
    message = str(info.value)
    assert message.startswith(f"{path}:")
    assert "the document nests deeper than 64 levels" in message
    one_sentence(message)


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as stream:
        stream.write("id: huge\n")
        stream.truncate(50 * 1024 * 1024)
    started = time.process_time()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, playbook=PLAYBOOK)
    assert time.process_time() - started < 1.0
    message = str(info.value)
    assert message.startswith(f"{path}: the file is larger than 1 MiB")
    one_sentence(message)


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("a: &loop\n  - 1\n  - *loop\n")
    with pytest.raises(ScenarioError, match=r"loop.yaml:3: alias \*loop refers to a node"):
        load_located_yaml(path, ScenarioError, what="scenario")


def test_a_number_python_will_not_parse_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "digits.yaml"
    path.write_text("users: " + "9" * 5000 + "\n")
    with pytest.raises(ScenarioError) as info:
        load_located_yaml(path, ScenarioError, what="scenario")
    assert str(info.value).startswith(f"{path}:1: a number of 5000 digits")


def test_node_budget_counts_real_nodes_too(tmp_path: Path) -> None:
    path = tmp_path / "wide.yaml"
    path.write_text("items: [" + ", ".join(["1"] * 500) + "]\n")
    small = YamlLimits(max_nodes=100)
    with pytest.raises(ScenarioError, match="has more than 100 nodes"):
        load_located_yaml(path, ScenarioError, what="scenario", limits=small)
    assert len(load_located_yaml(path, ScenarioError, what="scenario").data["items"]) == 500


def test_ordinary_aliases_and_merge_keys_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "base: &base {users: 5, profile: shop}\n"
        "first:\n  <<: *base\n  users: 7\n"
        "second: *base\n"
        "list: [*base, *base]\n"
    )
    located = load_located_yaml(path, ScenarioError, what="scenario")
    assert located.data["first"] == {"users": 7, "profile": "shop"}
    assert located.data["second"] == {"users": 5, "profile": "shop"}
    assert located.data["list"][1]["profile"] == "shop"
    assert located.line_of(("second",)) == 5
    assert located.line_of(("list", 1)) == 1  # an alias's value is written at its anchor


def test_budget_counts_expansion_not_just_aliases(tmp_path: Path) -> None:
    # The anchored list is 4 nodes; 20 aliases of it expand to 80 more.
    path = tmp_path / "fan.yaml"
    path.write_text("a: &a [1, 2, 3]\nb: [" + ", ".join(["*a"] * 20) + "]\n")
    limits = YamlLimits(max_nodes=60)
    with pytest.raises(ScenarioError, match=r"fan.yaml:2: the document expands past 60 nodes"):
        load_located_yaml(path, ScenarioError, what="scenario", limits=limits)
    assert load_located_yaml(path, ScenarioError, what="scenario", limits=YamlLimits(max_nodes=90))


@pytest.mark.skipif(not HAVE_LIBYAML, reason="the pure-Python parser is the only one here")
def test_the_pure_python_parser_refuses_the_same(bomb: Path, tmp_path: Path) -> None:
    # Without libyaml the loader falls back to PyYAML's own parser: same limits.
    code = (
        "import sys, scoring.yaml_guard as g; g.HAVE_LIBYAML = False\n"
        "from pathlib import Path\nfrom scoring.yaml_source import load_located_yaml\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n        load_located_yaml(Path(name), ValueError, what='scenario')\n"
        "    except ValueError as exc:\n        print(exc)\n"
    )
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 10_000 + "]" * 10_000)
    done = subprocess.run(
        [sys.executable, "-c", code, str(bomb), str(deep)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    )
    lines = done.stdout.splitlines()
    assert "alias bomb" in lines[0] and "nests deeper than 64 levels" in lines[1], done.stdout


def chaosdrill(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("chaosdrill")), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


def test_cli_refuses_the_bomb_in_one_line(bomb: Path, tmp_path: Path) -> None:
    validate = chaosdrill("scenarios", "validate", str(bomb), cwd=tmp_path)
    # `validate` answers "this file is invalid" with exit 1 and a FAIL line per file.
    assert validate.returncode == 1, validate.stdout + validate.stderr
    assert validate.stdout.splitlines() == [validate.stdout.strip()]
    assert validate.stdout.startswith(f"FAIL {bomb}:6: the document expands past")
    playbook = chaosdrill("playbook", "validate", str(bomb), cwd=tmp_path)
    assert playbook.returncode == 1, playbook.stdout + playbook.stderr
    assert playbook.stderr.strip().startswith(f"{bomb}:6: the document expands past")
    run = chaosdrill("run", str(bomb), cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr  # bad input: nothing started
    assert "alias bomb" in run.stderr
    assert not (tmp_path / ".chaosdrill").exists()
    for result in (validate, playbook, run):
        assert "Traceback" not in result.stdout + result.stderr
        assert len((result.stdout + result.stderr).strip().splitlines()) == 1


def test_a_short_text_gets_the_same_limits() -> None:
    # For `--param key=VALUE`, which is YAML too.
    assert safe_load_text("[1, 2, {a: b}]") == [1, 2, {"a": "b"}]
    with pytest.raises(YamlRefused, match="alias bomb"):
        safe_load_text(BILLION_LAUGHS)
