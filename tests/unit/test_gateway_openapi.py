"""The OpenAPI document: valid OpenAPI 3, one operation per route, ProtoJSON schemas."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from gateway.descriptors import Backend, load_backends, load_comments
from gateway.openapi import document
from gateway.transcoding import routes_of
from tests.unit.gateway_shelves import backend as shelves_backend
from tests.unit.gateway_shelves import compiled

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def real() -> Doc:
    backends = load_backends()
    routes, problems = routes_of(backends)
    assert problems == []
    return document(routes, backends, load_comments())


@pytest.fixture(scope="module")
def shelves_doc(tmp_path_factory: pytest.TempPathFactory) -> Doc:
    folder = Path(tmp_path_factory.getbasetemp()) / "shelves-proto"
    shelves: Backend = shelves_backend(folder)
    routes, problems = routes_of([shelves])
    assert problems == []
    return document(routes, [shelves], load_comments(compiled(folder)))


def operations(doc: Doc) -> list[tuple[str, str, Doc]]:
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def schema(doc: Doc, name: str) -> Doc:
    found: Doc = doc["components"]["schemas"][name]
    return found


def unwrap(prop: Doc) -> Doc:
    """A property's schema, looking through the allOf that carries a $ref's description."""
    return prop["allOf"][0] if "allOf" in prop else prop


def test_document_of_the_services_is_valid_openapi(real: Doc) -> None:
    validate(real)  # raises on the first problem
    assert real["openapi"].startswith("3.")


def test_document_has_the_roster_and_hr_routes_with_expanded_paths(real: Doc) -> None:
    ids = {(path, method): op["operationId"] for path, method, op in operations(real)}
    assert ids[("/v1/towns", "post")] == "RosterService_CreateTown"
    assert ids[("/v1/towns", "get")] == "RosterService_ListTowns"
    assert ids[("/v1/towns/{town}", "get")] == "RosterService_GetTown"
    assert ids[("/v1/towns/{town}/villages", "post")] == "RosterService_CreateVillage"
    assert ids[("/v1/towns/{town}/villages/{village}", "patch")] == "RosterService_UpdateVillage"
    assert ids[("/v1/workers", "post")] == "HrService_CreateWorker"
    assert ids[("/v1/workers/{worker}", "get")] == "HrService_GetWorker"
    assert ids[("/healthz", "get")] == "Gateway_Healthz"


@pytest.mark.parametrize("which", ["real", "shelves_doc"])
def test_one_url_has_one_openapi_path(which: str, request: pytest.FixtureRequest) -> None:
    doc: Doc = request.getfixturevalue(which)
    shapes = [re.sub(r"\{[^}]*\}", "{}", path) for path in doc["paths"]]
    assert len(shapes) == len(set(shapes))


def test_every_route_has_one_operation_with_a_unique_id(real: Doc) -> None:
    routes, _ = routes_of(load_backends())
    ids = [op["operationId"] for _, _, op in operations(real)]
    assert len(ids) == len(set(ids))
    assert {r.operation_id for r in routes} | {"Gateway_Healthz"} == set(ids)


def test_operation_documents_parameters_body_and_the_error_shape(real: Doc) -> None:
    create = real["paths"]["/v1/towns"]["post"]
    assert create["description"].startswith("Creates a town.")
    [town_id] = create["parameters"]
    assert (town_id["name"], town_id["in"], town_id["required"]) == ("townId", "query", True)
    assert create["requestBody"]["required"] is True
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert unwrap(body_schema) == {"$ref": "#/components/schemas/sgz.roster.v1.Town"}
    ok = create["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/sgz.roster.v1.Town"}
    assert create["responses"]["default"] == {"$ref": "#/components/responses/Error"}
    error = schema(real, "Error")["properties"]["error"]
    assert error["required"] == ["code", "status", "message", "details"]
    update = real["paths"]["/v1/towns/{town}/villages/{village}"]["patch"]
    mask = next(p for p in update["parameters"] if p["name"] == "updateMask")
    assert mask["schema"]["type"] == "string"


def test_schemas_are_protojson_with_required_readonly_and_comments(real: Doc) -> None:
    town = schema(real, "sgz.roster.v1.Town")
    assert town["description"].startswith("A town (镇/区/街道)")
    assert set(town["required"]) == {"displayName", "administrativeCode", "kind"}
    assert town["properties"]["name"]["readOnly"] is True  # IDENTIFIER
    assert town["properties"]["etag"]["readOnly"] is True  # OUTPUT_ONLY
    assert "readOnly" not in town["properties"]["displayName"]
    assert unwrap(town["properties"]["kind"]) == {
        "$ref": "#/components/schemas/sgz.roster.v1.TownKind"
    }
    kind = schema(real, "sgz.roster.v1.TownKind")
    assert kind["type"] == "string"
    assert kind["enum"][:2] == ["TOWN_KIND_UNSPECIFIED", "TOWN_KIND_TOWN"]
    assert "A town (镇)" in kind["description"]
    date = schema(real, "google.type.Date")
    assert date["type"] == "object" and set(date["properties"]) == {"year", "month", "day"}
    money = schema(real, "sgz.common.v1.Money")
    assert money["properties"]["fen"]["type"] == "string"  # int64


def test_every_message_and_enum_of_the_services_has_a_schema(real: Doc) -> None:
    names = set(real["components"]["schemas"])
    for backend in load_backends():
        declared = [*backend.file.message_types_by_name, *backend.file.enum_types_by_name]
        package = backend.file.package
        assert {f"{package}.{n}" for n in declared} <= names


def test_document_of_a_new_service_is_valid_and_complete(shelves_doc: Doc) -> None:
    validate(shelves_doc)
    paths = shelves_doc["paths"]
    move = "/v1/shelves/{shelf}/books/{book}:move"
    assert set(paths[move]) == {"post", "put"}
    assert paths[move]["put"]["operationId"] == "ShelfService_MoveBook2"
    assert [p["name"] for p in paths[move]["post"]["parameters"]] == ["shelf", "book"]
    assert set(paths["/v1/shelves/{shelf}"]) == {"get", "patch", "delete"}
    count = paths["/v1/shelves/{shelf}:count"]["get"]["responses"]["200"]
    assert count["content"]["application/json"]["schema"]["type"] == "integer"

    listing = {p["name"]: p for p in paths["/v1/shelves"]["get"]["parameters"]}
    assert set(listing) == {
        "pageSize",
        "tags",
        "colour",
        "inner.open",
        "inner.colours",
        "openedAfter",
        "readMask",
        "colours",
    }
    assert listing["tags"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert listing["openedAfter"]["schema"] == {"type": "string", "format": "date-time"}
    assert listing["pageSize"]["description"] == "Page size."

    shelf = schema(shelves_doc, "sgztest.shelves.v1.Shelf")["properties"]
    assert shelf["capacity"]["type"] == "string" and shelf["capacity"]["format"] == "int64"
    assert shelf["opened"]["format"] == "date-time"
    assert shelf["counts"]["additionalProperties"]["format"] == "int32"
    assert shelf["counts"]["description"] == "Counts by genre."
    assert shelf["tags"]["type"] == "array"
