"""Checks the `google.api.field_behavior = REQUIRED` annotations of a request, for every RPC."""

from __future__ import annotations

from typing import Any

from google.api import field_behavior_pb2
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from sgz_runtime.errors import FieldViolation, InvalidArgument

_REQUIRED = field_behavior_pb2.REQUIRED
_cache: dict[str, list[FieldDescriptor]] = {}


def _required_fields(descriptor: Any) -> list[FieldDescriptor]:
    found = _cache.get(descriptor.full_name)
    if found is None:
        found = [
            f
            for f in descriptor.fields
            if _REQUIRED in f.GetOptions().Extensions[field_behavior_pb2.field_behavior]
        ]
        _cache[descriptor.full_name] = found
    return found


def _is_set(message: Message, field: FieldDescriptor) -> bool:
    if field.is_repeated:  # type: ignore[attr-defined]
        return len(getattr(message, field.name)) > 0
    if field.message_type is not None:
        return message.HasField(field.name)
    return bool(getattr(message, field.name))


def missing_required(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every REQUIRED field left unset, by path. Resources under an update_mask are not
    descended into: which of their fields must be set depends on the mask."""
    violations: list[FieldViolation] = []
    partial = "update_mask" in message.DESCRIPTOR.fields_by_name
    for field in _required_fields(message.DESCRIPTOR):
        path = f"{prefix}{field.name}"
        if not _is_set(message, field):
            violations.append(FieldViolation(path, "is required"))
        elif field.message_type is not None and not field.is_repeated and not partial:  # type: ignore[attr-defined]
            violations += missing_required(getattr(message, field.name), prefix=path + ".")
    return violations


def check_required(message: Message) -> None:
    violations = missing_required(message)
    if violations:
        names = ", ".join(v.field for v in violations)
        raise InvalidArgument(f"required fields are missing: {names}", violations)
