"""The API keys of a drill environment, known from the outside.

The shop derives every key's secret from its environment's chaos token
(`target_app/keys.py`); the engine holds that token, so it can hand the load
its partner key and a fault its leaked key without asking the shop. Restated,
not imported: the engine knows the target only as an operator would.
"""

from __future__ import annotations

import hashlib
import hmac

from simulator.env.state import EnvState

PARTNER_KEY = "partner-acme"
CANARY_KEY = "canary"
# key id -> owner, as the shop seeds them
OWNERS: dict[str, str] = {
    "partner-acme": "acme-partner",
    "reports": "backoffice",
    "checkout": "storefront",
    "canary": "security-canary",
}


def derive_secret(env_secret: str, key_id: str, generation: int = 0) -> str:
    mac = hmac.new(env_secret.encode(), f"{key_id}:{generation}".encode(), hashlib.sha256)
    return f"cdk_{key_id}_{mac.hexdigest()[:32]}"


def secret_of(state: EnvState, key_id: str) -> str:
    """The first-generation secret of `key_id` in this environment."""
    return derive_secret(state.chaos_token, key_id)
