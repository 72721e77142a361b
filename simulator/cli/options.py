"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from simulator.env.state import state_dir_from_env

state_dir_option = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    envvar="CHAOSDRILL_STATE_DIR",
    show_envvar=True,
    help="Where the environment's state lives (default ./.chaosdrill/env).",
)


def resolve_state_dir(value: Path | None) -> Path:
    return state_dir_from_env(value)


def json_option(func: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


database_url_option = click.option(
    "--database-url",
    envvar="CHAOSDRILL_DATABASE_URL",
    help="PostgreSQL for scenarios that target it; `own-cluster` (env up): a cluster of the "
    "drill's own, with WAL archive, base backup and a streaming standby.",
)
playbook_option = click.option(
    "--playbook",
    "playbook_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="playbook.yaml to use (default: the repository's).",
)
