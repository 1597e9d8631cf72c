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
Messages are catalog texts (`sgz_runtime.i18n.tr`), rendered in the caller's locale; a plain
string is shown as it is (user data, or a message another service already rendered).
"""

from __future__ import annotations

from dataclasses import dataclass

from sgz_runtime.i18n import Text, as_text, tr


@dataclass(frozen=True)
class FieldViolation:
    """One wrong field: its path in the request (`worker.town`) and why, with the rule if any."""

    field: str
    description: str | Text
    rule: str | None = None


class DomainError(Exception):
    """Base of every refusal a use case raises. `rule` cites DOMAIN.md (`V4`)."""

    reason = "DOMAIN_ERROR"

    def __init__(self, message: str | Text, *, rule: str | None = None, reason: str | None = None):
        self.text = as_text(message)
        #: The English rendering, for logs and developers (AIP-193's `message`).
        self.message = str(self.text)
        super().__init__(self.message)
        self.rule = rule
        if reason is not None:
            self.reason = reason


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(
        self,
        message: str | Text,
        violations: list[FieldViolation] | None = None,
        *,
        rule: str | None = None,
        reason: str | None = None,
    ):
        super().__init__(message, rule=rule, reason=reason)
        self.violations = list(violations or [])

    @classmethod
    def field(
        cls, field: str, description: str | Text, *, rule: str | None = None
    ) -> InvalidArgument:
        """One violation, whose description is also the message."""
        message = tr("{field}: {description}", field=field, description=as_text(description))
        return cls(message, [FieldViolation(field, description, rule)], rule=rule)

    @classmethod
    def of(cls, violations: list[FieldViolation]) -> InvalidArgument:
        """Every violation of one request at once; the message lists them all."""
        if len(violations) == 1:
            only = violations[0]
            return cls.field(only.field, only.description, rule=only.rule)
        first_rule = next((v.rule for v in violations if v.rule), None)
        message = tr("{count} fields are wrong", count=len(violations))
        return cls(message, violations, rule=first_rule)


class NotFound(DomainError):
    reason = "NOT_FOUND"

    def __init__(self, resource_name: str, *, message: str | Text | None = None):
        super().__init__(message or tr("{resource} does not exist", resource=resource_name))
        self.resource_name = resource_name


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"

    def __init__(self, resource_name: str, *, message: str | Text | None = None):
        super().__init__(message or tr("{resource} already exists", resource=resource_name))
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
