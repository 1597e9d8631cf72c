"""HTTP/JSON <-> gRPC by the `google.api.http` annotations: the routes of every annotated RPC,
the router that picks one for a request, and the request message built from path, query and
body (ProtoJSON, unknown fields refused). Bad input is an InvalidArgument naming each field
by its proto path (`town.kind`), raised before anything is sent to a service."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from google.api import annotations_pb2, http_pb2
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message

from gateway import templates
from gateway.descriptors import Backend
from sgz_runtime.errors import FieldViolation, InvalidArgument

log = logging.getLogger("sgz.gateway")

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")

#: Well-known types whose ProtoJSON form is not an object of their fields.
WELL_KNOWN_JSON: dict[str, str] = {
    "google.protobuf.Timestamp": "an RFC 3339 timestamp such as 2026-11-26T08:00:00Z",
    "google.protobuf.Duration": "a duration in seconds such as 1.5s",
    "google.protobuf.FieldMask": "a comma-separated list of field paths",
    "google.protobuf.Struct": "a JSON object",
    "google.protobuf.Value": "any JSON value",
    "google.protobuf.ListValue": "a JSON array",
    "google.protobuf.Any": 'a JSON object with an "@type"',
    "google.protobuf.DoubleValue": "a number",
    "google.protobuf.FloatValue": "a number",
    "google.protobuf.Int64Value": "an integer",
    "google.protobuf.UInt64Value": "a non-negative integer",
    "google.protobuf.Int32Value": "an integer",
    "google.protobuf.UInt32Value": "a non-negative integer",
    "google.protobuf.BoolValue": "true or false",
    "google.protobuf.StringValue": "a string",
    "google.protobuf.BytesValue": "base64-encoded bytes",
}

_SCALAR_EXPECTATION: dict[int, str] = {
    FieldDescriptor.TYPE_DOUBLE: "a number",
    FieldDescriptor.TYPE_FLOAT: "a number",
    FieldDescriptor.TYPE_INT64: "an integer (a number or a string of digits)",
    FieldDescriptor.TYPE_UINT64: "a non-negative integer (a number or a string of digits)",
    FieldDescriptor.TYPE_INT32: "a 32-bit integer",
    FieldDescriptor.TYPE_FIXED64: "a non-negative integer (a number or a string of digits)",
    FieldDescriptor.TYPE_FIXED32: "a non-negative 32-bit integer",
    FieldDescriptor.TYPE_BOOL: "true or false",
    FieldDescriptor.TYPE_STRING: "a string",
    FieldDescriptor.TYPE_BYTES: "base64-encoded bytes",
    FieldDescriptor.TYPE_UINT32: "a non-negative 32-bit integer",
    FieldDescriptor.TYPE_SFIXED32: "a 32-bit integer",
    FieldDescriptor.TYPE_SFIXED64: "an integer (a number or a string of digits)",
    FieldDescriptor.TYPE_SINT32: "a 32-bit integer",
    FieldDescriptor.TYPE_SINT64: "an integer (a number or a string of digits)",
}


#: google.type.Date, also accepted as the text `2026-11-02` in a query string or a body.
DATE = "google.type.Date"
_DATE_TEXT = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def date_json(value: Any) -> Any:
    """`2026-11-02` as google.type.Date's ProtoJSON (`{"year", "month", "day"}`); anything
    else as it is, for the checks to name."""
    if isinstance(value, str) and (found := _DATE_TEXT.fullmatch(value.strip())):
        return {"year": int(found[1]), "month": int(found[2]), "day": int(found[3])}
    return value


def accept_date_text(value: Any, descriptor: Descriptor) -> Any:
    """value with every google.type.Date given as `2026-11-02` turned into its ProtoJSON."""
    if descriptor.full_name == DATE:
        return date_json(value)
    if not isinstance(value, dict) or is_well_known(descriptor):
        return value
    for key, item in value.items():
        field = _field(descriptor, key)
        if field is None or field.message_type is None or is_map(field):
            continue
        if field.is_repeated and isinstance(item, list):
            value[key] = [accept_date_text(x, field.message_type) for x in item]
        elif not field.is_repeated:
            value[key] = accept_date_text(item, field.message_type)
    return value


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def is_map(field: FieldDescriptor) -> bool:
    return bool(field.message_type is not None and field.message_type.GetOptions().map_entry)


def is_well_known(descriptor: Descriptor | None) -> bool:
    return descriptor is not None and descriptor.full_name in WELL_KNOWN_JSON


def has_fields_in_json(field: FieldDescriptor) -> bool:
    """Whether the field's ProtoJSON is an object of its own fields (not a map, not a WKT)."""
    return (
        field.message_type is not None
        and not is_well_known(field.message_type)
        and not is_map(field)
    )


