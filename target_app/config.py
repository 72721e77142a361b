"""Settings of the shop service, read from flags, environment and defaults."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url

from target_app import DEFAULT_VERSION
from target_app.chaos import SWITCHABLE


class Settings(BaseSettings):
    """Everything the service needs to start; built per app, never at import time."""

    model_config = SettingsConfigDict(env_prefix="TARGET_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///./shop.db",
        validation_alias=AliasChoices("DATABASE_URL", "TARGET_DATABASE_URL"),
    )
    # Catalog GETs (list, search, one product) read here when set: a read replica,
    # so its lag shows as stale catalog pages. Everything else uses database_url.
    catalog_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CATALOG_READ_URL", "TARGET_CATALOG_READ_URL"),
    )
    app_version: str = Field(
        default=DEFAULT_VERSION,
        validation_alias=AliasChoices("APP_VERSION", "TARGET_APP_VERSION"),
    )
    seed: int = 42
    products: int = Field(default=200, ge=1)
    customers: int = Field(default=300, ge=1)
    payment_provider_url: str = "http://127.0.0.1:8101"
    payment_backup_url: str = "http://127.0.0.1:8102"
    payment_connect_timeout_s: float = Field(default=0.5, gt=0)
    payment_read_timeout_s: float = Field(default=2.0, gt=0)
    # Bounds on how long a request may wait for the database before it gets a 503.
    db_timeout_s: float = Field(default=2.0, gt=0)
    request_timeout_s: float = Field(default=5.0, gt=0)
    pool_size: int = Field(default=5, ge=1)
    max_overflow: int = Field(default=5, ge=0)
    chaos_token: str | None = None
    log_file: str | None = None
    log_stdout: bool = True
    reset_db: bool = False
    # Features the operators switched off, comma-separated (TARGET_DISABLED_FEATURES):
    # the flags' defaults, so they stay off across restarts and flag TTLs.
    disabled_features: str = ""

    @property
    def disabled(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.disabled_features.split(",") if n.strip())

    @field_validator("disabled_features")
    @classmethod
    def _known_features(cls, value: str) -> str:
        unknown = [n.strip() for n in value.split(",") if n.strip() and n.strip() not in SWITCHABLE]
        if unknown:
            raise ValueError(
                f"unknown feature(s) {', '.join(unknown)}; expected a comma-separated list "
                f"of {', '.join(SWITCHABLE)}"
            )
        return value

    @field_validator("database_url", "catalog_read_url")
    @classmethod
    def _is_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            make_url(value)
        except sa_exc.ArgumentError:
            raise ValueError(
                f"{value!r} is not a database URL (e.g. sqlite:///shop.db or "
                "postgresql://user:password@host:5432/name)"
            ) from None
        return value
