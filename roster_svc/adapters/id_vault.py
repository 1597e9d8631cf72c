"""Keeps resident ID numbers matchable without being readable: a keyed HMAC for lookup and
uniqueness, the number itself encrypted (Fernet: AES-128-CBC with HMAC-SHA256). Retired
encryption keys still decrypt, so the key can be rotated without rewriting every row at once."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


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
            raise RuntimeError("the ID number cannot be decrypted with the key in use") from None
