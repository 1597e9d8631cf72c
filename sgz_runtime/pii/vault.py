"""Keeps personal identifiers matchable without being readable: a keyed HMAC for lookup and
uniqueness, the value itself encrypted (Fernet: AES-128-CBC with HMAC-SHA256). Retired
encryption keys still decrypt, so the key can be rotated without rewriting every row at once.
Keys live outside the database: in the environment or in 0600 files under the data dir."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, and_, or_, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class IdVault(Protocol):
    def digest(self, number: str) -> str:
        """The stable keyed hash that matches number (64 hex characters)."""
        ...

    def seal(self, number: str) -> str:
        """number encrypted; only `reveal` reads it back."""
        ...

    def reveal(self, sealed: str) -> str: ...


class FernetIdVault:
    def __init__(self, hmac_key: bytes, encryption_key: bytes, retired_keys: Sequence[bytes] = ()):
        self._hmac_key = hmac_key
        # The first key encrypts; every key decrypts.
        self._fernet = MultiFernet([Fernet(k) for k in (encryption_key, *retired_keys)])

    def digest(self, number: str) -> str:
        return hmac.new(self._hmac_key, number.encode(), hashlib.sha256).hexdigest()

    def seal(self, number: str) -> str:
        return self._fernet.encrypt(number.encode()).decode()

    def reveal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise RuntimeError("the value cannot be decrypted with the key in use") from None

    def seal_optional(self, value: str) -> str:
        """value encrypted, or "" for "" (an empty field stays visibly empty)."""
        return self.seal(value) if value else ""

    def reveal_optional(self, sealed: str) -> str:
        return self.reveal(sealed) if sealed else ""


def key_file(path: Path, make: Callable[[], bytes]) -> bytes:
    """The key in path, created once (0600, its folder 0700) when missing; a race keeps the
    first writer's."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            try:
                os.write(fd, make())
            finally:
                os.close(fd)
    return path.read_bytes().strip()


def hmac_key_file(path: Path) -> bytes:
    """A 256-bit HMAC key kept in path (created once)."""
    return key_file(path, lambda: secrets.token_hex(32).encode())


def fernet_key_file(path: Path) -> bytes:
    """A Fernet key kept in path (created once)."""
    return key_file(path, Fernet.generate_key)


#: Marks a sealed column value; text without it is a value written before sealing.
SEALED_PREFIX = "enc1:"


class SealedText(TypeDecorator[str]):
    """A text column kept encrypted with a vault installed for the process (docs/privacy.md):
    for personal data that is read but never searched on (addresses, phones). Values written
    before the column was sealed read back as they are, and `seal_plaintext` seals them in place.

    `keyring` names the vault, so two services sharing a process (tests) never seal with each
    other's keys: the roster's columns are `SealedText("roster")`."""

    impl = Text
    cache_ok = True
    #: The vaults installed by each service's wiring (app.py), before any query.
    vaults: ClassVar[dict[str, FernetIdVault]] = {}

    def __init__(self, keyring: str) -> None:
        super().__init__()
        self.keyring = keyring

    @classmethod
    def install(cls, vault: FernetIdVault, keyring: str = "roster") -> None:
        cls.vaults[keyring] = vault

    def _vault(self) -> FernetIdVault:
        found = SealedText.vaults.get(self.keyring)
        if found is None:
            raise RuntimeError(f"no vault installed for sealed {self.keyring} columns")
        return found

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if not value or value.startswith(SEALED_PREFIX):
            return value
        return SEALED_PREFIX + self._vault().seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if not value or not value.startswith(SEALED_PREFIX):
            return value
        return self._vault().reveal(value[len(SEALED_PREFIX) :])


def seal_plaintext(session: Any, table: Any, key: str, columns: Sequence[str]) -> int:
    """Seals, in place, the values of table's SealedText columns written before they were
    sealed; returns the rows sealed. Run at start, after the vault is installed."""
    raw = [type_coerce(table.c[c], Text).label(c) for c in columns]
    plain = or_(*[and_(table.c[c] != "", ~table.c[c].startswith(SEALED_PREFIX)) for c in columns])
    rows = session.execute(select(table.c[key], *raw).where(plain)).all()
    for row in rows:
        values = {c: getattr(row, c) for c in columns}
        session.execute(update(table).where(table.c[key] == getattr(row, key)).values(**values))
    return len(rows)
