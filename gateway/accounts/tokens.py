"""Access tokens (PyJWT, HS256 pinned, exp/iat/iss/aud required, lifetime capped on both
sides) and refresh tokens (random, stored only as their SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from sgz_runtime.errors import Unauthenticated
from sgz_runtime.i18n import tr

ISSUER = "sgz-gateway"
#: Not the internal audience: an access token is never a caller token, nor the reverse.
AUDIENCE = "sgz-api"
ALGORITHM = "HS256"
#: The longest an access token may live, checked when signing and again when verifying.
MAX_ACCESS_TTL_S = 900
#: Clock difference tolerated between the signer and the verifier.
LEEWAY_S = 30


def access_key(internal_secret: bytes) -> bytes:
    """The key of access tokens, derived from the internal secret but never equal to it."""
    return hmac.new(internal_secret, b"sgz access tokens v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class AccessClaims:
    subject: str
    issued_at: float
    expires_at: float


class AccessTokens:
    def __init__(
        self,
        key: bytes,
        *,
        ttl_s: int = MAX_ACCESS_TTL_S,
        clock: Callable[[], float] = time.time,
    ):
        if not 0 < ttl_s <= MAX_ACCESS_TTL_S:
            raise ValueError(f"an access token lives 1 to {MAX_ACCESS_TTL_S} s, not {ttl_s}")
        self._key = key
        self.ttl_s = ttl_s
        self._clock = clock

    def sign(self, subject: str, extra: dict[str, str]) -> str:
        now = int(self._clock())
        claims = {
            **extra,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + self.ttl_s,
            "typ": "access",
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; Unauthenticated for a forged, expired, malformed or
        over-long-lived one (whatever `alg` its header names: only HS256 is accepted)."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
            issued, expires = float(claims["iat"]), float(claims["exp"])
            subject = str(claims["sub"])
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            raise Unauthenticated(tr("the access token is not valid; log in again")) from None
        if claims.get("typ") != "access" or expires - issued > MAX_ACCESS_TTL_S:
            raise Unauthenticated(tr("the access token is not valid; log in again"))
        if issued > self._clock() + LEEWAY_S:
            raise Unauthenticated(tr("the access token is not valid; log in again"))
        return AccessClaims(subject, issued, expires)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    """What is stored of a refresh token: a leaked table holds no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()
