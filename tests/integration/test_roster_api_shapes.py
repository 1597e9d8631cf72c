"""Shapes a client can guess, through the real gateway and a real roster server (SQLite or
PostgreSQL): a create takes its whole request as the body (the start date and the request id
beside the resource), dates are written 2026-11-02 in query strings and bodies, and the
OpenAPI document says `required` and `minLength` exactly as the services enforce them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc

from gateway.app import create_app
from gateway.descriptors import load_backends, load_comments
from gateway.openapi import document
from gateway.transcoding import routes_of
from roster_svc.app import build
from sgz_runtime.config import Settings
from tests.conftest import CITY

pytestmark = pytest.mark.anyio
TOWN = "towns/chengdong"
VILLAGE = f"{TOWN}/villages/xinhua"
#: A valid resident ID number (rule R2): the weighted sum 140, mod 11 = 8, check digit 4.
ID_A = "320621194001010014"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(start_service: Any, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    server, channel = start_service("roster", build)
    roster: Any = roster_pb2_grpc.RosterServiceStub(channel)
    roster.CreateTown(
        pb.CreateTownRequest(
            town=pb.Town(
                display_name="城东镇", administrative_code="320621100", kind=pb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    roster.CreateVillage(
        pb.CreateVillageRequest(
            parent=TOWN,
            village=pb.Village(display_name="新华村", kind=pb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=CITY,
    )
    app = create_app(settings.model_copy(update={"roster_port": server.port}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            yield c


def _violations(response: httpx.Response) -> dict[str, str]:
    return {
        v["field"]: v["description"]
        for d in response.json()["error"]["details"]
        if d["@type"].endswith("google.rpc.BadRequest")
        for v in d["fieldViolations"]
    }


async def test_a_person_is_created_with_the_start_date_in_the_body(
    client: httpx.AsyncClient,
) -> None:
    body = {
        "person": {"displayName": "王秀英", "idNumber": ID_A, "village": VILLAGE},
        "startDate": "2024-01-01",
    }
    created = await client.post("/v1/persons", json=body)
    assert created.status_code == 200, created.text
    name = created.json()["name"]
    # R6: dispersed from the start date on, read as of a date written 2026-11-02 style.
    before = await client.get(f"/v1/{TOWN}/persons", params={"asOfDate": "2023-12-31"})
    after = await client.get(f"/v1/{TOWN}/persons", params={"asOfDate": "2024-01-02"})
    assert before.status_code == after.status_code == 200, before.text
    assert [p["status"] for p in before.json()["persons"]] == ["PERSON_STATUS_UNSPECIFIED"]
    assert [(p["name"], p["status"]) for p in after.json()["persons"]] == [
        (name, "PERSON_STATUS_DISPERSED")
    ]
    # The object form still works; a date written otherwise is refused, naming the field.
    nested = await client.get(
        f"/v1/{TOWN}/persons",
        params={"asOfDate.year": "2024", "asOfDate.month": "1", "asOfDate.day": "2"},
    )
    assert nested.json()["persons"] == after.json()["persons"]
    slashed = await client.get(f"/v1/{TOWN}/persons", params={"asOfDate": "2024/01/02"})
    assert slashed.status_code == 400
    assert "2026-11-02" in _violations(slashed)["asOfDate"]


async def test_every_missing_field_of_a_create_is_named_at_once(client: httpx.AsyncClient) -> None:
    refused = await client.post("/v1/persons", json={"person": {"displayName": "王秀英"}})
    assert refused.status_code == 400
    assert set(_violations(refused)) == {"person.village", "startDate"}


def test_openapi_says_required_and_min_length_as_the_services_enforce() -> None:
    backends = load_backends()
    routes, _problems = routes_of(backends)
    doc = document(routes, backends, load_comments())
    schemas = doc["components"]["schemas"]
    create = doc["paths"]["/v1/persons"]["post"]["requestBody"]["content"]["application/json"]
    create_schema = schemas[create["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(create_schema["required"]) == {"person", "startDate"}
    person = schemas["sgz.roster.v1.Person"]
    assert set(person["required"]) == {"displayName", "village"}
    assert person["properties"]["displayName"]["minLength"] == 1
    rows = schemas["sgz.roster.v1.ImportPersonsRequest"]["properties"]["rows"]
    assert rows["minItems"] == 1
    listing = doc["paths"]["/v1/towns/{town}/persons"]["get"]["parameters"]
    as_of = next(p for p in listing if p["name"] == "asOfDate")
    assert as_of["schema"] == {"type": "string", "format": "date", "example": "2026-11-02"}
    # An update sets what its mask names: the body requires nothing.
    patch = doc["paths"]["/v1/towns/{town}/villages/{village}"]["patch"]["requestBody"]
    assert "required" not in patch["content"]["application/json"]["schema"]
