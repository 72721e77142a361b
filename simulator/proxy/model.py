"""Proxies and toxics as the API sees them: parsing request bodies, rendering JSON.

The JSON shapes are Toxiproxy's (`{name, listen, upstream, enabled, toxics}` and
`{name, type, stream, toxicity, attributes}`) plus our TTL fields, which
Toxiproxy clients ignore: `ttl_s` and `expires_in_s` on a toxic, and
`reenable_in_s` on a proxy disabled with a TTL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.proxy.errors import ApiError, describe_validation_error
from simulator.proxy.toxics import TOXIC_KINDS, ToxicKind, parse_attributes

__all__ = [
    "STREAMS",
    "ProxyInput",
    "ProxyUpdate",
    "Toxic",
    "parse_body",
    "toxic_from_json",
    "updated_toxic",
]

STREAMS = ("upstream", "downstream")
Stream = Literal["upstream", "downstream"]


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], body: object, what: str) -> M:
    """Validate a decoded JSON body; a 400 naming the bad field otherwise."""
    if not isinstance(body, dict):
        raise ApiError.bad_body(f"{what} must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError.bad_body(f"{what}: {describe_validation_error(exc)}") from None


class _Body(BaseModel):
    # Unknown fields are ignored, as Toxiproxy's JSON decoder does.
    model_config = ConfigDict(extra="ignore")


class ProxyInput(_Body):
    name: str = ""
    listen: str = "127.0.0.1:0"
    upstream: str = ""
    enabled: bool = True

    def require_fields(self) -> None:
        if not self.name:
            raise ApiError.missing_field("name")
        if not self.upstream:
            raise ApiError.missing_field("upstream")
        if "/" in self.name:
            raise ApiError.bad_body(f"proxy name {self.name!r} must not contain '/'")


class ProxyUpdate(_Body):
    listen: str | None = None
    upstream: str | None = None
    enabled: bool | None = None
    ttl_s: float | None = Field(None, gt=0, description="re-enable after this many seconds")


class _ToxicInput(_Body):
    name: str | None = None
    type: str | None = None
    stream: str = "downstream"
    toxicity: float = Field(1.0, ge=0.0, le=1.0)
    attributes: object = None
    ttl_s: float | None = Field(None, gt=0)


class _ToxicUpdate(_Body):
    toxicity: float | None = Field(None, ge=0.0, le=1.0)
    attributes: object = None
    ttl_s: float | None = Field(None, gt=0)


@dataclass(eq=False)
class Toxic:
    """A toxic on a proxy. Compared by identity: each connection decides once per toxic."""

    name: str
    kind: ToxicKind
    stream: Stream
    toxicity: float
    attributes: BaseModel
    ttl_s: float | None = None
    expires_at: float | None = None
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)

    def to_json(self, now: float) -> dict[str, object]:
        return {
            "name": self.name,
            "type": self.kind.name,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": self.attributes.model_dump(),
            "ttl_s": self.ttl_s,
            "expires_in_s": None
            if self.expires_at is None
            else round(max(0.0, self.expires_at - now), 3),
        }


def _stream(value: str) -> Stream:
    value = value.lower()  # Toxiproxy accepts "Upstream", "DOWNSTREAM", ...
    if value == "upstream":
        return "upstream"
    if value == "downstream":
        return "downstream"
    raise ApiError.invalid_stream(value)


def toxic_from_json(body: object, default_ttl_s: float) -> Toxic:
    """A new toxic from a `POST /proxies/{proxy}/toxics` body (Toxiproxy's defaults)."""
    data = parse_body(_ToxicInput, body, "toxic")
    kind = TOXIC_KINDS.get(data.type or "")
    if kind is None:
        raise ApiError.invalid_toxic_type(data.type, sorted(TOXIC_KINDS))
    stream = _stream(data.stream)
    ttl_s = data.ttl_s or (default_ttl_s if default_ttl_s > 0 else None)
    return Toxic(
        name=data.name or f"{kind.name}_{stream}",
        kind=kind,
        stream=stream,
        toxicity=data.toxicity,
        attributes=parse_attributes(kind, data.attributes),
        ttl_s=ttl_s,
    )


def updated_toxic(toxic: Toxic, body: object) -> tuple[Toxic, float | None]:
    """A copy of `toxic` with an update body's attributes and toxicity merged in.

    Also returns the update's new `ttl_s` (None: keep the old deadline).
    """
    data = parse_body(_ToxicUpdate, body, "toxic update")
    attributes = toxic.attributes
    if data.attributes is not None:
        if not isinstance(data.attributes, dict):
            raise ApiError.bad_body("attributes must be a JSON object")
        merged = {**toxic.attributes.model_dump(), **data.attributes}
        attributes = parse_attributes(toxic.kind, merged)
    new = Toxic(
        name=toxic.name,
        kind=toxic.kind,
        stream=toxic.stream,
        toxicity=toxic.toxicity if data.toxicity is None else data.toxicity,
        attributes=attributes,
        ttl_s=data.ttl_s or toxic.ttl_s,
        expires_at=toxic.expires_at,
    )
    return new, data.ttl_s
