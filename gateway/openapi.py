"""The OpenAPI 3.0 document of the gateway, generated from the same descriptors it routes by.

Schemas are the ProtoJSON forms: int64 as string, enums as string enums, Timestamp as a
date-time string, FieldMask as a string. `required` comes from REQUIRED, `readOnly` from
OUTPUT_ONLY and IDENTIFIER, descriptions from the proto comments. Paths with a resource name in
them are expanded (`/v1/{name=towns/*}` -> `/v1/towns/{town}`) so that every operation has its
own path and each parameter is one segment, as OpenAPI wants.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from typing import Any

import grpc
from google.api import field_behavior_pb2, resource_pb2
from google.protobuf.descriptor import (
    Descriptor,
    EnumDescriptor,
    FieldDescriptor,
    FileDescriptor,
)

from gateway import health
from gateway.authorization import access_of
from gateway.descriptors import Backend
from gateway.templates import Segment
from gateway.transcoding import Route, has_fields_in_json, is_map

log = logging.getLogger("sgz.gateway")

OPENAPI_VERSION = "3.0.3"
_SCHEMAS = "#/components/schemas/"
_ERROR_RESPONSE = {"$ref": "#/components/responses/Error"}
_ERROR_STATUSES = ("400", "401", "403", "404", "409", "429", "500", "503", "504")
_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**32 - 1}
_INT64 = {"type": "string", "format": "int64", "pattern": "^-?[0-9]+$"}
_UINT64 = {"type": "string", "format": "uint64", "pattern": "^[0-9]+$"}

_SCALARS: dict[int, dict[str, Any]] = {
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _UINT64,
    FieldDescriptor.TYPE_FIXED64: _UINT64,
    FieldDescriptor.TYPE_INT32: _INT32,
    FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_SFIXED32: _INT32,
    FieldDescriptor.TYPE_UINT32: _UINT32,
    FieldDescriptor.TYPE_FIXED32: _UINT32,
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "format": "byte"},
}

_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$",
        "example": "1.5s",
    },
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": "Comma-separated field paths, e.g. `displayName,contact`.",
    },
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {"description": "Any JSON value."},
    "google.protobuf.ListValue": {"type": "array", "items": {}},
    "google.protobuf.Any": {
        "type": "object",
        "properties": {"@type": {"type": "string"}},
        "required": ["@type"],
        "additionalProperties": True,
    },
    "google.protobuf.DoubleValue": {"type": "number", "format": "double"},
    "google.protobuf.FloatValue": {"type": "number", "format": "float"},
    "google.protobuf.Int64Value": _INT64,
    "google.protobuf.UInt64Value": _UINT64,
    "google.protobuf.Int32Value": _INT32,
    "google.protobuf.UInt32Value": _UINT32,
    "google.protobuf.BoolValue": {"type": "boolean"},
    "google.protobuf.StringValue": {"type": "string"},
    "google.protobuf.BytesValue": {"type": "string", "format": "byte"},
}


_DATE = "google.type.Date"
_DATE_TEXT = {"type": "string", "format": "date", "example": "2026-11-02"}


def _behaviors(field: FieldDescriptor) -> list[int]:
    return list(field.GetOptions().Extensions[field_behavior_pb2.field_behavior])


def is_required(field: FieldDescriptor) -> bool:
    return field_behavior_pb2.REQUIRED in _behaviors(field)


def is_read_only(field: FieldDescriptor) -> bool:
    behaviors = _behaviors(field)
    return field_behavior_pb2.OUTPUT_ONLY in behaviors or field_behavior_pb2.IDENTIFIER in behaviors


def _ref(full_name: str) -> dict[str, Any]:
    return {"$ref": _SCHEMAS + full_name}


def _annotate(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """schema with description/readOnly; a $ref takes no siblings in 3.0, so it is wrapped."""
    extra = {k: v for k, v in extra.items() if v}
    if not extra:
        return schema
    if "$ref" in schema:
        return {"allOf": [schema], **extra}
    return {**schema, **extra}


class _Schemas:
    """components/schemas, filled as types are referenced; messages by full name."""

    def __init__(self, comments: dict[str, str]):
        self.comments = comments
        self.schemas: dict[str, dict[str, Any]] = {}

    def describe(self, name: str) -> str:
        return self.comments.get(name, "")

    def message(self, descriptor: Descriptor) -> dict[str, Any]:
        """A reference to the message's schema (inline for well-known types)."""
        if descriptor.full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[descriptor.full_name])
        if descriptor.full_name not in self.schemas:
            self.schemas[descriptor.full_name] = {}  # placeholder: recursive types
            self.schemas[descriptor.full_name] = self._message_schema(descriptor)
        return _ref(descriptor.full_name)

    def enum(self, descriptor: EnumDescriptor) -> dict[str, Any]:
        if descriptor.full_name not in self.schemas:
            lines = [self.describe(descriptor.full_name)]
            for value in descriptor.values:
                text = self.describe(f"{descriptor.full_name}.{value.name}")
                lines.append(f"- `{value.name}`: {text}" if text else f"- `{value.name}`")
            self.schemas[descriptor.full_name] = {
                "type": "string",
                "enum": [v.name for v in descriptor.values],
                "description": "\n".join(line for line in lines if line),
            }
        return _ref(descriptor.full_name)

    def _message_schema(self, descriptor: Descriptor) -> dict[str, Any]:
        properties = {f.json_name: self.field(f) for f in descriptor.fields}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        required = [f.json_name for f in descriptor.fields if is_required(f)]
        if required:
            schema["required"] = required
        description = self.describe(descriptor.full_name)
        oneofs = [o for o in descriptor.oneofs if len(o.fields) > 1]
        for oneof in oneofs:
            names = ", ".join(f"`{f.json_name}`" for f in oneof.fields)
            description += f" At most one of {names} is set."
        if description.strip():
            schema["description"] = description.strip()
        return schema

    def single(self, field: FieldDescriptor) -> dict[str, Any]:
        """The schema of one value of the field (an element, when it is repeated)."""
        if field.message_type is not None:
            return self.message(field.message_type)
        if field.enum_type is not None:
            return self.enum(field.enum_type)
        return dict(_SCALARS[field.type])

    def field(self, field: FieldDescriptor, *, described: bool = True) -> dict[str, Any]:
        if is_map(field):
            value_field = _message_of(field).fields_by_name["value"]
            schema: dict[str, Any] = {
                "type": "object",
                "additionalProperties": self.single(value_field),
            }
        elif field.is_repeated:
            schema = {"type": "array", "items": self.single(field)}
        else:
            schema = self.single(field)
        if is_required(field):
            # As the services enforce REQUIRED (sgz_runtime/validation.py): a string is not
            # empty, a list has an item.
            if field.is_repeated and not is_map(field):
                schema = {**schema, "minItems": 1}
            elif field.type == FieldDescriptor.TYPE_STRING:
                schema = {**schema, "minLength": 1}
        description = self.describe(field.full_name) if described else ""
        return _annotate(schema, description=description, readOnly=is_read_only(field))


