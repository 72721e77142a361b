"""Errors of the fault layer. Each message is one sentence a user can act on.

FaultError
 ├── UnknownFault        no such kind / fault id
 ├── BadParams           a parameter is unknown or out of range
 ├── NotApplicable       the kind cannot act on this environment (says why and what would)
 └── TargetRefused       the target is not on the environment's allow-list
"""

from __future__ import annotations


class FaultError(Exception):
    """Root of the fault layer's user-facing errors."""


class UnknownFault(FaultError):
    pass


class BadParams(FaultError):
    pass


class NotApplicable(FaultError):
    pass


class TargetRefused(FaultError):
    pass
