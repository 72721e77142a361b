"""Errors of the chaos proxy, shaped like Toxiproxy's API errors.

Every error a user of the API can cause is an `ApiError`: an HTTP status and one
sentence. The API serialises it as Toxiproxy does, `{"error": "...", "status": N}`,
so Toxiproxy clients map the status to their own exceptions (404 not found,
409 already exists, 400 bad input).
"""

from __future__ import annotations

from pydantic import ValidationError

__all__ = ["ApiError", "describe_validation_error"]


class ApiError(Exception):
    """An error with the HTTP status the control API answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def to_json(self) -> dict[str, object]:
        """The body Toxiproxy sends for an error."""
        return {"error": self.message, "status": self.status}

    # Toxiproxy's messages come first so clients that match on them keep working;
    # our detail follows after a colon.

    @classmethod
    def bad_body(cls, detail: str) -> ApiError:
        return cls(f"bad request body: {detail}", 400)

    @classmethod
    def missing_field(cls, field: str) -> ApiError:
        return cls(f"missing required field: {field}", 400)

    @classmethod
    def proxy_not_found(cls, name: str) -> ApiError:
        return cls(f"proxy not found: {name!r}", 404)

    @classmethod
    def proxy_exists(cls, name: str) -> ApiError:
        return cls(f"proxy already exists: {name!r}", 409)

    @classmethod
    def toxic_not_found(cls, name: str) -> ApiError:
        return cls(f"toxic not found: {name!r}", 404)

    @classmethod
    def toxic_exists(cls, name: str) -> ApiError:
        return cls(f"toxic already exists: {name!r}; remove it first or pick another name", 409)

    @classmethod
    def invalid_stream(cls, stream: object) -> ApiError:
        return cls(
            f"stream was invalid, can be either upstream or downstream (got {stream!r})", 400
        )

    @classmethod
    def invalid_toxic_type(cls, kind: object, known: list[str]) -> ApiError:
        return cls(f"invalid toxic type: {kind!r}; known types: {', '.join(known)}", 400)


def describe_validation_error(exc: ValidationError) -> str:
    """One readable sentence from a pydantic error: the field path and what is wrong."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(item) for item in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a known field"
        parts.append(f"{where!r} {message[:1].lower()}{message[1:]}" if where else message)
    return "; ".join(parts)
