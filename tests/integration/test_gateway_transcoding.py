"""Transcoding of a service the gateway has never seen (tests/unit/gateway_shelves.py), served
by a real gRPC server that records what arrives: the request message built from path, query
and body, the identity and request id metadata, and the deadline."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import httpx
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message

from gateway.app import create_app
from gateway.descriptors import Backend
from gateway.transcoding import message_class
from sgz_runtime import errors, identity, status
from sgz_runtime.config import Settings
from tests.conftest import SECRET
from tests.unit.gateway_shelves import backend as shelves_backend

pytestmark = pytest.mark.anyio
Reply = Callable[[Message, grpc.ServicerContext], Message]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Arrival:
    method: str
    request: Message
    metadata: dict[str, str]
    time_remaining: float | None


if TYPE_CHECKING:  # generic only in the type stubs (grpc-stubs), not at run time
    _Handler = grpc.GenericRpcHandler[Message, Message]
else:
    _Handler = grpc.GenericRpcHandler


@dataclass
class Recorder(_Handler):
    """Serves every method of the backend's services: records the call, then replies with
    replies[method] (the empty response when none is set)."""

    shelves: Backend
    arrivals: list[Arrival] = field(default_factory=list)
    replies: dict[str, Reply] = field(default_factory=dict)

    def service(
        self, details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Message, Message] | None:
        _, service_name, method_name = details.method.split("/")
        service = self.shelves.file.pool.FindServiceByName(service_name)
        method = service.methods_by_name[method_name]
        request_class = message_class(method.input_type)
        response_class = message_class(method.output_type)

        def handle(request: Message, context: grpc.ServicerContext) -> Message:
            self.arrivals.append(
                Arrival(
                    method_name,
                    request,
                    {k: str(v) for k, v in context.invocation_metadata()},
                    context.time_remaining(),
                )
            )
            reply = self.replies.get(method_name)
            return reply(request, context) if reply else response_class()

        return grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=request_class.FromString,
            response_serializer=response_class.SerializeToString,
        )


@pytest.fixture
def shelves(tmp_path_factory: pytest.TempPathFactory) -> Backend:
    return shelves_backend(Path(tmp_path_factory.getbasetemp()) / "shelves-proto")


@pytest.fixture
def recorder(shelves: Backend) -> Iterator[tuple[Recorder, int]]:
    handler = Recorder(shelves)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield handler, port
    server.stop(0)


async def _client(
    settings: Settings, shelves: Backend, port: int, deadline_s: float = 5.0, **app_args: Any
) -> AsyncIterator[httpx.AsyncClient]:
    # The made-up service is served where the settings say the roster is.
    local = settings.model_copy(update={"roster_port": port, "default_deadline_s": deadline_s})
    app = create_app(
        local, backends=[Backend("roster", shelves.file, shelves.services)], **app_args
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            yield c


@pytest.fixture
async def client(
    settings: Settings, shelves: Backend, recorder: tuple[Recorder, int]
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(settings, shelves, recorder[1]):
        yield c


def arrived(recorder: tuple[Recorder, int]) -> list[Arrival]:
    return recorder[0].arrivals


def as_json(message: Message) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def violations(response: httpx.Response) -> list[str]:
    return [
        v["field"]
        for d in response.json()["error"]["details"]
        if d["@type"].endswith("google.rpc.BadRequest")
        for v in d["fieldViolations"]
    ]


async def test_query_string_fills_dotted_repeated_enum_and_well_known_fields(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    query = (
        "pageSize=5&tags=a&tags=b&colour=COLOUR_RED&inner.open=true&inner.colours=COLOUR_BLUE"
        "&openedAfter=2026-11-26T08:00:00Z&read_mask=title,inner.open&colours=1&colours=2"
    )
    response = await client.get(f"/v1/shelves?{query}")
    assert response.status_code == 200, response.text
    assert response.json() == {"shelves": [], "nextPageToken": ""}
    [call] = arrived(recorder)
    assert call.method == "ListShelves"
    assert as_json(call.request) == {
        "page_size": 5,
        "tags": ["a", "b"],
        "colour": "COLOUR_RED",
        "inner": {"open": True, "colours": ["COLOUR_BLUE"]},
        "opened_after": "2026-11-26T08:00:00Z",
        "read_mask": "title,inner.open",
        "colours": ["COLOUR_RED", "COLOUR_BLUE"],
    }


async def test_path_binds_a_nested_field_and_wins_over_the_body(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    recorder[0].replies["UpdateShelf"] = lambda request, _: request.shelf  # type: ignore[attr-defined]
    body = {"name": "shelves/elsewhere", "title": "诗", "capacity": "12", "counts": {"x": 2}}
    response = await client.patch("/v1/shelves/s1?updateMask=title,capacity", json=body)
    assert response.status_code == 200, response.text
    [call] = arrived(recorder)
    assert call.request.shelf.name == "shelves/s1"  # type: ignore[attr-defined]
    assert list(call.request.update_mask.paths) == ["title", "capacity"]  # type: ignore[attr-defined]
    # ProtoJSON out: lowerCamelCase, int64 as a string, defaults included.
    assert response.json() == {
        "name": "shelves/s1",
        "title": "诗",
        "colour": "COLOUR_UNSPECIFIED",
        "tags": [],
        "capacity": "12",
        "counts": {"x": 2},
        "etag": "",
        "displayName": "",
    }


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_custom_verb_with_whole_body_and_its_additional_binding(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int], method: str
) -> None:
    response = await client.request(
        method, "/v1/shelves/s1/books/b2:move", json={"destination": "shelves/s2", "position": 3}
    )
    assert response.status_code == 200, response.text
    [call] = arrived(recorder)
    assert call.method == "MoveBook"
    assert as_json(call.request) == {
        "name": "shelves/s1/books/b2",
        "destination": "shelves/s2",
        "position": "3",
    }


async def test_response_body_returns_that_field_alone(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    response_class = message_class(
        recorder[0].shelves.services[0].methods_by_name["CountBooks"].output_type
    )
    recorder[0].replies["CountBooks"] = lambda request, _: response_class(count=7)
    response = await client.get("/v1/shelves/s1:count")
    assert response.status_code == 200, response.text
    assert response.json() == 7
    assert (await client.get("/v1/shelves/s1")).status_code == 200  # GetShelf is not the verb
    assert [a.method for a in arrived(recorder)] == ["CountBooks", "GetShelf"]


async def test_delete_without_body_answers_an_empty_object(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    response = await client.delete("/v1/shelves/s1")
    assert (response.status_code, response.json()) == (200, {})
    assert as_json(arrived(recorder)[0].request) == {"name": "shelves/s1"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 5}, "shelf.title"),
        ({"inner": {"open": "yes"}}, "shelf.inner.open"),
        ({"inner": {"colours": ["COLOUR_RED", "GREEN"]}}, "shelf.inner.colours[1]"),
        ({"inner": {"colours": [7]}}, "shelf.inner.colours[0]"),
        ({"inner": {"shade": 1}}, "shelf.inner.shade"),
        ({"inner": []}, "shelf.inner"),
        ({"tags": "a"}, "shelf.tags"),
        ({"tags": ["a", None]}, "shelf.tags[1]"),
        ({"capacity": "lots"}, "shelf.capacity"),
        ({"capacity": 1.5}, "shelf.capacity"),
        ({"opened": "yesterday"}, "shelf.opened"),
        ({"counts": {"x": "many"}}, "shelf.counts"),
        ({"colour": "COLOUR_GREEN"}, "shelf.colour"),
        ({"title": "a", "title_": 1}, "shelf.title_"),
        ({"title": "a", "Title": 1}, "shelf.Title"),
    ],
)
async def test_bad_body_is_refused_at_the_gateway_naming_the_field(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int], body: dict[str, Any], field: str
) -> None:
    response = await client.patch("/v1/shelves/s1", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert violations(response) == [field]
    assert arrived(recorder) == []


async def test_field_given_by_both_its_names_is_refused(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    response = await client.patch(
        "/v1/shelves/s1", json={"displayName": "a", "display_name": "b", "opened": None}
    )
    assert violations(response) == ["shelf.displayName"]
    assert arrived(recorder) == []


async def test_proto_names_are_accepted_and_the_path_wins_over_a_whole_body(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    response = await client.patch("/v1/shelves/s1", json={"display_name": "a", "opened": None})
    assert response.status_code == 200, response.text
    assert arrived(recorder)[-1].request.shelf.display_name == "a"  # type: ignore[attr-defined]
    moved = await client.post(
        "/v1/shelves/s/books/b:move", json={"destination": "a", "position": 1, "name": "x"}
    )
    assert moved.status_code == 200, moved.text
    assert arrived(recorder)[-1].request.name == "shelves/s/books/b"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("colour=COLOUR_GREEN", "colour"),
        ("inner=1", "inner"),
        ("inner.open=maybe", "inner.open"),
        ("inner.shade=1", "inner.shade"),
        ("pageSize=1&pageSize=2", "pageSize"),
        ("colours=COLOUR_RED&colours=BLUE", "colours[1]"),
        ("openedAfter=yesterday", "openedAfter"),
        ("tags.x=1", "tags"),
    ],
)
async def test_bad_query_is_refused_naming_the_field(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int], query: str, field: str
) -> None:
    response = await client.get(f"/v1/shelves?{query}")
    assert response.status_code == 400, response.text
    assert violations(response) == [field]
    assert arrived(recorder) == []


async def test_query_cannot_set_what_the_path_or_body_sets(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    by_path = await client.get("/v1/shelves/s1?name=shelves/s2")
    assert violations(by_path) == ["name"]
    by_body = await client.patch("/v1/shelves/s1?shelf.title=x", json={})
    assert violations(by_body) == ["shelf.title"]
    whole_body = await client.post("/v1/shelves/s/books/b:move?position=2", json={})
    assert violations(whole_body) == ["position"]
    no_body = await client.request("GET", "/v1/shelves/s1", content=b'{"name": "x"}')
    assert no_body.status_code == 400
    assert arrived(recorder) == []


async def test_call_carries_signed_caller_request_id_and_deadline(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    response = await client.get("/v1/shelves/s1", headers={"X-Request-Id": "trace-42"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "trace-42"
    [call] = arrived(recorder)
    assert call.metadata[identity.REQUEST_ID_METADATA_KEY] == "trace-42"
    caller = identity.verify(call.metadata[identity.CALLER_METADATA_KEY], SECRET.encode())
    assert caller == identity.Caller(
        "users/dev", identity.Role.CITY_CIVIL_AFFAIRS, identity.ScopeLevel.CITY
    )
    # grpc rounds the timeout it sends up, so the server may see a hair over 5 s.
    assert call.time_remaining is not None and 0 < call.time_remaining <= 5.05


async def test_request_id_that_is_not_a_plain_token_is_replaced(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    response = await client.get("/v1/shelves/s1", headers={"X-Request-Id": "a b\tc" + "x" * 200})
    made = response.headers["X-Request-Id"]
    assert made and " " not in made and len(made) <= 128
    assert arrived(recorder)[0].metadata[identity.REQUEST_ID_METADATA_KEY] == made


async def test_service_error_keeps_its_details_in_the_error_shape(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    def refuse(request: Message, context: grpc.ServicerContext) -> Message:
        error = errors.FailedPrecondition("the house is unsafe", rule="V4")
        context.abort_with_status(status.to_status(error, service="shelves"))
        raise AssertionError("abort returns no value")

    recorder[0].replies["GetShelf"] = refuse
    response = await client.get("/v1/shelves/s1")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "FAILED_PRECONDITION"
    assert error["message"] == "the house is unsafe"
    localized, info = error["details"]
    assert localized["@type"] == "type.googleapis.com/google.rpc.LocalizedMessage"
    assert localized["locale"] == "zh-CN"
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert info["metadata"]["rule"] == "V4"
    assert info["reason"] == "RULE_REFUSED"


@pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c is not grpc.StatusCode.OK])
async def test_every_status_of_a_service_reaches_http_by_the_map(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int], code: grpc.StatusCode
) -> None:
    from gateway.errors import HTTP_STATUS

    def fail(request: Message, context: grpc.ServicerContext) -> Message:
        context.abort(code, f"failed with {code.name}")
        raise AssertionError("abort returns no value")

    recorder[0].replies["GetShelf"] = fail
    response = await client.get("/v1/shelves/s1")
    assert response.status_code == HTTP_STATUS[code]
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (HTTP_STATUS[code], code.name)
    assert error["details"] == []


async def test_service_slower_than_the_deadline_is_504(
    settings: Settings, shelves: Backend, recorder: tuple[Recorder, int]
) -> None:
    release = threading.Event()

    def stall(request: Message, context: grpc.ServicerContext) -> Message:
        release.wait(10)
        return type(request)()

    recorder[0].replies["GetShelf"] = stall
    try:
        async for c in _client(settings, shelves, recorder[1], deadline_s=0.2):
            response = await c.get("/v1/shelves/s1")
            assert response.status_code == 504
            assert response.json()["error"]["status"] == "DEADLINE_EXCEEDED"
    finally:
        release.set()


async def test_unreachable_service_is_503(settings: Settings, shelves: Backend) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async for c in _client(settings, shelves, port):
        response = await c.get("/v1/shelves/s1")
        assert response.status_code == 503
        assert response.json()["error"]["status"] == "UNAVAILABLE"


async def test_authenticator_refusal_is_401_and_nothing_is_sent(
    settings: Settings, shelves: Backend, recorder: tuple[Recorder, int]
) -> None:
    class Refuse:
        async def authenticate(self, request: Any) -> identity.Caller:
            raise errors.Unauthenticated("no session")

    async for c in _client(settings, shelves, recorder[1], authenticator=Refuse()):
        response = await c.get("/v1/shelves/s1")
        assert response.status_code == 401
        assert response.json()["error"]["status"] == "UNAUTHENTICATED"
    assert arrived(recorder) == []


async def test_authenticator_decides_the_caller_the_service_sees(
    settings: Settings, shelves: Backend, recorder: tuple[Recorder, int]
) -> None:
    chief = identity.Caller(
        "users/chief", identity.Role.STATION_CHIEF, identity.ScopeLevel.TOWN, "towns/chengdong"
    )

    class AsChief:
        async def authenticate(self, request: Any) -> identity.Caller:
            return chief

    async for c in _client(settings, shelves, recorder[1], authenticator=AsChief()):
        assert (await c.get("/v1/shelves/s1")).status_code == 200
    token = arrived(recorder)[0].metadata[identity.CALLER_METADATA_KEY]
    assert identity.verify(token, SECRET.encode()) == chief


async def test_unknown_route_is_404_and_wrong_method_405_listing_the_allowed(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/shelves/s1/books")
    assert (missing.status_code, missing.json()["error"]["status"]) == (404, "NOT_FOUND")
    wrong = await client.post("/v1/shelves/s1")
    assert wrong.status_code == 405
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE"}
    assert wrong.json()["error"]["code"] == 405


async def test_body_larger_than_a_grpc_message_is_refused_unsent(
    client: httpx.AsyncClient, recorder: tuple[Recorder, int]
) -> None:
    from gateway.app import MAX_BODY_BYTES

    huge = b'{"title": "' + b"x" * MAX_BODY_BYTES + b'"}'
    response = await client.patch(
        "/v1/shelves/s1", content=huge, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert arrived(recorder) == []


async def test_gateway_own_pages_refuse_other_methods_in_the_error_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/healthz")
    assert response.status_code == 405
    assert response.headers["Allow"]
    assert response.json()["error"]["code"] == 405
