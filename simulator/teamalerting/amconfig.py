"""A team's own alertmanager.yml, checked and rewritten so a drill can run it for real.

`check_config` runs `amtool check-config` (Alertmanager's own validation) and
turns a refusal into one sentence with file, line and field. `rewrite` keeps
everything that decides *where* and *when* an alert goes (routes, group_by,
group_wait / group_interval / repeat_interval, inhibit rules, mute / active
time intervals, templates, receivers' texts, with a `[DRILL] ` prefix added
in front of each text a person reads, see `marking`) and changes only *how*
each receiver is reached: every endpoint becomes a capture sink on 127.0.0.1, and
anything that could dial elsewhere (proxies, credential files, TLS to a
remote host) is dropped. `outside_loopback` is the last look before the file
is used: no endpoint may point off 127.0.0.1.
"""

from __future__ import annotations

import copy
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from scoring.yaml_source import LocatedYaml, load_located_yaml
from simulator.prometheus.errors import PrometheusError
from simulator.prometheus.servers import find_binary
from simulator.teamalerting.marking import mark_drill

# The integrations the drill has a sink for, and the path prefix each sink serves.
SINK_KINDS = {
    "webhook_configs": "webhook",
    "slack_configs": "slack",
    "pagerduty_configs": "pagerduty",
    "opsgenie_configs": "opsgenie",
    "email_configs": "email",
}
# Fields that make Alertmanager dial somewhere or read a local secret file.
DROPPED_FIELDS = ("http_config", "url_file", "api_url_file", "api_key_file", "routing_key_file")
DROPPED_GLOBALS = (
    "http_config",
    "slack_api_url",
    "slack_api_url_file",
    "pagerduty_url",
    "opsgenie_api_url",
    "opsgenie_api_key_file",
    "smtp_smarthost",
    "smtp_auth_username",
    "smtp_auth_password",
    "smtp_auth_password_file",
    "smtp_auth_secret",
    "smtp_auth_identity",
)
EMAIL_DROPPED = (
    "auth_username",
    "auth_password",
    "auth_password_file",
    "auth_secret",
    "auth_identity",
    "tls_config",
)
# Keys whose value Alertmanager connects to.
DIAL_KEYS = {"url", "api_url", "smarthost", "proxy_url"} | {
    k for k in DROPPED_GLOBALS if k.endswith(("_url", "smarthost"))
}


@dataclass(frozen=True)
class Receiver:
    """A receiver of the team's config and the integrations it has."""

    name: str
    kinds: tuple[str, ...]
    line: int


@dataclass
class TeamConfig:
    """The team's alertmanager.yml as read (with line numbers)."""

    path: Path
    located: LocatedYaml
    receivers: dict[str, Receiver] = field(default_factory=dict)

    @property
    def document(self) -> dict[str, Any]:
        data = self.located.data
        return data if isinstance(data, dict) else {}


