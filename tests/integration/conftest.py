"""Fixtures of the fault-layer tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.faults_env import start_env, stop_env


@pytest.fixture(scope="module")
def env_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local environment (SQLite) shared by one test module; always taken down."""
    state_dir = tmp_path_factory.mktemp("env")
    start_env(state_dir)
    try:
        yield state_dir
    finally:
        stop_env(state_dir)
