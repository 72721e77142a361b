"""Start the proxy as its own process (as the engine does), through `simulator.env.processes`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulator.env.processes import ManagedProcess, free_port, start_process, wait_http

__all__ = ["proxy_argv", "start_proxy_process"]


def proxy_argv(
    api_port: int, *, config: Path | None = None, default_ttl_s: float = 0.0
) -> list[str]:
    argv = [sys.executable, "-m", "simulator.proxy", "--api", f"127.0.0.1:{api_port}"]
    if config is not None:
        argv += ["--config", str(config)]
    if default_ttl_s:
        argv += ["--default-ttl", str(default_ttl_s)]
    return argv


def start_proxy_process(
    workdir: Path,
    *,
    proxies: list[dict[str, object]] | None = None,
    default_ttl_s: float = 0.0,
    api_port: int | None = None,
    ready_timeout_s: float = 20.0,
) -> ManagedProcess:
    """Start `python -m simulator.proxy` and wait until its API answers.

    `proxies` (Toxiproxy's populate format) are written to `workdir/proxies.json`
    and created at start. The handle's `url` is the API's; its log is JSON lines.
    """
    port = api_port or free_port()
    config = None
    if proxies is not None:
        config = workdir / "proxies.json"
        config.parent.mkdir(parents=True, exist_ok=True)
        config.write_text(json.dumps(proxies))
    argv = proxy_argv(port, config=config, default_ttl_s=default_ttl_s)
    proc = start_process("chaos-proxy", argv, workdir / "proxy.jsonl", port)
    try:
        wait_http(f"{proc.url}/version", ready_timeout_s, proc.popen, proc.log_path)
    except Exception:
        proc.stop()
        raise
    return proc