def check_config(path: Path) -> None:
    """`amtool check-config PATH`; a refusal is one sentence naming file, line and field."""
    if not path.is_file():
        raise PrometheusError(f"--alertmanager-config {path}: no such file")
    result = subprocess.run(
        [find_binary("amtool"), "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode == 0:
        return
    text = (result.stdout + result.stderr).strip()
    detail = text.split("FAILED:", 1)[1] if "FAILED:" in text else text
    detail = " ".join(
        ln.strip() for ln in detail.splitlines() if ln.strip() and "amtool: error" not in ln
    )
    line, key = _locate(path, detail)
    where = f"{path}:{line}: {key}: " if key else f"{path}:{line}: "
    raise PrometheusError(
        f"{where}{detail} (amtool check-config); fix the file, nothing was started"
    )


def _locate(path: Path, detail: str) -> tuple[int, str]:
    """The line (and the key on it) amtool's message points at: `line N`, or the first
    line holding the quoted name it complains about."""
    lines = path.read_text(errors="replace").splitlines()
    number = re.search(r"line (\d+)", detail)
    index = int(number.group(1)) - 1 if number else -1
    if index < 0:
        for quoted in re.findall(r'"([^"]+)"', detail):
            index = next((i for i, ln in enumerate(lines) if quoted in ln), -1)
            if index >= 0:
                break
    if not 0 <= index < len(lines):
        return 1, ""
    key = lines[index].split(":", 1)[0].strip().lstrip("- ").strip()
    return index + 1, key if re.fullmatch(r"[A-Za-z_]+", key) else ""


def load_config(path: Path) -> TeamConfig:
    """Read the (already amtool-checked) file and its receivers; an integration the
    drill has no honest sink for is refused, naming the receiver and the line."""
    located = load_located_yaml(path, PrometheusError, what="Alertmanager config")
    config = TeamConfig(path, located)
    for index, receiver in enumerate(config.document.get("receivers") or []):
        name = str(receiver.get("name", ""))
        kinds = tuple(k for k in receiver if k.endswith("_configs"))
        for kind in kinds:
            if kind not in SINK_KINDS:
                line = located.line_of(("receivers", index, kind))
                raise PrometheusError(
                    f"{path}:{line}: receivers[{index}].{kind} (receiver {name!r}): the drill "
                    f"has no local sink for {kind.removesuffix('_configs')}; it can capture "
                    f"{', '.join(SINK_KINDS)}: drill a copy without it"
                )
            for item, settings in enumerate(receiver.get(kind) or []):
                if kind == "pagerduty_configs" and settings.get("service_key"):
                    line = located.line_of(("receivers", index, kind, item, "service_key"))
                    raise PrometheusError(
                        f"{path}:{line}: receivers[{index}].{kind}[{item}].service_key: Events "
                        "API v1 (service_key) is not captured; the drill's sink speaks Events "
                        "API v2: use routing_key"
                    )
        config.receivers[name] = Receiver(name, kinds, located.line_of(("receivers", index)))
    return config


def rewrite(config: TeamConfig, http_base: str, smtp_port: int) -> dict[str, Any]:
    """The team's config with every receiver endpoint on a local sink.

    `http_base` is `http://127.0.0.1:PORT`; a sink URL names its receiver and the
    integration's index so a capture says exactly which one was reached.
    """
    document = copy.deepcopy(config.document)
    global_ = document.setdefault("global", {}) or {}
    document["global"] = global_
    for key in DROPPED_GLOBALS:
        global_.pop(key, None)
    global_["smtp_require_tls"] = False
    base = config.path.parent.resolve()
    document["templates"] = [
        str(t if Path(t).is_absolute() else base / t) for t in document.get("templates") or []
    ]
    for receiver in document.get("receivers") or []:
        name = str(receiver.get("name", ""))
        for kind, sink in SINK_KINDS.items():
            for index, settings in enumerate(receiver.get(kind) or []):
                for key in DROPPED_FIELDS:
                    settings.pop(key, None)
                mark_drill(kind, settings)  # `[DRILL] ` before every text a person reads
                where = f"{http_base}/{sink}/{quote(name, safe='')}/{index}"
                if kind == "webhook_configs":
                    settings["url"] = where
                elif kind == "slack_configs":
                    settings["api_url"] = where
                elif kind == "pagerduty_configs":
                    settings["url"] = where
                    settings.setdefault("routing_key", "drill-routing-key")
                elif kind == "opsgenie_configs":
                    settings["api_url"] = where + "/"  # Alertmanager appends v2/alerts
                    settings.setdefault("api_key", "drill-api-key")
                else:
                    for key in EMAIL_DROPPED:
                        settings.pop(key, None)
                    settings["smarthost"] = f"127.0.0.1:{smtp_port}"
                    settings["require_tls"] = False
                    settings["hello"] = (
                        f"{sink}.{quote(name, safe='')}.{index}"  # which integration dialled
                    )
    return document


def outside_loopback(document: Any, path: str = "") -> list[str]:
    """Every endpoint in `document` that is not on 127.0.0.1 (`path: value`)."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            here = f"{path}.{key}" if path else str(key)
            if key in DIAL_KEYS and isinstance(value, str) and value:
                host = urlsplit(value if "//" in value else f"//{value}").hostname
                if host != "127.0.0.1":
                    found.append(f"{here}: {value}")
            else:
                found += outside_loopback(value, here)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += outside_loopback(value, f"{path}[{index}]")
    return found
