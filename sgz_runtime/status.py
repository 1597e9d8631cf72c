"""The one map between domain errors and gRPC status with `google.rpc` details, both ways."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from sgz_runtime import errors, i18n

#: Every domain error class and its gRPC code. A test fails when a subclass is missing here.
CODES: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.Aborted: grpc.StatusCode.ABORTED,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
}

ERROR_DOMAIN = "sgz"


def code_of(error: errors.DomainError) -> grpc.StatusCode:
    """The code of the error's class, looked up along its class hierarchy."""
    for klass in type(error).__mro__:
        if klass in CODES:
            return CODES[klass]  # type: ignore[index]
    raise KeyError(f"{type(error).__name__} has no gRPC status in sgz_runtime.status.CODES")


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def to_status(error: errors.DomainError, *, service: str) -> grpc.Status:
    """The gRPC status for a domain error, with BadRequest, ErrorInfo and LocalizedMessage details.

    `message` is English (for developers, AIP-193); the LocalizedMessage and each field
    violation's `localized_message` are in the caller's locale (zh-CN unless asked otherwise).
    """
    code = code_of(error)
    locale = i18n.current_locale()
    details: list[any_pb2.Any] = []
    if isinstance(error, errors.InvalidArgument) and error.violations:
        bad = error_details_pb2.BadRequest()
        for v in error.violations:
            text = i18n.as_text(v.description)
            violation = bad.field_violations.add(field=v.field, description=str(text))
            if v.rule:
                violation.reason = f"RULE_{v.rule}"
            violation.localized_message.locale = locale
            violation.localized_message.message = text.render(locale)
        details.append(_pack(bad))
    details.append(
        _pack(error_details_pb2.LocalizedMessage(locale=locale, message=error.text.render(locale)))
    )
    metadata = {"service": service}
    if error.rule:
        metadata["rule"] = error.rule
    if isinstance(error, errors.NotFound | errors.AlreadyExists):
        metadata["resource"] = error.resource_name
    details.append(
        _pack(
            error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata)
        )
    )
    proto = status_pb2.Status(code=code.value[0], message=error.message, details=details)
    return rpc_status.to_status(proto)


def rich_status(exc: grpc.RpcError) -> status_pb2.Status:
    """The `google.rpc.Status` of a failed call, details included when the server sent them."""
    call = exc  # grpc.RpcError raised by a stub is also a grpc.Call
    found = rpc_status.from_call(call)  # type: ignore[arg-type]
    if found is not None:
        return found
    code = call.code() if hasattr(call, "code") else grpc.StatusCode.UNKNOWN
    message = call.details() if hasattr(call, "details") else str(exc)
    return status_pb2.Status(code=code.value[0], message=message or "")


def from_rpc_error(exc: grpc.RpcError) -> errors.DomainError:
    """The domain error a failed call to another sgz service stands for (for clients)."""
    status = rich_status(exc)
    rule: str | None = None
    reason: str | None = None
    resource = ""
    localized = ""
    violations: list[errors.FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
            found = error_details_pb2.LocalizedMessage()
            detail.Unpack(found)
            localized = found.message
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            rule = info.metadata.get("rule")
            reason = info.reason
            resource = info.metadata.get("resource", "")
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations += [
                errors.FieldViolation(
                    f.field, i18n.verbatim(f.localized_message.message or f.description)
                )
                for f in bad.field_violations
            ]
    code = status.code
    # The other service rendered its message in the caller's locale (it travels with the call).
    message = i18n.verbatim(localized or status.message or "the call failed")
    if code == code_pb2.INVALID_ARGUMENT:
        return errors.InvalidArgument(message, violations, rule=rule, reason=reason)
    if code == code_pb2.NOT_FOUND:
        return errors.NotFound(resource, message=message)
    if code == code_pb2.ALREADY_EXISTS:
        return errors.AlreadyExists(resource, message=message)
    by_code: dict[int, type[errors.DomainError]] = {
        code_pb2.FAILED_PRECONDITION: errors.FailedPrecondition,
        code_pb2.ABORTED: errors.Aborted,
        code_pb2.UNAUTHENTICATED: errors.Unauthenticated,
        code_pb2.PERMISSION_DENIED: errors.PermissionDenied,
    }
    klass = by_code.get(code, errors.Unavailable)
    return klass(message, rule=rule, reason=reason)
