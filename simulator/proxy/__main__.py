"""`python -m simulator.proxy --api 127.0.0.1:PORT [--config proxies.json] [--default-ttl S]`."""

import sys

from simulator.proxy.cli import main

sys.exit(main())
