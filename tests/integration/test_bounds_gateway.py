"""Bounds and errors through the gateway (issue 11 item 7): each bad input is refused with 400,
never a 500 or a 429, and nothing is written."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gateway.app import create_app
from roster_svc.app import build as build_roster
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine
from sgz_runtime.identity import Role, ScopeLevel
from visit_svc.app import build as build_visit

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def stack(start_service: Callable[..., Any], settings: Settings) -> Settings:
    roster, _ = start_service("roster", build_roster)
    visit, _ = start_service("visit", build_visit, roster=roster.port)
    return settings.model_copy(update={"roster_port": roster.port, "visit_port": visit.port})


@contextlib.asynccontextmanager
async def _gateway(settings: Settings, **caller: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway acting as the development caller (city civil affairs unless given)."""
    app = create_app(settings.model_copy(update=caller))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            yield c


@pytest.fixture
async def client(stack: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with _gateway(stack) as c:
        yield c


def _ledger_rows() -> int:
    engine = make_engine(os.environ["VISIT_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT COUNT(*) FROM ledger_entries")).scalar_one())
    finally:
        engine.dispose()


async def test_a_long_resource_name_is_400_not_429(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/persons/" + "p" * 5000)
    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize("year", [1, 9999])
async def test_years_far_outside_the_range_are_400_not_500(
    client: httpx.AsyncClient, year: int
) -> None:
    """Years 1 and 9999 once gave ten different 500s (OverflowError); a care-months query over
    9,000 years kept the roster busy for 50 s."""
    answer = await client.get(
        "/v1/towns/chengdong/careMonths",
        params={
            "period.start_date.year": str(year),
            "period.start_date.month": "1",
            "period.start_date.day": "1",
            "period.end_date.year": "2026",
            "period.end_date.month": "12",
            "period.end_date.day": "31",
        },
    )
    assert answer.status_code == 400, answer.text


async def test_a_50000_deep_payload_json_is_400_and_nothing_is_written(
    client: httpx.AsyncClient,
) -> None:
    before = _ledger_rows()
    deep = "[" * 50_000 + "]" * 50_000
    answer = await client.post(
        "/v1/towns/chengdong/ledgerEntries/1:correct",
        content=json.dumps({"payloadJson": deep, "reason": "录入错误"}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text[:300]
    assert _ledger_rows() == before


async def test_a_3_5_mb_visit_note_is_400_and_nothing_is_written(stack: Settings) -> None:
    before = _ledger_rows()
    visit = {
        "person": "persons/p",
        "worker": "workers/w",
        "visitTime": "2026-11-23T02:00:00Z",
        "checks": {},
        "notes": "脏" * 1_150_000,  # 3.45 MB of UTF-8, under the gateway's 4 MB body limit
    }
    worker = {
        "gateway_dev_subject": "users/w",
        "gateway_dev_role": Role.STATION_WORKER,
        "gateway_dev_scope_level": ScopeLevel.CASELOAD,
        "gateway_dev_scope": "workers/w",
    }
    async with _gateway(stack, **worker) as client:
        answer = await client.post(
            "/v1/visits",
            content=json.dumps({"visit": visit, "requestId": "r1"}, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 400, answer.text[:300]
    assert "visit.notes" in answer.text
    assert _ledger_rows() == before
