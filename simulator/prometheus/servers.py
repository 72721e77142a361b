"""Debian's `prometheus` and `prometheus-alertmanager` as plain child processes.

Each gets its own temp config and data directory and a free port on
127.0.0.1; Alertmanager runs without clustering (no gossip port). They are
stopped through the handles we got when we started them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from simulator.env.processes import ManagedProcess, free_port, start_process, wait_http
from simulator.prometheus.config import alertmanager_config, prometheus_config, write_yaml
from simulator.prometheus.errors import PrometheusError

READY_TIMEOUT_S = 30.0
INSTALL_HINT = "install Debian's packages: apt-get install prometheus prometheus-alertmanager"
# Debian names the Alertmanager binary prometheus-alertmanager; upstream, alertmanager.
BINARY_NAMES = {
    "prometheus": ("prometheus",),
    "alertmanager": ("prometheus-alertmanager", "alertmanager"),
    "promtool": ("promtool",),
    "amtool": ("amtool",),
}


def find_binary(kind: str) -> str:
    """The path of `kind` (prometheus, alertmanager, promtool) on PATH, or a clear error."""
    for name in BINARY_NAMES[kind]:
        found = shutil.which(name)
        if found:
            return found
    raise PrometheusError(f"{' or '.join(BINARY_NAMES[kind])} not found on PATH: {INSTALL_HINT}")


def check_rules(path: Path) -> None:
    """`promtool check rules PATH`; a file Prometheus would refuse is a clear error."""
    result = subprocess.run(
        [find_binary("promtool"), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr + result.stdout).strip().splitlines()
        detail = next((ln.strip() for ln in lines if "rror" in ln), lines[-1] if lines else "")
        raise PrometheusError(f"{path}: not a valid Prometheus rules file: {detail}")


@dataclass
class PrometheusStack:
    """A running Prometheus + Alertmanager pair for one drill."""

    prometheus: ManagedProcess
    alertmanager: ManagedProcess
    workdir: Path

    def stop(self) -> None:
        """Stop both (Prometheus first, so it sends nothing to a dead Alertmanager)."""
        self.prometheus.stop()
        self.alertmanager.stop()


def start_stack(
    workdir: Path,
    *,
    shop_target: str,
    rules_file: Path,
    webhook_url: str,
    job: str = "shop",
    extra_alertmanagers: Sequence[str] = (),
) -> PrometheusStack:
    """Start Alertmanager and Prometheus in `workdir`, side by side, and wait until both
    are ready; stops whatever started if either fails."""
    binaries = {kind: find_binary(kind) for kind in ("prometheus", "alertmanager")}
    workdir.mkdir(parents=True, exist_ok=True)
    rules = workdir / "rules.yml"
    shutil.copyfile(rules_file, rules)
    am_port, prom_port = free_port(), free_port()
    am_config = write_yaml(workdir / "alertmanager.yml", alertmanager_config(webhook_url))
    prom_config = write_yaml(
        workdir / "prometheus.yml",
        prometheus_config(
            shop_target=shop_target,
            alertmanager_target=f"127.0.0.1:{am_port}",
            rule_files=[rules],
            job=job,
            extra_alertmanagers=extra_alertmanagers,
        ),
    )
    argvs = {
        "alertmanager": (
            [
                binaries["alertmanager"],
                f"--config.file={am_config}",
                f"--storage.path={workdir / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            am_port,
        ),
        "prometheus": (
            [
                binaries["prometheus"],
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--storage.tsdb.retention.time=2h",
                "--log.level=warn",
            ],
            prom_port,
        ),
    }
    started: dict[str, ManagedProcess] = {}
    try:
        for name, (argv, port) in argvs.items():
            started[name] = start_process(name, argv, workdir / f"{name}.log", port)
        with ThreadPoolExecutor(len(started)) as pool:
            waits = [pool.submit(_wait_ready, proc) for proc in started.values()]
        for wait in waits:
            wait.result()
    except BaseException:
        for proc in started.values():
            proc.stop()
        raise
    return PrometheusStack(started["prometheus"], started["alertmanager"], workdir)


def _wait_ready(proc: ManagedProcess) -> None:
    try:
        wait_http(f"{proc.url}/-/ready", READY_TIMEOUT_S, proc.popen, proc.log_path)
    except (RuntimeError, TimeoutError) as exc:
        raise PrometheusError(f"{proc.name} did not start: {exc}") from None
