"""The console API's request bodies: bounded, yet wide enough for real arguments."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator.console.routes.incident import MAX_ARG_CHARS, ActionBody


def test_an_account_list_for_accounts_reset_is_accepted() -> None:
    # What a stuffing drill opens: three accounts are already past 64 characters.
    accounts = ",".join(f"customer{n}@williams-{n}.net" for n in range(40))
    body = ActionBody(action="accounts.reset", arg=accounts, confirm=True)
    assert body.arg == accounts


def test_an_argument_past_the_bound_is_refused() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_ARG_CHARS} characters"):
        ActionBody(action="accounts.reset", arg="a" * (MAX_ARG_CHARS + 1))
