"""The accounts database: tables (SQLAlchemy Core) and the few statements the use cases need.
Each method is one short transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from gateway.accounts.domain import Account
from sgz_runtime.identity import Role, ScopeLevel

metadata = sa.MetaData()

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("username", sa.String(40), primary_key=True),
    sa.Column("display_name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("scope_level", sa.String(16), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=False),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(40), sa.ForeignKey("accounts.username"), nullable=False),
    sa.Column("issue_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expire_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoke_time", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_refresh_tokens_username", "username"),
)


def _utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _account(row: sa.Row[tuple[object, ...]]) -> Account:
    m = row._mapping
    return Account(
        username=m["username"],
        display_name=m["display_name"],
        role=Role(m["role"]),
        scope_level=ScopeLevel(m["scope_level"]),
        scope=m["scope"],
        disabled=bool(m["disabled"]),
        create_time=_utc(m["create_time"]),
        sessions_valid_after=_utc(m["sessions_valid_after"]),
    )


@dataclass(frozen=True)
class RefreshRow:
    username: str
    expire_time: datetime
    revoke_time: datetime | None


class AccountStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(accounts)).scalar_one())

    def insert(self, account: Account, password_hash: str, created_by: str) -> bool:
        """False when the username is taken."""
        with self.engine.begin() as conn:
            if conn.execute(
                sa.select(accounts.c.username).where(accounts.c.username == account.username)
            ).first():
                return False
            conn.execute(
                accounts.insert().values(
                    username=account.username,
                    display_name=account.display_name,
                    role=account.role.value,
                    scope_level=account.scope_level.value,
                    scope=account.scope,
                    password_hash=password_hash,
                    disabled=account.disabled,
                    created_by=created_by,
                    create_time=account.create_time,
                    update_time=account.create_time,
                    sessions_valid_after=account.sessions_valid_after,
                )
            )
        return True

    def get(self, username: str) -> tuple[Account, str] | None:
        """The account and its password hash."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(accounts).where(accounts.c.username == username)).first()
        return None if row is None else (_account(row), str(row._mapping["password_hash"]))

    def list(self, limit: int = 1000) -> list[Account]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(accounts).order_by(accounts.c.username).limit(limit))
            return [_account(r) for r in rows]

    def update(self, username: str, now: datetime, **values: object) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                accounts.update()
                .where(accounts.c.username == username)
                .values(update_time=now, **values)
            )

    def end_sessions(self, username: str, now: datetime, **values: object) -> None:
        """Refuses every token issued so far (and applies values): password reset, disable."""
        with self.engine.begin() as conn:
            conn.execute(
                accounts.update()
                .where(accounts.c.username == username)
                .values(update_time=now, sessions_valid_after=now, **values)
            )
            conn.execute(
                refresh_tokens.update()
                .where(
                    refresh_tokens.c.username == username, refresh_tokens.c.revoke_time.is_(None)
                )
                .values(revoke_time=now)
            )

    def add_refresh(self, token_hash: str, username: str, now: datetime, expires: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                refresh_tokens.insert().values(
                    token_hash=token_hash, username=username, issue_time=now, expire_time=expires
                )
            )

    def rotate_refresh(
        self, old_hash: str, new_hash: str, now: datetime, expires: datetime
    ) -> RefreshRow | None:
        """Revokes old_hash and issues new_hash to the same account in one transaction, when
        old_hash is live; returns the old row as it was (None when unknown). A revoked or
        expired token is not rotated: the caller decides what that means."""
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == old_hash)
            ).first()
            if row is None:
                return None
            m = row._mapping
            found = RefreshRow(
                m["username"],
                _utc(m["expire_time"]),
                None if m["revoke_time"] is None else _utc(m["revoke_time"]),
            )
            if found.revoke_time is not None or found.expire_time <= now:
                return found
            revoked = conn.execute(
                refresh_tokens.update()
                .where(
                    refresh_tokens.c.token_hash == old_hash, refresh_tokens.c.revoke_time.is_(None)
                )
                .values(revoke_time=now)
            )
            if revoked.rowcount != 1:  # a concurrent refresh won: treat as reused
                return RefreshRow(found.username, found.expire_time, now)
            conn.execute(
                refresh_tokens.insert().values(
                    token_hash=new_hash,
                    username=found.username,
                    issue_time=now,
                    expire_time=expires,
                )
            )
            return found

    def revoke_refresh(self, token_hash: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                refresh_tokens.update()
                .where(
                    refresh_tokens.c.token_hash == token_hash,
                    refresh_tokens.c.revoke_time.is_(None),
                )
                .values(revoke_time=now)
            )