def _field(descriptor: Descriptor, name: str) -> FieldDescriptor | None:
    """A field by its proto name or its JSON name."""
    found = descriptor.fields_by_name.get(name)
    if found is not None:
        return found
    for field in descriptor.fields:
        if field.json_name == name:
            return field
    return None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# --- routes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One HTTP binding of one RPC: a method's annotation or one of its additional bindings."""

    backend: str
    method: MethodDescriptor
    http_method: str
    template: templates.PathTemplate
    #: "" (no body), "*" (the whole request) or the request field the body fills.
    body: str
    #: "" (the whole response) or the response field returned.
    response_body: str
    #: 0 for the annotation itself, i for its i-th additional binding.
    binding: int = 0

    @property
    def grpc_path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def operation_id(self) -> str:
        base = f"{self.method.containing_service.name}_{self.method.name}"
        return base if self.binding == 0 else f"{base}{self.binding + 1}"

    @property
    def input(self) -> Descriptor:
        return self.method.input_type

    @property
    def output(self) -> Descriptor:
        return self.method.output_type


def _resolve(descriptor: Descriptor, path: str) -> FieldDescriptor:
    """The field a dotted proto path names; singular messages on the way."""
    field: FieldDescriptor | None = None
    current: Descriptor | None = descriptor
    for part in path.split("."):
        if current is None:
            raise templates.TemplateError(f"{path}: {part} is under a field that is not a message")
        field = current.fields_by_name.get(part)
        if field is None:
            raise templates.TemplateError(f"{path}: {current.full_name} has no field {part}")
        if field.is_repeated and part != path.split(".")[-1]:
            raise templates.TemplateError(f"{path}: {part} is repeated")
        current = field.message_type
    assert field is not None
    return field


def _route(backend: str, method: MethodDescriptor, rule: http_pb2.HttpRule, binding: int) -> Route:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise templates.TemplateError("the rule has no pattern")
    if kind == "custom":
        http_method, path = rule.custom.kind.upper(), rule.custom.path
    else:
        http_method, path = kind.upper(), str(getattr(rule, kind))
    template = templates.parse(path)
    for variable in template.variables:
        field = _resolve(method.input_type, variable)
        if field.is_repeated or has_fields_in_json(field) or is_map(field):
            raise templates.TemplateError(f"{variable} is not a single value")
    if rule.body not in ("", "*") and rule.body not in method.input_type.fields_by_name:
        raise templates.TemplateError(f"the body {rule.body} is not a top-level request field")
    if rule.response_body and rule.response_body not in method.output_type.fields_by_name:
        raise templates.TemplateError(f"the response_body {rule.response_body} is not a field")
    return Route(backend, method, http_method, template, rule.body, rule.response_body, binding)


def routes_of(backends: list[Backend]) -> tuple[list[Route], list[str]]:
    """The routes of every annotated unary RPC, and a problem per annotation left out."""
    routes: list[Route] = []
    problems: list[str] = []
    for backend in backends:
        for service in backend.services:
            for method in service.methods:
                options = method.GetOptions()
                if not options.HasExtension(annotations_pb2.http):
                    continue
                name = f"{service.full_name}.{method.name}"
                if method.client_streaming or method.server_streaming:
                    problems.append(f"{name}: streaming methods are not transcoded")
                    continue
                rule = options.Extensions[annotations_pb2.http]
                for i, binding in enumerate([rule, *rule.additional_bindings]):
                    try:
                        routes.append(_route(backend.name, method, binding, i))
                    except templates.TemplateError as exc:
                        problems.append(f"{name}: {exc}")
    for problem in problems:
        log.error("route left out", extra={"problem": problem})
    return routes, problems


@dataclass(frozen=True)
class Match:
    route: Route
    #: Field path -> value, decoded, from the path template's variables.
    bindings: dict[str, str]


class Router:
    """Picks the route for a method and raw path: the most specific template that matches."""

    def __init__(self, routes: list[Route]):
        # More literal segments first, so `/v1/towns` wins over `/v1/{name=*}`.
        self.routes = sorted(routes, key=lambda r: -r.template.literal_count)
        # The same order, per HTTP method: a request is matched against its method's routes
        # first (the first of them to match is the one the full scan would pick).
        self._by_method: dict[str, list[Route]] = {}
        for route in self.routes:
            self._by_method.setdefault(route.http_method, []).append(route)

    def resolve(self, http_method: str, raw_path: str) -> tuple[Match | None, list[str]]:
        """The match, or None and the methods the path allows (empty: no such path)."""
        for route in self._by_method.get(http_method, ()):
            bindings = route.template.match(raw_path)
            if bindings is not None:
                return Match(route, bindings), []
        allowed: list[str] = []
        for route in self.routes:
            bindings = route.template.match(raw_path)
            if bindings is None:
                continue
            if route.http_method == http_method:
                return Match(route, bindings), []
            if route.http_method not in allowed:
                allowed.append(route.http_method)
        return None, allowed


