"""Settings of the shop service, read from flags, environment and defaults."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from target_app import DEFAULT_VERSION


class Settings(BaseSettings):
    """Everything the service needs to start; built per app, never at import time."""

    model_config = SettingsConfigDict(env_prefix="TARGET_", extra="ignore", populate_by_name=True)

    database_url: str = Field(
        default="sqlite:///./shop.db",
        validation_alias=AliasChoices("DATABASE_URL", "TARGET_DATABASE_URL"),
    )
    app_version: str = Field(
        default=DEFAULT_VERSION,
        validation_alias=AliasChoices("APP_VERSION", "TARGET_APP_VERSION"),
    )
    seed: int = 42
    products: int = 200
    customers: int = 300
    payment_provider_url: str = "http://127.0.0.1:8101"
    payment_backup_url: str = "http://127.0.0.1:8102"
    payment_connect_timeout_s: float = 0.5
    payment_read_timeout_s: float = 2.0
    # Bounds on how long a request may wait for the database before it gets a 503.
    db_timeout_s: float = 2.0
    request_timeout_s: float = 5.0
    pool_size: int = 5
    max_overflow: int = 5
    chaos_token: str | None = None
    log_file: str | None = None
    log_stdout: bool = True
    reset_db: bool = False
