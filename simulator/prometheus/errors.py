"""The one exception root of the Prometheus detector and rule export.

It is a ValueError so the CLI's `user_errors` turns it into one sentence
(missing binary, unreadable team rules file, a server that would not start).
"""

from __future__ import annotations


class PrometheusError(ValueError):
    """Prometheus or Alertmanager cannot be used as asked; the message says how to fix it."""
