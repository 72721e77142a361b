"""`python -m target_app`: serve the shop with one uvicorn worker."""

from __future__ import annotations

import argparse
import os

import uvicorn

from target_app.app import create_app
from target_app.config import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m target_app", description="Serve the chaosdrill sample shop."
    )
    parser.add_argument("--host", default=os.environ.get("TARGET_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TARGET_PORT", "8100")))
    parser.add_argument("--database-url", help="SQLAlchemy URL (env DATABASE_URL)")
    parser.add_argument("--seed", type=int, help="seed of the demo data (env TARGET_SEED)")
    parser.add_argument("--version", dest="app_version", help="release to run (env APP_VERSION)")
    parser.add_argument("--payment-url", dest="payment_provider_url")
    parser.add_argument("--payment-backup-url", dest="payment_backup_url")
    parser.add_argument("--chaos-token", help="enables the chaos controls (env TARGET_CHAOS_TOKEN)")
    parser.add_argument("--log-file", help="JSON log file (env TARGET_LOG_FILE)")
    parser.add_argument("--no-stdout-log", action="store_true", help="log to the file only")
    parser.add_argument("--reset-db", action="store_true", help="drop and reseed the tables")
    args = parser.parse_args(argv)
    overrides = {
        k: v
        for k, v in vars(args).items()
        if k not in ("host", "port", "no_stdout_log") and v not in (None, False)
    }
    if args.no_stdout_log:
        overrides["log_stdout"] = False
    settings = Settings(**overrides)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