def _singular(collection: str) -> str:
    """A guess, for collections no resource pattern names."""
    if collection.endswith("ies"):
        return collection[:-3] + "y"
    if collection.endswith("s") and not collection.endswith("ss"):
        return collection[:-1]
    return collection + "Id"


def _collection_names(backends: list[Backend]) -> dict[str, str]:
    """Collection -> the name of its id in resource patterns: `towns/{town}` gives towns -> town.
    One name per collection, so that one URL gets one OpenAPI path whatever RPC it serves."""
    names: dict[str, str] = {}
    seen: set[str] = set()
    for backend in backends:
        for message in _messages_of(backend.file, seen):
            resource = message.GetOptions().Extensions[resource_pb2.resource]
            for pattern in resource.pattern:
                pieces = pattern.split("/")
                for previous, piece in itertools.pairwise(pieces):
                    if piece.startswith("{") and piece.endswith("}") and "{" not in previous:
                        names.setdefault(previous, piece[1:-1])
    return names


def _messages_of(file: FileDescriptor, seen: set[str]) -> Iterator[Descriptor]:
    """Messages of a file and of the files it imports, nested ones included."""
    if file.name in seen:
        return
    seen.add(file.name)

    def walk(message: Descriptor) -> Iterator[Descriptor]:
        yield message
        for nested in message.nested_types:
            yield from walk(nested)

    for message in file.message_types_by_name.values():
        yield from walk(message)
    for dependency in file.dependencies:
        yield from _messages_of(dependency, seen)