# --- checking ProtoJSON against a descriptor, naming fields by proto path ------------------


def _expectation(field: FieldDescriptor) -> str:
    if field.enum_type is not None:
        names = ", ".join(v.name for v in field.enum_type.values)
        return f"must be one of {names}"
    if field.message_type is not None:
        return f"must be {WELL_KNOWN_JSON.get(field.message_type.full_name, 'a JSON object')}"
    return f"must be {_SCALAR_EXPECTATION.get(field.type, 'a value of its type')}"


def check_message(value: Any, descriptor: Descriptor, path: str) -> list[FieldViolation]:
    """Every way value is not the ProtoJSON of a message of this type."""
    if is_well_known(descriptor):
        try:
            json_format.ParseDict(value, message_class(descriptor)())
        except (json_format.ParseError, ValueError, TypeError, AttributeError):
            expected = WELL_KNOWN_JSON[descriptor.full_name]
            return [FieldViolation(path or "*", f"must be {expected}")]
        return []
    if not isinstance(value, dict):
        if descriptor.full_name == DATE:
            return [FieldViolation(path or "*", "must be a date such as 2026-11-02")]
        return [FieldViolation(path or "*", "must be a JSON object")]
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    for key, item in value.items():
        field = _field(descriptor, key)
        if field is None:
            violations.append(FieldViolation(_join(path, key), "is not a known field"))
            continue
        field_path = _join(path, field.name)
        if field.name in seen:
            violations.append(FieldViolation(field_path, "is given twice"))
            continue
        seen.add(field.name)
        violations += check_field(field, item, field_path)
    return violations


def check_field(field: FieldDescriptor, value: Any, path: str) -> list[FieldViolation]:
    if value is None:  # null is the default value in ProtoJSON
        return []
    if is_map(field):
        return _probe(field, value, path)
    if field.is_repeated:
        if not isinstance(value, list):
            return [FieldViolation(path, "must be a JSON array")]
        violations: list[FieldViolation] = []
        for i, item in enumerate(value):
            if item is None:
                violations.append(FieldViolation(f"{path}[{i}]", "must not be null"))
            else:
                violations += _check_single(field, item, f"{path}[{i}]")
        return violations
    return _check_single(field, value, path)


def _check_single(field: FieldDescriptor, value: Any, path: str) -> list[FieldViolation]:
    if field.message_type is not None:
        return check_message(value, field.message_type, path)
    if field.enum_type is not None:
        enum = field.enum_type
        known = (isinstance(value, str) and value in enum.values_by_name) or (
            isinstance(value, int)
            and not isinstance(value, bool)
            and value in enum.values_by_number
        )
        return [] if known else [FieldViolation(path, _expectation(field))]
    return _probe(field, [value] if field.is_repeated else value, path)


def _probe(field: FieldDescriptor, value: Any, path: str) -> list[FieldViolation]:
    """Whether json_format takes the value for this field alone."""
    if type(value) is str and field.type == FieldDescriptor.TYPE_STRING and value.isascii():
        # json_format takes any text without unpaired surrogates for a string field; ASCII has
        # none. Skips building and parsing a probe message for most fields of most requests.
        return []
    try:
        probe = message_class(field.containing_type)()  # type: ignore[arg-type]
        json_format.ParseDict({field.name: value}, probe)
    except (json_format.ParseError, ValueError, TypeError, AttributeError):
        return [FieldViolation(path, _expectation(field))]
    return []


# --- building the request ------------------------------------------------------------------


def _parse_into(data: dict[str, Any], target: Message, where: str) -> None:
    try:
        json_format.ParseDict(data, target)
    except (json_format.ParseError, ValueError, TypeError, AttributeError) as exc:
        # A rule the per-field checks do not see (two members of one oneof, ...).
        raise InvalidArgument(f"{where}: {exc}", [FieldViolation(where, str(exc))]) from None


def _refuse(violations: list[FieldViolation]) -> None:
    if violations:
        names = ", ".join(v.field for v in violations)
        raise InvalidArgument(f"the request has invalid fields: {names}", violations)


def _camel(path: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), path)


