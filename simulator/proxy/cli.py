"""`python -m simulator.proxy`: the chaos proxy as its own process.

It runs apart from the engine so that it keeps enforcing TTLs if the engine dies.
Every flag has an environment variable. Logs are JSON lines on stdout; once
everything listens it logs `{"event": "ready", "api": "127.0.0.1:PORT", ...}`, so
a parent that passed port 0 learns the real port.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import NoReturn

from simulator.proxy.errors import ApiError
from simulator.proxy.server import ProxyServer

__all__ = ["main"]

_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, event and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": round(time.time(), 3),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One sentence instead of a usage dump.
        self.exit(2, f"simulator.proxy: {message}; see --help.\n")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError("use 0 for no TTL or a positive number of seconds")
    return value


def _parser() -> argparse.ArgumentParser:
    env = os.environ.get
    parser = _Parser(
        prog="python -m simulator.proxy",
        description="Toxiproxy-compatible chaos proxy whose toxics expire by themselves.",
    )
    parser.add_argument(
        "--api",
        default=env("CHAOSDRILL_PROXY_API", "127.0.0.1:8474"),
        help="loopback HOST:PORT of the control API; port 0 picks one (env CHAOSDRILL_PROXY_API)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=env("CHAOSDRILL_PROXY_CONFIG"),
        help="JSON list of proxies {name, listen, upstream, enabled} to create at start",
    )
    parser.add_argument(
        "--default-ttl",
        type=_seconds,
        default=env("CHAOSDRILL_PROXY_DEFAULT_TTL", "0"),
        help="seconds after which a toxic (or a disable) without ttl_s is undone; 0 = never",
    )
    parser.add_argument("--seed", type=int, default=env("CHAOSDRILL_PROXY_SEED"))
    return parser


def _load_config(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise SystemExit(f"simulator.proxy: cannot read --config {path}: {exc.strerror}.") from None
    except ValueError as exc:
        raise SystemExit(f"simulator.proxy: --config {path} is not valid JSON ({exc}).") from None


async def _serve(args: argparse.Namespace) -> int:
    server = ProxyServer(args.api, default_ttl_s=args.default_ttl, seed=args.seed)
    config = _load_config(args.config) if args.config else None
    try:
        if config is not None:
            await server.registry.populate(config)
        await server.start()
    except (ApiError, OSError) as exc:
        await server.stop()
        where = f"--config {args.config}" if isinstance(exc, ApiError) else f"--api {args.api}"
        message = exc.message if isinstance(exc, ApiError) else (exc.strerror or str(exc))
        print(f"simulator.proxy: {where}: {message}.", file=sys.stderr)
        return 1
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    logging.getLogger("simulator.proxy").info(
        "ready", extra={"api": str(server.api_address), "proxies": sorted(server.proxies)}
    )
    await stopping.wait()
    await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the proxy until SIGINT/SIGTERM; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        ProxyServer(args.api)  # validate the address before anything starts
    except (ApiError, ValueError) as exc:
        message = exc.message if isinstance(exc, ApiError) else str(exc)
        print(f"simulator.proxy: --api: {message}.", file=sys.stderr)
        return 2
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("simulator.proxy")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        import uvloop  # a faster data path when installed (uvicorn[standard] brings it)
    except ImportError:
        return asyncio.run(_serve(args))
    return uvloop.run(_serve(args))
