"""Fernet tokens decrypted by the thousand, for an export: the same checks as
`cryptography.fernet.MultiFernet.decrypt` (version byte, HMAC-SHA256 over the token, every key
tried in order, PKCS7 padding), without its per-token cost of a cipher context.

An export of 150,000 persons decrypts three values each (the ID number, the sealed address and
phone); at ~100 us a token through MultiFernet that alone is 45 s on this machine. Here every
token's HMAC is checked with the standard library's C hmac, and AES-128-CBC is undone for a
whole page at once: one ECB pass over all the pages' ciphertext blocks (one cipher context per
key), then each block XORed with the block before it (the token's IV for its first), which is
exactly CBC decryption. Tokens that fail any check raise, as Fernet would.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_VERSION = 0x80
_BLOCK = 16


class BadToken(ValueError):
    """A token no key verifies, or not a Fernet token at all."""


class BulkFernet:
    def __init__(self, keys: Sequence[bytes]):
        """keys: urlsafe-base64 Fernet keys, the one in use first, then the retired ones."""
        self._keys: list[tuple[bytes, bytes]] = []
        for key in keys:
            raw = base64.urlsafe_b64decode(key)
            if len(raw) != 32:
                raise ValueError("a Fernet key is 32 bytes, urlsafe-base64 encoded")
            self._keys.append((raw[:16], raw[16:]))

    def _signer_of(self, body: bytes, mac: bytes) -> int:
        """The index of the key whose signing half made mac over body."""
        for index, (signing, _encryption) in enumerate(self._keys):
            if hmac.compare_digest(hmac.digest(signing, body, "sha256"), mac):
                return index
        raise BadToken("no key verifies the token")

    def decrypt_many(self, tokens: Sequence[str]) -> list[str]:
        """The texts of the tokens, in order; BadToken for any that does not verify."""
        parsed: list[tuple[int, bytes, bytes]] = []  # (key index, iv, ciphertext)
        for token in tokens:
            try:
                data = base64.urlsafe_b64decode(token)
            except (binascii.Error, ValueError):
                raise BadToken("not a Fernet token") from None
            if len(data) < 1 + 8 + _BLOCK + _BLOCK + 32 or data[0] != _VERSION:
                raise BadToken("not a Fernet token")
            body, mac = data[:-32], data[-32:]
            index = self._signer_of(body, mac)
            ciphertext = body[25:]
            if not ciphertext or len(ciphertext) % _BLOCK:
                raise BadToken("the ciphertext is not whole blocks")
            parsed.append((index, body[9:25], ciphertext))
        plain: list[bytes] = [b""] * len(parsed)
        for index, (_signing, encryption) in enumerate(self._keys):
            mine = [i for i, p in enumerate(parsed) if p[0] == index]
            if not mine:
                continue
            decryptor = Cipher(algorithms.AES(encryption), modes.ECB()).decryptor()
            blocks = decryptor.update(b"".join(parsed[i][2] for i in mine)) + decryptor.finalize()
            at = 0
            for i in mine:
                _key, iv, ciphertext = parsed[i]
                size = len(ciphertext)
                previous = iv + ciphertext[:-_BLOCK]
                mixed = int.from_bytes(blocks[at : at + size], "big") ^ int.from_bytes(
                    previous, "big"
                )
                at += size
                padded = mixed.to_bytes(size, "big")
                pad = padded[-1]
                if not 1 <= pad <= _BLOCK or padded[-pad:] != bytes([pad]) * pad:
                    raise BadToken("bad padding")
                plain[i] = padded[:-pad]
        try:
            return [p.decode() for p in plain]
        except UnicodeDecodeError:
            raise BadToken("the text is not UTF-8") from None
