"""The shop's customer accounts, known from the outside, and a stuffing list made of them.

The shop derives every account's first password from its environment's chaos
token (`target_app/accounts.py`); the engine holds that token, so a fault can
build a "combo list leaked from another site" in which a few pairs really work
here (customers who reused their password). Restated, not imported.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Sequence

from simulator.env.state import EnvState

# Passwords seen in every real combo list; none of them is a drill account's password.
COMMON = ("123456", "password", "qwerty123", "Summer2024!", "letmein", "iloveyou", "dragon")


def derive_password(env_secret: str, email: str) -> str:
    mac = hmac.new(env_secret.encode(), f"account:{email}".encode(), hashlib.sha256)
    return f"pw-{mac.hexdigest()[:16]}"


def combo_list(
    state: EnvState, emails: Sequence[str], size: int, hits: int, seed: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """(pairs, the emails whose pair really works): `size` pairs, `hits` of them right.

    The rest are real accounts with a wrong password and addresses the shop has
    never seen, as in a list bought after another site's breach."""
    rng = random.Random(seed)
    chosen = rng.sample(sorted(emails), min(size, len(emails)))
    reused = sorted(chosen[:hits])
    pairs = [(e, derive_password(state.chaos_token, e)) for e in reused]
    for i, email in enumerate(chosen[hits:]):
        if i % 3 == 2:  # a third of the list is somebody else's address
            email = f"{email.split('@')[0]}.{rng.randrange(1000)}@mail.example"
        pairs.append((email, rng.choice(COMMON) + str(rng.randrange(100))))
    misses = pairs[len(reused) :]
    rng.shuffle(misses)
    # One reused pair early in every ten, as a list sorted by "freshness" would have
    # them: the first bursts already open accounts.
    for i, pair in enumerate(pairs[: len(reused)]):
        misses.insert(min(i * 10 + 3, len(misses)), pair)
    return misses, reused
