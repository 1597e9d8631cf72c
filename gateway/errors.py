"""The one place the gateway turns a failure into HTTP: gRPC code -> HTTP status, and the
AIP-193 JSON body every error has.

    {"error": {"code": 404, "status": "NOT_FOUND", "message": "...", "details": [{"@type": ...}]}}

Failures of the services arrive as `google.rpc.Status` (read with sgz_runtime.status); the
gateway's own refusals (bad input, unknown route) are sgz_runtime.errors raised here and go
through the same map, so a client sees one shape whatever refused it.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from starlette.responses import JSONResponse

from sgz_runtime import errors, status

#: The standard mapping (google/rpc/code.proto). A test fails when a code is left out.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}

#: For HTTP refusals that come from no gRPC call (Starlette's own), the status to report.
CODE_OF_HTTP: dict[int, grpc.StatusCode] = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    405: grpc.StatusCode.UNIMPLEMENTED,
    409: grpc.StatusCode.ABORTED,
    429: grpc.StatusCode.RESOURCE_EXHAUSTED,
    501: grpc.StatusCode.UNIMPLEMENTED,
    503: grpc.StatusCode.UNAVAILABLE,
    504: grpc.StatusCode.DEADLINE_EXCEEDED,
}

_BY_NUMBER: dict[int, grpc.StatusCode] = {code.value[0]: code for code in grpc.StatusCode}
_DETAILS_KEY = "grpc-status-details-bin"
_SERVICE = "gateway"


def code_of(rich: status_pb2.Status) -> grpc.StatusCode:
    return _BY_NUMBER.get(rich.code, grpc.StatusCode.UNKNOWN)


def status_of_domain_error(error: errors.DomainError) -> status_pb2.Status:
    """The google.rpc.Status a service would send for the same refusal."""
    sent = status.to_status(error, service=_SERVICE)
    for key, value in sent.trailing_metadata:
        if key == _DETAILS_KEY and isinstance(value, bytes):
            return status_pb2.Status.FromString(value)
    return status_pb2.Status(code=sent.code.value[0], message=sent.details)


def status_of_rpc_error(exc: grpc.RpcError) -> status_pb2.Status:
    """The status of a failed call, details included; a bare one when they cannot be read."""
    try:
        return status.rich_status(exc)
    except ValueError:  # the details disagree with the code: trust the code
        if isinstance(exc, grpc.aio.AioRpcError | grpc.Call):
            return status_pb2.Status(code=exc.code().value[0], message=exc.details() or "")
        return status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=str(exc))


def _detail_json(detail: Any) -> dict[str, Any]:
    try:
        return json_format.MessageToDict(detail)
    except (TypeError, KeyError, json_format.Error):  # a detail type this process cannot read
        return {"@type": detail.type_url, "value": base64.b64encode(detail.value).decode()}


def localized_message(rich: status_pb2.Status) -> str:
    """The message in the reader's locale (the LocalizedMessage detail), else the English one."""
    for detail in rich.details:
        if detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
            found = error_details_pb2.LocalizedMessage()
            detail.Unpack(found)
            if found.message:
                return str(found.message)
    return str(rich.message)


def error_body(rich: status_pb2.Status, http_status: int | None = None) -> dict[str, Any]:
    """AIP-193's body; `message` is for the person reading it, in their locale (zh-CN default)."""
    code = code_of(rich)
    details = [_detail_json(d) for d in rich.details]
    message = localized_message(rich)
    renamed: dict[str, str] = {}
    for detail in details:
        if detail.get("@type") == _BAD_REQUEST_TYPE:
            for violation in detail.get("fieldViolations", []):
                proto_path = str(violation.get("field", ""))
                violation["field"] = renamed[proto_path] = json_field_path(proto_path)
    for proto_path, json_path in renamed.items():
        if proto_path != json_path and message.startswith(proto_path):
            message = json_path + message[len(proto_path) :]
    return {
        "error": {
            "code": http_status if http_status is not None else HTTP_STATUS[code],
            "status": code.name,
            "message": message,
            "details": details,
        }
    }


_BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
_SNAKE = re.compile(r"_([a-z0-9])")


def json_field_path(path: str) -> str:
    """A field path as the JSON client wrote it: `visit.checks.personal_hygiene` ->
    `visit.checks.personalHygiene` (ProtoJSON's lowerCamelCase names; indexes kept)."""
    return ".".join(_SNAKE.sub(lambda m: m.group(1).upper(), part) for part in path.split("."))


def error_response(
    rich: status_pb2.Status,
    *,
    http_status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The HTTP response for a status; http_status overrides the mapped one (405)."""
    body = error_body(rich, http_status)
    return JSONResponse(body, status_code=body["error"]["code"], headers=headers)


def domain_error_response(
    error: errors.DomainError,
    *,
    http_status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return error_response(status_of_domain_error(error), http_status=http_status, headers=headers)


def bare_status(code: grpc.StatusCode, message: str) -> status_pb2.Status:
    return status_pb2.Status(code=code.value[0], message=message)
