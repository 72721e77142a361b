"""A stub payment provider, run as its own process (primary and backup)."""
