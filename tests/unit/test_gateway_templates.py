"""Path templates, the router's choice, and the one map from gRPC codes to HTTP statuses."""

from __future__ import annotations

import grpc
import pytest

from gateway import templates
from gateway.errors import HTTP_STATUS


def test_every_grpc_code_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(grpc.StatusCode)


@pytest.mark.parametrize(
    ("code", "http"),
    [
        (grpc.StatusCode.INVALID_ARGUMENT, 400),
        (grpc.StatusCode.FAILED_PRECONDITION, 400),
        (grpc.StatusCode.OUT_OF_RANGE, 400),
        (grpc.StatusCode.UNAUTHENTICATED, 401),
        (grpc.StatusCode.PERMISSION_DENIED, 403),
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.ABORTED, 409),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 429),
        (grpc.StatusCode.CANCELLED, 499),
        (grpc.StatusCode.UNIMPLEMENTED, 501),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
        (grpc.StatusCode.DATA_LOSS, 500),
    ],
)
def test_grpc_code_maps_to_the_standard_http_status(code: grpc.StatusCode, http: int) -> None:
    assert HTTP_STATUS[code] == http


def test_nested_variable_binds_the_whole_resource_name() -> None:
    template = templates.parse("/v1/{village.name=towns/*/villages/*}")
    assert template.variables == ("village.name",)
    assert template.match("/v1/towns/a/villages/b") == {"village.name": "towns/a/villages/b"}
    assert template.match("/v1/towns/a") is None
    assert template.match("/v1/towns/a/villages/b/persons") is None


def test_plain_variable_is_one_segment_and_is_percent_decoded() -> None:
    template = templates.parse("/v1/towns/{town_id}")
    assert template.match("/v1/towns/%E5%9F%8E%E4%B8%9C") == {"town_id": "城东"}
    assert template.match("/v1/towns/a/b") is None


def test_verb_is_matched_after_the_last_segment() -> None:
    template = templates.parse("/v1/{name=shelves/*/books/*}:move")
    assert template.verb == "move"
    assert template.match("/v1/shelves/s/books/b:move") == {"name": "shelves/s/books/b"}
    assert template.match("/v1/shelves/s/books/b") is None
    assert template.literal_count > templates.parse("/v1/{name=shelves/*/books/*}").literal_count


def test_double_wildcard_takes_the_rest_of_the_path() -> None:
    template = templates.parse("/v1/{path=files/**}")
    assert template.match("/v1/files/a/b/c") == {"path": "files/a/b/c"}


@pytest.mark.parametrize(
    "text", ["v1/towns", "/v1/{name=towns/*", "/v1/{9bad}", "/v1/{a}/{a}", "/v1//x", "/v1/a*"]
)
def test_malformed_template_is_refused(text: str) -> None:
    with pytest.raises(templates.TemplateError):
        templates.parse(text)
