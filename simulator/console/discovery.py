"""How `chaosdrill incident ...` finds the running drill without --url/--token.

A console session publishes its address and tokens in
`<state_root>/consoles/<pid>.json` (mode 0600: it holds tokens) once it
listens, and removes it when it ends. A file whose process is gone is stale
and ignored (and removed). This module imports nothing heavy: the CLI's quick
commands load it before anything else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DiscoveryError",
    "Published",
    "find_sessions",
    "pick_session",
    "publish",
    "seen_path",
    "withdraw",
]


class DiscoveryError(ValueError):
    """No running drill, or more than one: the message says what to pass instead."""


@dataclass(frozen=True)
class Published:
    path: Path
    pid: int
    url: str
    title: str  # the scenario's title (its id would name the cause)
    trainees: dict[str, str]  # name -> token
    join: str  # the open join token

    def token_for(self, name: str | None) -> str:
        """The token of trainee NAME, or of the only trainee when NAME is None."""
        if name is not None:
            if name not in self.trainees:
                known = ", ".join(sorted(self.trainees)) or "none yet"
                raise DiscoveryError(
                    f"the drill at {self.url} has no trainee '{name}' (trainees: {known});"
                    " pass --as with one of them, or your join link as --url"
                )
            return self.trainees[name]
        if len(self.trainees) == 1:
            return next(iter(self.trainees.values()))
        if not self.trainees:
            raise DiscoveryError(
                f"the drill at {self.url} has no trainee yet; start it with"
                " `chaosdrill practice SCENARIO` (or `run --trainee NAME`), or pass your join"
                " link as --url"
            )
        raise DiscoveryError(
            f"the drill at {self.url} has {len(self.trainees)} trainees"
            f" ({', '.join(sorted(self.trainees))}); pass --as NAME to say which one you are"
        )


def _dir(state_root: Path) -> Path:
    return state_root / "consoles"


def publish(state_root: Path, links: dict[str, Any], title: str, pid: int | None = None) -> Path:
    """Write this session's address and tokens for `chaosdrill incident`; returns the file."""
    pid = os.getpid() if pid is None else pid
    folder = _dir(state_root)
    folder.mkdir(parents=True, exist_ok=True)
    tokens = links.get("tokens", {})
    record = {
        "pid": pid,
        "url": links["url"],
        "title": title,
        "join": tokens.get("join", ""),
        "trainees": {
            k.removeprefix("trainee:"): v for k, v in tokens.items() if k.startswith("trainee:")
        },
    }
    path = folder / f"{pid}.json"
    partial = path.with_suffix(".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(record, out, indent=2)
    partial.replace(path)  # readers never see half a file
    return path


def withdraw(path: Path) -> None:
    for stale in (path, seen_path(path)):
        stale.unlink(missing_ok=True)


def seen_path(path: Path) -> Path:
    """Where `incident show` keeps the last event it showed (for "what changed")."""
    return path.with_suffix(".seen")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_sessions(state_root: Path) -> list[Published]:
    """The running sessions published under STATE_ROOT; stale files are removed."""
    found = []
    for path in sorted(_dir(state_root).glob("*.json")):
        try:
            data = json.loads(path.read_text())
            record = Published(
                path=path,
                pid=int(data["pid"]),
                url=str(data["url"]),
                title=str(data.get("title", "")),
                trainees={str(k): str(v) for k, v in dict(data.get("trainees", {})).items()},
                join=str(data.get("join", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours
        if _alive(record.pid):
            found.append(record)
        else:
            withdraw(path)
    return found


def pick_session(state_root: Path) -> Published:
    """The one running drill, or a sentence saying why there is not exactly one."""
    sessions = find_sessions(state_root)
    if not sessions:
        raise DiscoveryError(
            f"no running drill found under {state_root}/consoles; start one with"
            " `chaosdrill practice SCENARIO` (from this directory), or pass --url and --token"
        )
    if len(sessions) > 1:
        where = ", ".join(f"{s.url} (pid {s.pid}, {s.title!r})" for s in sessions)
        raise DiscoveryError(
            f"{len(sessions)} drills are running ({where}); pass --url with the one you mean"
        )
    return sessions[0]
