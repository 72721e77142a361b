"""Drill history: store scored drills (SQLAlchemy) and compute trends over them."""

from __future__ import annotations

from scoring.history.store import DEFAULT_DB, ENV_URL, HistoryError, HistoryStore, database_url
from scoring.history.trends import TrendFilter, Trends, compute_trends

__all__ = [
    "DEFAULT_DB",
    "ENV_URL",
    "HistoryError",
    "HistoryStore",
    "TrendFilter",
    "Trends",
    "compute_trends",
    "database_url",
]
