"""Wires accounts: the gateway's own database (migrated on open), hasher, tokens, use cases."""

from __future__ import annotations

from pathlib import Path

from gateway.accounts.passwords import Passwords
from gateway.accounts.service import AccountService
from gateway.accounts.settings import AccountSettings
from gateway.accounts.store import AccountStore
from gateway.accounts.tokens import AccessTokens, access_key
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine, migrate

MIGRATIONS = Path(__file__).parent / "migrations"
#: The database's name for `database_url`: `gateway.db`, or GATEWAY_DATABASE_URL.
DATABASE = "gateway"


def open_accounts(
    settings: Settings, account_settings: AccountSettings | None = None
) -> AccountService:
    """The accounts of this deployment, their database migrated to head."""
    current = account_settings or AccountSettings()
    engine = make_engine(settings.database_url(DATABASE))
    migrate(engine, MIGRATIONS)
    passwords = Passwords(
        time_cost=current.argon2_time_cost,
        memory_kib=current.argon2_memory_kib,
        parallelism=current.argon2_parallelism,
    )
    tokens = AccessTokens(access_key(settings.secret()), ttl_s=current.access_ttl_s)
    return AccountService(AccountStore(engine), passwords, tokens, current)
