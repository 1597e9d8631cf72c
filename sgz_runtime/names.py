"""Resource names (AIP-122): checking ids and taking names apart."""

from __future__ import annotations

import re

from sgz_runtime.errors import InvalidArgument

_ID = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")


def check_id(field: str, value: str) -> str:
    """A user-chosen resource id: lowercase letters, digits and hyphens, starting with a letter."""
    if not _ID.match(value):
        raise InvalidArgument.field(
            field,
            "must be lowercase letters, digits and hyphens, start with a letter, "
            "end with a letter or digit, and be at most 63 characters",
        )
    return value


def parse(field: str, name: str, *collections: str) -> list[str]:
    """The ids in a name made of the given collections, e.g. parse(f, n, "towns", "villages")
    for `towns/{town}/villages/{village}`; INVALID_ARGUMENT naming field otherwise."""
    parts = name.split("/")
    pattern = "/".join(f"{c}/{{{c[:-1]}}}" for c in collections)
    if len(parts) != 2 * len(collections) or any(
        parts[2 * i] != c for i, c in enumerate(collections)
    ):
        raise InvalidArgument.field(field, f"must be a resource name like {pattern}")
    ids = parts[1::2]
    for i in ids:
        if not i:
            raise InvalidArgument.field(field, f"must be a resource name like {pattern}")
    return ids