def _message_of(field: FieldDescriptor) -> Descriptor:
    assert field.message_type is not None
    return field.message_type


def _field_at(descriptor: Descriptor, path: str) -> FieldDescriptor:
    """The field of a dotted path that the router already resolved."""
    parts = path.split(".")
    for part in parts[:-1]:
        descriptor = _message_of(descriptor.fields_by_name[part])
    return descriptor.fields_by_name[parts[-1]]


class _Document:
    def __init__(self, backends: list[Backend], comments: dict[str, str]):
        self.backends = backends
        self.schemas = _Schemas(comments)
        self.collections = _collection_names(backends)

    def path_of(self, route: Route) -> tuple[str, list[dict[str, Any]]]:
        """The OpenAPI path of the route and its path parameters."""
        parts: list[str] = []
        parameters: list[dict[str, Any]] = []
        used: set[str] = set()

        def parameter(name: str, field_path: str, description: str) -> str:
            unique, n = name, 2
            while unique in used:
                unique, n = f"{name}{n}", n + 1
            used.add(unique)
            parameters.append(
                {
                    "name": unique,
                    "in": "path",
                    "required": True,
                    "description": description,
                    "schema": {"type": "string", "pattern": "^[^/]+$"},
                }
            )
            return "{" + unique + "}"

        segments = list(route.template.segments)
        i = 0
        while i < len(segments):
            variable = segments[i].variable
            if variable is None:
                segment = segments[i]
                if segment.literal is not None:
                    parts.append(segment.literal)
                else:
                    parts.append(parameter(f"segment{i + 1}", "", "A path segment."))
                i += 1
                continue
            end = i
            while end < len(segments) and segments[end].variable == variable:
                end += 1
            group, i = segments[i:end], end
            field = _field_at(route.input, variable)
            about = self.schemas.describe(field.full_name)
            if len(group) == 1 and group[0].literal is None:
                parts.append(parameter(variable, variable, about))
                continue
            names = self._wildcard_names(variable, group)
            shape = "/".join(s.literal or "*" for s in group)
            for segment, name in zip(group, names, strict=True):
                if segment.literal is not None:
                    parts.append(segment.literal)
                else:
                    text = f"The `{name}` part of `{variable}` ({shape}). {about}".strip()
                    parts.append(parameter(name, variable, text))
        path = "/" + "/".join(parts) + (f":{route.template.verb}" if route.template.verb else "")
        return path, parameters

    def _wildcard_names(self, variable: str, group: list[Segment]) -> list[str]:
        """A name per segment: literals stay, a wildcard is named for the collection before it."""
        names, previous = [], ""
        for segment in group:
            if segment.literal is not None:
                names.append(segment.literal)
            elif previous:
                names.append(self.collections.get(previous) or _singular(previous))
            else:
                names.append(variable.rsplit(".", 1)[-1])
            previous = segment.literal or ""
        return names

    def query_parameters(self, route: Route) -> list[dict[str, Any]]:
        if route.body == "*":
            return []
        bound = [*route.template.variables, *([route.body] if route.body else [])]
        found: list[dict[str, Any]] = []
        self._query(route.input, "", "", bound, True, [], found)
        return found

    def _query(
        self,
        descriptor: Descriptor,
        proto_prefix: str,
        json_prefix: str,
        bound: list[str],
        required_above: bool,
        stack: list[str],
        found: list[dict[str, Any]],
    ) -> None:
        if descriptor.full_name in stack or len(stack) > 3:
            return
        for field in descriptor.fields:
            path = proto_prefix + field.name
            if any(b == path or path.startswith(b + ".") for b in bound):
                continue  # set by the path or the body (a partly bound message is walked)
            if is_read_only(field):
                continue
            name = json_prefix + field.json_name
            required = required_above and is_required(field)
            if field.message_type is not None and field.message_type.full_name == _DATE:
                # A date in a query string is written 2026-11-02 (gateway/transcoding.py).
                date: dict[str, Any] = {"name": name, "in": "query", "schema": dict(_DATE_TEXT)}
                if self.schemas.describe(field.full_name):
                    date["description"] = self.schemas.describe(field.full_name)
                if required:
                    date["required"] = True
                found.append(date)
                continue
            if has_fields_in_json(field) and not field.is_repeated:
                self._query(
                    _message_of(field),
                    path + ".",
                    name + ".",
                    bound,
                    required,
                    [*stack, descriptor.full_name],
                    found,
                )
                continue
            if is_map(field) or (field.is_repeated and has_fields_in_json(field)):
                continue
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "schema": self.schemas.field(field, described=False),
            }
            description = self.schemas.describe(field.full_name)
            if description:
                parameter["description"] = description
            if required:
                parameter["required"] = True
            if field.is_repeated:
                parameter["style"] = "form"
                parameter["explode"] = True
            found.append(parameter)

    def request_body(self, route: Route) -> dict[str, Any] | None:
        if not route.body:
            return None
        if route.body == "*":
            top_bound = {v for v in route.template.variables if "." not in v}
            if not top_bound:
                schema = self.schemas.message(route.input)
            else:
                self.schemas.message(route.input)
                whole = self.schemas.schemas[route.input.full_name]
                schema = {
                    "type": "object",
                    "properties": {
                        f.json_name: whole["properties"][f.json_name]
                        for f in route.input.fields
                        if f.name not in top_bound
                    },
                }
                required = [
                    f.json_name
                    for f in route.input.fields
                    if f.name not in top_bound and is_required(f)
                ]
                if required:
                    schema["required"] = required
            required_body = True
        else:
            field = route.input.fields_by_name[route.body]
            schema = self.schemas.field(field, described=False)
            required_body = is_required(field)
            if "update_mask" in route.input.fields_by_name and field.message_type is not None:
                # An update sets only the fields its mask names: none is required of the body
                # (the services check the resource's fields only on create).
                whole = self.schemas.schemas[field.message_type.full_name]
                schema = {k: v for k, v in whole.items() if k != "required"}
        return {"required": required_body, "content": {"application/json": {"schema": schema}}}

    def operation(self, route: Route) -> tuple[str, dict[str, Any]]:
        path, path_parameters = self.path_of(route)
        method = route.method
        if route.response_body:
            field = route.output.fields_by_name[route.response_body]
            response_schema = self.schemas.field(field, described=False)
        else:
            response_schema = self.schemas.message(route.output)
        description = self.schemas.describe(f"{method.containing_service.full_name}.{method.name}")
        operation: dict[str, Any] = {
            "operationId": route.operation_id,
            "tags": [method.containing_service.name],
            "summary": description.split(". ")[0].rstrip(".") if description else method.name,
            "description": description,
            "parameters": [*path_parameters, *self.query_parameters(route)],
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": response_schema}},
                },
                **{status: _ERROR_RESPONSE for status in _ERROR_STATUSES},
                "default": _ERROR_RESPONSE,
            },
        }
        access = access_of(method)
        # Who may call it (sgz.common.v1.access): the one route-role table, shown here.
        operation["x-sgz-roles"] = access.names() if access.declared else []
        body = self.request_body(route)
        if body is not None:
            operation["requestBody"] = body
        return path, operation

    def every_type(self) -> None:
        """Schemas for every message and enum of the services' files and the sgz files they
        import, referenced or not."""
        seen: set[str] = set()

        def walk_file(file: FileDescriptor) -> None:
            if file.name in seen or not file.package.startswith("sgz."):
                return
            seen.add(file.name)
            for enum in file.enum_types_by_name.values():
                self.schemas.enum(enum)
            for message in file.message_types_by_name.values():
                walk_message(message)
            for dependency in file.dependencies:
                walk_file(dependency)

        def walk_message(message: Descriptor) -> None:
            if message.GetOptions().map_entry:
                return
            self.schemas.message(message)
            for enum in message.enum_types:
                self.schemas.enum(enum)
            for nested in message.nested_types:
                walk_message(nested)

        for backend in self.backends:
            walk_file(backend.file)


