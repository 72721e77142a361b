"""`python -m target_app.payment_provider --name backup --port 8102`."""

from __future__ import annotations

import argparse
import os

import uvicorn

from target_app.payment_provider.app import create_provider_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m target_app.payment_provider", description="Serve the stub payment provider."
    )
    parser.add_argument("--host", default=os.environ.get("PROVIDER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PROVIDER_PORT", "8101")))
    parser.add_argument("--name", default=os.environ.get("PROVIDER_NAME", "primary"))
    args = parser.parse_args(argv)
    uvicorn.run(
        create_provider_app(args.name),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
