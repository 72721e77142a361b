"""Where PostgreSQL's server binaries are missing, the drill's own cluster is refused
in one sentence that says how to install them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from simulator.env import own_cluster
from simulator.pgcluster import binaries
from simulator.pgcluster.binaries import ClusterError, find_bindir
from simulator.scenario.model import Target


def test_missing_binaries_are_refused_with_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(binaries, "VERSIONS_DIR", tmp_path / "none")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ClusterError) as caught:
        find_bindir()
    sentence = str(caught.value)
    assert "apt-get install postgresql" in sentence and "\n" not in sentence
    assert own_cluster.refusal() == sentence


def test_a_version_directory_without_every_binary_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    complete, partial = tmp_path / "15" / "bin", tmp_path / "16" / "bin"
    for bindir, names in ((complete, binaries.NEEDED), (partial, ("initdb",))):
        bindir.mkdir(parents=True)
        for name in names:
            (bindir / name).write_text("")
    monkeypatch.setattr(binaries, "VERSIONS_DIR", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    assert find_bindir() == complete


def test_catalog_reads_from_a_replica_need_postgres() -> None:
    assert Target().catalog_reads == "primary"  # the default for every scenario
    assert Target(database="postgres", catalog_reads="replica").catalog_reads == "replica"
    with pytest.raises(ValidationError, match="catalog_reads: replica reads the catalog"):
        Target(database="sqlite", catalog_reads="replica")
