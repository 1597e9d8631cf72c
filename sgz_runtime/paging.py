"""Page tokens for List methods (AIP-158): opaque, tied to the query they continue."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass

from sgz_runtime.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class Page:
    """The size of the page asked for and the key of the last item already returned."""

    size: int
    after: str | None


def _fingerprint(query: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]


def parse(page_size: int, page_token: str, query: dict[str, str] | None = None) -> Page:
    """The page a List request asks for; INVALID_ARGUMENT for a bad size or token."""
    if page_size < 0:
        raise InvalidArgument.field("page_size", "must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return Page(size, None)
    try:
        decoded = json.loads(base64.urlsafe_b64decode(page_token.encode()))
        after, fingerprint = str(decoded["a"]), str(decoded["q"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidArgument.field("page_token", "is not a token this method issued") from None
    if fingerprint != _fingerprint(query or {}):
        raise InvalidArgument.field("page_token", "was issued for a different query")
    return Page(size, after)


def next_token(last_key: str | None, query: dict[str, str] | None = None) -> str:
    """The token continuing after last_key; empty when there is no next page."""
    if last_key is None:
        return ""
    payload = json.dumps({"a": last_key, "q": _fingerprint(query or {})}).encode()
    return base64.urlsafe_b64encode(payload).decode()