def _error_components() -> tuple[dict[str, Any], dict[str, Any]]:
    codes = [code.name for code in grpc.StatusCode]
    schemas = {
        "Error": {
            "type": "object",
            "description": "Every error (AIP-193).",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "status", "message", "details"],
                    "properties": {
                        "code": {"type": "integer", "description": "The HTTP status code."},
                        "status": {
                            "type": "string",
                            "enum": codes,
                            "description": "The gRPC status code name.",
                        },
                        "message": {"type": "string", "description": "For developers."},
                        "details": {
                            "type": "array",
                            "description": "google.rpc details: BadRequest, ErrorInfo, ...",
                            "items": {"$ref": _SCHEMAS + "ErrorDetail"},
                        },
                    },
                }
            },
        },
        "ErrorDetail": {
            "type": "object",
            "description": "A google.rpc detail in ProtoJSON, named by its `@type`.",
            "required": ["@type"],
            "properties": {"@type": {"type": "string"}},
            "additionalProperties": True,
        },
        "Health": {
            "type": "object",
            "required": ["status", "services"],
            "properties": {
                "status": {"type": "string", "enum": [health.SERVING, health.NOT_SERVING]},
                "services": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["status", "address"],
                        "properties": {
                            "status": {"type": "string"},
                            "address": {"type": "string"},
                            "error": {"type": "string"},
                        },
                    },
                },
            },
        },
    }
    responses = {
        "Error": {
            "description": "An error, in the one shape of every error.",
            "content": {"application/json": {"schema": {"$ref": _SCHEMAS + "Error"}}},
        }
    }
    return schemas, responses


