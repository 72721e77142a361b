"""Load settings: profiles, the environment hand-over, config checks, /proc parsing."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from simulator.load.config import LoadConfig, check_reachable, target_address
from simulator.load.errors import LoadConfigError, TargetUnreachable
from simulator.load.launch import child_env, locust_argv, log_tail, user_settings
from simulator.load.procstat import cpu_seconds, parse_cpu_ticks
from simulator.load.profiles import PROFILES, TASKS, ProfileError, UserSettings, resolve_weights


def test_every_profile_uses_known_tasks() -> None:
    for name, weights in PROFILES.items():
        assert resolve_weights(name) == weights
        assert set(weights) <= set(TASKS)
    assert set(PROFILES["catalog"]) == {"list_products", "product_detail"}
    assert set(PROFILES["orders"]) == {"place_order", "view_order"}


@pytest.mark.parametrize(
    ("profile", "weights", "needle"),
    [
        ("nope", None, "unknown load profile 'nope'"),
        ("shop", {"dance": 1}, "unknown load task(s) dance"),
        ("shop", {"list_products": -1}, "whole numbers"),
        ("shop", {"list_products": 0}, "at least one"),
    ],
)
def test_bad_profiles_and_weights_say_what_is_wrong(
    profile: str, weights: dict[str, int] | None, needle: str
) -> None:
    with pytest.raises(ProfileError) as info:
        resolve_weights(profile, weights)
    assert needle in str(info.value)


def test_user_settings_round_trip_through_the_environment() -> None:
    settings = UserSettings(
        profile="catalog",
        weights={"list_products": 3, "product_detail": 1},
        seed=7,
        wait_min_s=0.25,
        wait_max_s=1.5,
        worker_index=2,
        report_fd=9,
        duration_s=4.5,
    )
    assert UserSettings.from_env(settings.to_env()) == settings
    assert UserSettings.from_env({}) == UserSettings()
    with pytest.raises(ProfileError, match="CHAOSDRILL_LOAD_WEIGHTS"):
        UserSettings.from_env({"CHAOSDRILL_LOAD_WEIGHTS": "[1]"})
    with pytest.raises(ProfileError, match="bad CHAOSDRILL_LOAD_"):
        UserSettings.from_env({"CHAOSDRILL_LOAD_SEED": "one"})


def test_users_of_workers_and_seeds_get_distinct_random_streams() -> None:
    seeds = {
        UserSettings(seed=s, worker_index=w).user_seed(u)
        for s in range(3)
        for w in range(3)
        for u in range(50)
    }
    assert len(seeds) == 3 * 3 * 50


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"host": "127.0.0.1:8100"}, "not an http(s) URL"),
        ({"host": "http://127.0.0.1:99999"}, "bad port"),
        ({"host": "http://127.0.0.1:8100/api"}, "has a path"),
        ({"users": 0}, "users must be at least 1"),
        ({"spawn_rate": 0.0}, "spawn rate"),
        ({"duration_s": 0.0}, "duration must be above 0"),
        ({"wait_min_s": 2.0, "wait_max_s": 1.0}, "think time"),
        ({"workers": -1}, "workers must be"),
        ({"profile": "nope"}, "unknown load profile"),
    ],
)
def test_config_checks_name_the_setting(changes: dict[str, object], needle: str) -> None:
    values: dict[str, object] = {"host": "http://127.0.0.1:8100", **changes}
    with pytest.raises(LoadConfigError) as info:
        LoadConfig(**values).validate()  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_target_address_defaults_ports() -> None:
    assert target_address("http://example.test") == ("example.test", 80)
    assert target_address("https://example.test/") == ("example.test", 443)
    assert target_address("http://127.0.0.1:8100") == ("127.0.0.1", 8100)


def test_unreachable_target_is_one_clear_error() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TargetUnreachable) as info:
        check_reachable(f"http://127.0.0.1:{port}")
    message = str(info.value)
    assert f"127.0.0.1:{port}" in message and "refused" in message.lower()


def test_locust_command_lines_by_role() -> None:
    config = LoadConfig(host="http://127.0.0.1:8100", users=7, spawn_rate=3.5, workers=2)
    local = locust_argv(config, "local")
    assert "--headless" in local and local[local.index("--users") + 1] == "7"
    assert local[local.index("--spawn-rate") + 1] == "3.5"
    master = locust_argv(config, "master", 5557)
    assert master[master.index("--expect-workers") + 1] == "2"
    assert master[master.index("--master-bind-port") + 1] == "5557"
    worker = locust_argv(config, "worker", 5557)
    assert "--worker" in worker and "--users" not in worker


def test_child_env_drops_locust_options_and_carries_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOCUST_HOST", "http://elsewhere.test")
    config = LoadConfig(host="http://127.0.0.1:8100", profile="orders", seed=3)
    env = child_env(user_settings(config, worker_index=1))
    assert "LOCUST_HOST" not in env
    read_back = UserSettings.from_env(env)
    assert (read_back.profile, read_back.seed, read_back.worker_index) == ("orders", 3, 1)
    assert read_back.weights == PROFILES["orders"]


def test_log_tail_picks_the_error_line(tmp_path: Path) -> None:
    log = tmp_path / "locust.log"
    log.write_text(
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in <module>\n'
        "RPCError: Socket bind failure: Address already in use\n"
        "[INFO] Shutting down (exit code 1)\n"
    )
    assert log_tail(log) == "RPCError: Socket bind failure: Address already in use"
    assert log_tail(tmp_path / "missing.log") == ""


def test_cpu_ticks_from_proc_stat() -> None:
    line = "123 (odd) name)) S 1 123 123 0 -1 4194304 100 0 0 0 250 30 0 0 20 0 1 0 5"
    assert parse_cpu_ticks(line) == 280
    seconds = cpu_seconds(os.getpid())
    assert seconds is not None and seconds > 0


def test_the_canary_journal_travels_to_the_locust_process() -> None:
    settings = UserSettings(canary_file="/tmp/x/canary.jsonl")
    assert UserSettings.from_env(settings.to_env()).canary_file == "/tmp/x/canary.jsonl"
    assert UserSettings.from_env(UserSettings().to_env()).canary_file is None
