"""Whose environment is it, and is that engine still alive (pids get reused)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from simulator.env.owner import (
    OWNER_PID,
    OWNER_START,
    Owner,
    read_owner,
    record_owner_start,
    start_ticks,
)


def test_no_owner_file_means_a_manual_environment(tmp_path: Path) -> None:
    assert read_owner(tmp_path) is None


def test_the_running_engine_is_alive_with_its_start_time(tmp_path: Path) -> None:
    (tmp_path / OWNER_PID).write_text(str(os.getpid()))
    record_owner_start(tmp_path)
    owner = read_owner(tmp_path)
    assert owner == Owner(os.getpid(), start_ticks(os.getpid()))
    assert owner.alive()


def test_a_reused_pid_is_not_the_engine(tmp_path: Path) -> None:
    ticks = start_ticks(os.getpid())
    assert ticks is not None
    (tmp_path / OWNER_PID).write_text(str(os.getpid()))
    (tmp_path / OWNER_START).write_text(str(ticks + 1))  # same pid, another process
    owner = read_owner(tmp_path)
    assert owner is not None and not owner.alive()


def test_an_exited_or_zombie_engine_is_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    ticks = start_ticks(child.pid)
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    assert not Owner(child.pid, ticks).alive()
    child.wait()
    assert not Owner(child.pid, ticks).alive()


def test_a_garbled_owner_file_is_an_owner_that_is_gone(tmp_path: Path) -> None:
    (tmp_path / OWNER_PID).write_text("not a pid")
    owner = read_owner(tmp_path)
    assert owner is not None and not owner.alive()
