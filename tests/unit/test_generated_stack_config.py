"""The compose stack's Prometheus and Alertmanager files are generated from the
playbook and checked in; a change to either that was not regenerated fails here, in
`make test`, not only in CI's docker run."""

from __future__ import annotations

from pathlib import Path

from simulator.docker.stack_config import render

REPO = Path(__file__).resolve().parents[2]


def test_stack_monitoring_config_is_generated_from_the_playbook(tmp_path: Path) -> None:
    rendered = render(tmp_path)
    assert rendered
    for path in rendered:
        checked_in = REPO / "docker" / path.relative_to(tmp_path)
        assert checked_in.read_text() == path.read_text(), (
            f"{checked_in} is stale: run python -m simulator.docker.stack_config"
        )
