"""Domain errors: the only exceptions use cases raise on purpose.

    DomainError
    ├── InvalidArgument      bad input, with the fields that are wrong      -> INVALID_ARGUMENT
    ├── NotFound             the named resource does not exist              -> NOT_FOUND
    ├── AlreadyExists        the resource (or its natural key) is taken     -> ALREADY_EXISTS
    ├── FailedPrecondition   a rule of DOMAIN.md refuses, with its rule id  -> FAILED_PRECONDITION
    ├── Aborted              a stale etag or a concurrent write             -> ABORTED
    ├── Unauthenticated      no trusted caller identity                     -> UNAUTHENTICATED
    ├── PermissionDenied     the caller's role or scope does not allow it   -> PERMISSION_DENIED
    └── Unavailable          a service this one depends on is unreachable   -> UNAVAILABLE

`sgz_runtime.status` maps each to a gRPC status (and back); the gateway maps that to HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One wrong field: its path in the request (`worker.town`) and why, with the rule if any."""

    field: str
    description: str
    rule: str | None = None


class DomainError(Exception):
    """Base of every refusal a use case raises. `rule` cites DOMAIN.md (`V4`)."""

    reason = "DOMAIN_ERROR"

    def __init__(self, message: str, *, rule: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule
        if reason is not None:
            self.reason = reason


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str,
        violations: list[FieldViolation] | None = None,
        *,
        rule: str | None = None,
        reason: str | None = None,
    ):
        super().__init__(message, rule=rule, reason=reason)
        self.violations = list(violations or [])

    @classmethod
    def field(cls, field: str, description: str, *, rule: str | None = None) -> InvalidArgument:
        """One violation, whose description is also the message."""
        return cls(f"{field}: {description}", [FieldViolation(field, description, rule)], rule=rule)


class NotFound(DomainError):
    reason = "NOT_FOUND"

    def __init__(self, resource_name: str, *, message: str | None = None):
        super().__init__(message or f"{resource_name} does not exist")
        self.resource_name = resource_name


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"

    def __init__(self, resource_name: str, *, message: str | None = None):
        super().__init__(message or f"{resource_name} already exists")
        self.resource_name = resource_name


class FailedPrecondition(DomainError):
    reason = "RULE_REFUSED"


class Aborted(DomainError):
    reason = "ETAG_MISMATCH"


class Unauthenticated(DomainError):
    reason = "UNAUTHENTICATED"


class PermissionDenied(DomainError):
    reason = "OUT_OF_SCOPE"


class Unavailable(DomainError):
    reason = "DEPENDENCY_UNAVAILABLE"
