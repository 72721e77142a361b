"""`python -m target_app`: serve the shop with one uvicorn worker."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from target_app.app import create_app, prepare_engine
from target_app.config import Settings
from target_app.db import database_url, make_engine


def parse_args(argv: list[str] | None) -> argparse.Namespace:
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
    return parser.parse_args(argv)


def prepare_or_exit(settings: Settings) -> None:
    """Create and seed the database, or exit with one sentence naming the URL."""
    engine = make_engine(settings)  # a throwaway engine: fail here, before serving
    try:
        prepare_engine(engine, settings)
    except (sa_exc.SQLAlchemyError, ImportError, OSError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        try:
            shown = database_url(settings.database_url).render_as_string(hide_password=True)
        except sa_exc.ArgumentError:
            shown = settings.database_url
        sys.exit(f"target_app: cannot prepare the database {shown!r} (--database-url): {first}")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    overrides = {
        k: v
        for k, v in vars(args).items()
        if k not in ("host", "port", "no_stdout_log") and v not in (None, False)
    }
    if args.no_stdout_log:
        overrides["log_stdout"] = False
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        sys.exit(f"target_app: setting {field!r} is invalid: {error['msg']}")
    prepare_or_exit(settings)
    uvicorn.run(
        create_app(settings, prepare_on_startup=False),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        # The chaos controls trust the peer address; never let a header rewrite it.
        proxy_headers=False,
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
