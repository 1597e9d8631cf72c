"""The settings of accounts and login, read from the environment (`SGZ_ACCOUNTS_*`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.accounts.tokens import MAX_ACCESS_TTL_S


class AccountSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SGZ_ACCOUNTS_", extra="ignore")

    #: Seconds an access token lives (at most 900).
    access_ttl_s: int = Field(default=MAX_ACCESS_TTL_S, ge=30, le=MAX_ACCESS_TTL_S)
    #: Seconds a refresh token lives: a working day and a half.
    refresh_ttl_s: int = Field(default=12 * 3600, ge=60, le=30 * 86400)
    #: Failed logins allowed per account, then per address, within the window.
    failures_per_account: int = Field(default=5, ge=1)
    failures_per_address: int = Field(default=20, ge=1)
    failure_window_s: float = Field(default=900.0, gt=0)
    #: argon2id cost (RFC 9106's second recommended option by default).
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8192)
    argon2_parallelism: int = Field(default=4, ge=1)
