"""Towns, villages and workers through the gateway's HTTP API, against real roster and HR
servers on real ports and databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime.config import Settings

TOWN = {"displayName": "城东镇", "administrativeCode": "320621100", "kind": "TOWN_KIND_TOWN"}


pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(
    start_service: Callable[..., Any], settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    roster, _ = start_service("roster", build_roster)
    hr, _ = start_service("hr", build_hr, roster=roster.port)
    local = settings.model_copy(update={"roster_port": roster.port, "hr_port": hr.port})
    app = create_app(local)
    # The lifespan runs in the test's event loop, so the gRPC channels live where requests are.
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            yield c


def violations(body: dict[str, Any]) -> list[str]:
    """The field paths of the google.rpc.BadRequest detail of an error body."""
    return [
        v["field"]
        for d in body["error"]["details"]
        if d["@type"].endswith("google.rpc.BadRequest")
        for v in d["fieldViolations"]
    ]


async def create_town(client: httpx.AsyncClient, town_id: str = "chengdong", **fields: Any) -> Any:
    response = await client.post(f"/v1/towns?town_id={town_id}", json={**TOWN, **fields})
    assert response.status_code == 200, response.text
    return response.json()


async def test_town_is_created_read_and_listed(client: httpx.AsyncClient) -> None:
    created = await create_town(client)
    assert created["name"] == "towns/chengdong"
    assert created["kind"] == "TOWN_KIND_TOWN"
    assert (await client.get("/v1/towns/chengdong")).json() == created
    listed = (await client.get("/v1/towns")).json()
    assert [t["name"] for t in listed["towns"]] == ["towns/chengdong"]
    assert listed["nextPageToken"] == ""


async def test_empty_list_comes_back_as_an_empty_array(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/towns")).json() == {"towns": [], "nextPageToken": ""}


async def test_towns_are_paged_through_the_query_string(client: httpx.AsyncClient) -> None:
    for i, town_id in enumerate(["c-town", "a-town", "b-town"]):
        await create_town(client, town_id, administrativeCode=f"3206211{i:02d}")
    first = (await client.get("/v1/towns", params={"pageSize": 2})).json()
    assert [t["name"] for t in first["towns"]] == ["towns/a-town", "towns/b-town"]
    rest = (
        await client.get("/v1/towns", params={"page_size": 2, "page_token": first["nextPageToken"]})
    ).json()
    assert [t["name"] for t in rest["towns"]] == ["towns/c-town"]


async def test_village_is_created_listed_and_updated_with_a_field_mask(
    client: httpx.AsyncClient,
) -> None:
    await create_town(client)
    village = {
        "displayName": "新华村",
        "kind": "VILLAGE_KIND_VILLAGE",
        "contact": {"displayName": "王红", "phone": "13812345678"},
    }
    response = await client.post("/v1/towns/chengdong/villages?villageId=xinhua", json=village)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["name"] == "towns/chengdong/villages/xinhua"
    assert created["contact"]["phone"] == "+8613812345678"
    listed = (await client.get("/v1/towns/chengdong/villages")).json()
    assert [v["name"] for v in listed["villages"]] == [created["name"]]

    update = {"displayName": "新华社区", "etag": created["etag"]}
    response = await client.patch(
        "/v1/towns/chengdong/villages/xinhua?update_mask=display_name", json=update
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "新华社区"
    assert response.json()["kind"] == "VILLAGE_KIND_VILLAGE"  # outside the mask: kept

    stale = await client.patch("/v1/towns/chengdong/villages/xinhua", json=update)
    assert stale.status_code == 409
    assert stale.json()["error"]["status"] == "ABORTED"


async def test_worker_is_created_and_listed_by_town(client: httpx.AsyncClient) -> None:
    await create_town(client)
    worker = {
        "displayName": "李明",
        "town": "towns/chengdong",
        "role": "WORKER_ROLE_STATION_WORKER",
    }
    response = await client.post("/v1/workers", json=worker)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["name"].startswith("workers/")
    assert (await client.get(f"/v1/{created['name']}")).json() == created
    by_town = (await client.get("/v1/workers", params={"town": "towns/chengdong"})).json()
    assert [w["name"] for w in by_town["workers"]] == [created["name"]]
    assert (await client.get("/v1/workers", params={"town": "towns/other"})).json()["workers"] == []


async def test_worker_for_an_unknown_town_is_refused_naming_worker_town(
    client: httpx.AsyncClient,
) -> None:
    worker = {"displayName": "李明", "town": "towns/nowhere", "role": "WORKER_ROLE_STATION_WORKER"}
    response = await client.post("/v1/workers", json=worker)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == 400
    assert body["error"]["status"] == "INVALID_ARGUMENT"
    assert violations(body) == ["worker.town"]
    assert (await client.get("/v1/workers")).json()["workers"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"displayName": "\xe5\x9f\x8e', "town"),  # malformed JSON
        (b'{"displayName": "x", "administrativeCode": "320621100", "foo": 1}', "town.foo"),
        (b'{"displayName": 5, "administrativeCode": "320621100"}', "town.displayName"),
        (b'{"displayName": "x", "administrativeCode": "320621100", "kind": "CITY"}', "town.kind"),
        (b'{"displayName": "x", "kind": "TOWN_KIND_TOWN"}', "town.administrativeCode"),
        (b'["not", "an", "object"]', "town"),
    ],
    ids=["malformed-json", "unknown-field", "wrong-type", "bad-enum", "missing-required", "array"],
)
async def test_bad_town_is_refused_naming_the_field_and_nothing_is_written(
    client: httpx.AsyncClient, body: bytes, field: str
) -> None:
    response = await client.post(
        "/v1/towns?townId=chengdong", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert field in violations(response.json())
    assert (await client.get("/v1/towns")).json()["towns"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("pageSize=many", "pageSize"),
        ("pageSize=99999999999", "pageSize"),
        ("color=red", "color"),
        ("pageSize=1&pageSize=2", "pageSize"),
    ],
)
async def test_bad_query_parameter_is_refused_naming_it(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"/v1/towns?{query}")
    assert response.status_code == 400
    assert violations(response.json()) == [field]


async def test_unknown_resource_is_404_in_the_error_shape(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/towns/nowhere")
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    assert "towns/nowhere" in error["message"]
    assert any(d["@type"].endswith("google.rpc.ErrorInfo") for d in error["details"])


async def test_unknown_route_is_404_and_wrong_method_is_405(client: httpx.AsyncClient) -> None:
    missing = await client.get("/v1/nothing/here")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"
    wrong = await client.delete("/v1/towns")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == 405
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "POST"}


async def test_request_id_is_echoed_or_made(client: httpx.AsyncClient) -> None:
    given = await client.get("/v1/towns", headers={"X-Request-Id": "req-abc.123"})
    assert given.headers["X-Request-Id"] == "req-abc.123"
    made = (await client.get("/v1/towns")).headers["X-Request-Id"]
    assert made and made != "req-abc.123"
    assert (await client.get("/v1/towns")).headers["X-Request-Id"] != made
    error = await client.get("/v1/nothing")
    assert error.headers["X-Request-Id"]


async def test_openapi_document_is_served_with_the_api_routes(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["paths"]["/v1/towns"]["post"]["operationId"] == "RosterService_CreateTown"
    assert "get" in document["paths"]["/v1/workers/{worker}"]