def _query_value(field: FieldDescriptor, raw: str) -> Any:
    """The ProtoJSON value for one query-string value."""
    if field.message_type is not None:
        if field.message_type.full_name == "google.protobuf.FieldMask":
            # Proto names (`update_mask=display_name,contact`) as well as ProtoJSON's camelCase.
            return ",".join(_camel(p.strip()) for p in raw.split(",") if p.strip())
        if field.message_type.full_name == "google.protobuf.BoolValue":
            return {"true": True, "false": False}.get(raw, raw)
        return raw
    if field.type == FieldDescriptor.TYPE_BOOL:
        return {"true": True, "false": False}.get(raw, raw)
    if field.enum_type is not None and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _query_tree(
    route: Route, params: list[tuple[str, str]]
) -> tuple[dict[str, Any], list[FieldViolation]]:
    tree: dict[str, Any] = {}
    violations: list[FieldViolation] = []
    for key, raw in params:
        descriptor: Descriptor = route.input
        node = tree
        names: list[str] = []
        parts = key.split(".")
        for i, part in enumerate(parts):
            field = _field(descriptor, part)
            if field is None:
                violations.append(FieldViolation(key, "is not a known field"))
                break
            names.append(field.name)
            path = ".".join(names)
            if i < len(parts) - 1:
                if field.is_repeated or not has_fields_in_json(field):
                    violations.append(FieldViolation(path, "has no fields to set"))
                    break
                node = node.setdefault(field.name, {})
                descriptor = field.message_type  # type: ignore[assignment]  # a message: checked
                continue
            if route.body == "*" or (route.body and _overlaps(path, route.body)):
                violations.append(FieldViolation(path, "is set by the request body"))
            elif any(_overlaps(path, v) for v in route.template.variables):
                violations.append(FieldViolation(path, "is set by the URL path"))
            elif field.message_type is not None and field.message_type.full_name == DATE:
                value = date_json(raw)
                if field.name in node:
                    violations.append(FieldViolation(path, "is given more than once"))
                    continue
                found = check_field(field, value, path)
                violations += found
                if not found:
                    node[field.name] = value
            elif is_map(field) or has_fields_in_json(field):
                violations.append(FieldViolation(path, "cannot be set whole: name its fields"))
            elif field.is_repeated:
                items = node.setdefault(field.name, [])
                value = _query_value(field, raw)
                found = _check_single(field, value, f"{path}[{len(items)}]")
                violations += found
                if not found:
                    items.append(value)
            elif field.name in node:
                violations.append(FieldViolation(path, "is given more than once"))
            else:
                value = _query_value(field, raw)
                found = check_field(field, value, path)
                violations += found
                if not found:
                    node[field.name] = value
    return tree, violations


def build_request(
    route: Route, bindings: dict[str, str], query: list[tuple[str, str]], body: bytes
) -> Message:
    """The request message for an HTTP request; InvalidArgument naming each bad field."""
    request = message_class(route.input)()
    if route.body:
        label = route.body
        if body.strip():
            try:
                data = json.loads(body)
            except (ValueError, RecursionError) as exc:
                raise InvalidArgument(
                    f"the request body is not valid JSON: {exc}",
                    [FieldViolation(label, f"is not valid JSON: {exc}")],
                ) from None
            if route.body == "*":
                data = accept_date_text(data, route.input)
                _refuse(check_message(data, route.input, ""))
                _parse_into(data if isinstance(data, dict) else {}, request, label)
            else:
                # The body field is top-level (HttpRule says so).
                field = route.input.fields_by_name[route.body]
                if field.message_type is not None and not field.is_repeated:
                    data = accept_date_text(data, field.message_type)
                _refuse(check_field(field, data, route.body))
                _parse_into({field.name: data}, request, label)
    elif body.strip():
        raise InvalidArgument(f"{route.http_method} {route.template.text} takes no request body")

    tree, violations = _query_tree(route, query)
    path_tree: dict[str, Any] = {}
    for variable, value in bindings.items():
        field = _resolve(route.input, variable)
        node = path_tree
        parts = variable.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        found = check_field(field, value, variable)
        violations += found
        if not found:
            node[parts[-1]] = value
    _refuse(violations)
    for data, where in ((tree, "query"), (path_tree, "path")):
        if data:
            parsed = message_class(route.input)()
            _parse_into(data, parsed, where)
            request.MergeFrom(parsed)
    return request


def response_json(route: Route, response: Message) -> Any:
    """ProtoJSON of the response (or of its response_body field), defaults included."""
    data = json_format.MessageToDict(response, always_print_fields_with_no_presence=True)
    if not route.response_body:
        return data
    return data.get(route.output.fields_by_name[route.response_body].json_name)