def _healthz_path() -> dict[str, Any]:
    content = {"application/json": {"schema": {"$ref": _SCHEMAS + "Health"}}}
    return {
        "get": {
            "operationId": "Gateway_Healthz",
            "tags": ["Gateway"],
            "summary": "The health of every service",
            "description": "200 when every service is SERVING, 503 otherwise.",
            "responses": {
                "200": {"description": "Every service is serving.", "content": content},
                "503": {"description": "A service is not serving.", "content": content},
            },
        }
    }


def document(
    routes: list[Route], backends: list[Backend], comments: dict[str, str]
) -> dict[str, Any]:
    """The OpenAPI document of these routes."""
    doc = _Document(backends, comments)
    paths: dict[str, dict[str, Any]] = {"/healthz": _healthz_path()}
    for route in routes:
        method = route.http_method.lower()
        if method not in ("get", "put", "post", "delete", "patch"):
            continue
        path, operation = doc.operation(route)
        if method in paths.setdefault(path, {}):
            log.error("two routes share a path", extra={"path": path, "method": method})
            continue
        paths[path][method] = operation
    doc.every_type()
    error_schemas, responses = _error_components()
    tags = [{"name": "Gateway", "description": "The gateway itself."}]
    for backend in backends:
        for service in backend.services:
            tag = {"name": service.name}
            description = comments.get(service.full_name)
            if description:
                tag["description"] = description
            tags.append(tag)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "sgz API",
            "version": "v1",
            "description": (
                "The HTTP/JSON face of the sgz services, transcoded from their "
                "google.api.http annotations. Bodies are ProtoJSON."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": {**dict(sorted(doc.schemas.schemas.items())), **error_schemas},
            "responses": responses,
        },
    }
