"""Login, refresh, logout, account administration and the front door (401, 403, 415, 429,
CORS) through the gateway app, on the accounts database (SQLite or PostgreSQL by SGZ_TEST_DB)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.accounts.service import AccountService, Bootstrap
from gateway.app import Gateway, create_app
from sgz_runtime.config import Settings

pytestmark = pytest.mark.anyio

ADMIN_PASSWORD = "admin passphrase 2026"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """The smallest argon2 cost the settings allow: tests hash many passwords."""
    monkeypatch.setenv("SGZ_ACCOUNTS_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("SGZ_ACCOUNTS_ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("SGZ_ACCOUNTS_ARGON2_PARALLELISM", "1")


async def _serve(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(settings, backends=[])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as c:
            yield app, c


@pytest.fixture
async def served(
    settings: Settings,
    database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    cheap_argon2: None,
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url("gateway"))
    # A real deployment: no development caller.
    async for pair in _serve(settings.model_copy(update={"gateway_dev_auth": False})):
        yield pair


@pytest.fixture
def client(served: tuple[Starlette, httpx.AsyncClient]) -> httpx.AsyncClient:
    return served[1]


def accounts_of(app: Starlette) -> AccountService:
    gateway: Gateway = app.state.gateway
    assert gateway.accounts is not None
    return gateway.accounts


@pytest.fixture
def admin(served: tuple[Starlette, httpx.AsyncClient]) -> str:
    accounts_of(served[0]).bootstrap(
        Bootstrap(username="city.admin", display_name="市民政局管理员", password=ADMIN_PASSWORD)
    )
    return "city.admin"


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    answer = await client.post("/v1/auth:login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def bearer(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['accessToken']}"}


async def test_login_returns_the_agreed_session_shape(
    client: httpx.AsyncClient, admin: str
) -> None:
    session = await login(client, admin, ADMIN_PASSWORD)
    assert set(session) == {"accessToken", "refreshToken", "expiresIn", "account"}
    assert session["expiresIn"] == 900
    assert session["account"] == {
        "name": "accounts/city.admin",
        "username": "city.admin",
        "displayName": "市民政局管理员",
        "role": "city_civil_affairs",
        "scopeLevel": "city",
        "scope": "",
    }
    me = await client.get("/v1/auth/me", headers=bearer(session))
    assert me.status_code == 200
    assert me.json() == session["account"]


async def test_a_call_without_a_valid_token_is_401(client: httpx.AsyncClient, admin: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic eDp5"}):
        answer = await client.get("/v1/auth/me", headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.json()["error"]["status"] == "UNAUTHENTICATED"
        # And an API route: refused before any service is asked.
        assert (await client.get("/v1/accounts", headers=headers)).status_code == 401


async def test_a_wrong_password_and_an_unknown_user_are_told_the_same(
    client: httpx.AsyncClient, admin: str
) -> None:
    wrong = await client.post("/v1/auth:login", json={"username": admin, "password": "x" * 14})
    unknown = await client.post("/v1/auth:login", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["message"] == unknown.json()["error"]["message"]


async def test_an_admin_creates_an_account_that_can_log_in_and_is_scoped(
    client: httpx.AsyncClient, admin: str
) -> None:
    session = await login(client, admin, ADMIN_PASSWORD)
    created = await client.post(
        "/v1/accounts",
        headers=bearer(session),
        json={
            "username": "wang.fang",
            "displayName": "王芳",
            "role": "station_worker",
            "scopeLevel": "caseload",
            "scope": "workers/w1",
        },
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["account"]["scope"] == "workers/w1"
    assert body["account"]["disabled"] is False
    worker = await login(client, "wang.fang", body["initialPassword"])
    assert worker["account"]["role"] == "station_worker"
    # A worker administers nothing: the gateway refuses the role.
    refused = await client.get("/v1/accounts", headers=bearer(worker))
    assert refused.status_code == 403
    info = [d for d in refused.json()["error"]["details"] if d["@type"].endswith("ErrorInfo")]
    assert info[0]["reason"] == "ROLE_NOT_ALLOWED"
    again = await client.post(
        "/v1/accounts",
        headers=bearer(session),
        json={
            "username": "wang.fang",
            "displayName": "王芳",
            "role": "station_worker",
            "scopeLevel": "caseload",
            "scope": "workers/w1",
        },
    )
    assert again.status_code == 409


async def test_a_disabled_account_can_neither_log_in_nor_use_its_tokens(
    client: httpx.AsyncClient, admin: str
) -> None:
    session = await login(client, admin, ADMIN_PASSWORD)
    created = await client.post(
        "/v1/accounts",
        headers=bearer(session),
        json={
            "username": "li.chief",
            "displayName": "李站长",
            "role": "station_chief",
            "scopeLevel": "town",
            "scope": "towns/chengdong",
            "password": "chief passphrase 2026",
        },
    )
    assert created.status_code == 200
    chief = await login(client, "li.chief", "chief passphrase 2026")
    disabled = await client.post("/v1/accounts/li.chief:disable", headers=bearer(session))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    refused = await client.post(
        "/v1/auth:login", json={"username": "li.chief", "password": "chief passphrase 2026"}
    )
    assert refused.status_code == 401
    refresh = await client.post("/v1/auth:refresh", json={"refreshToken": chief["refreshToken"]})
    assert refresh.status_code == 401
    listed = await client.get("/v1/accounts", headers=bearer(session))
    assert [a["username"] for a in listed.json()["accounts"]] == ["city.admin", "li.chief"]
    enabled = await client.post("/v1/accounts/li.chief:enable", headers=bearer(session))
    assert enabled.json()["disabled"] is False
    await login(client, "li.chief", "chief passphrase 2026")


async def test_refresh_rotates_and_a_reused_refresh_token_ends_the_sessions(
    client: httpx.AsyncClient, admin: str
) -> None:
    first = await login(client, admin, ADMIN_PASSWORD)
    second = await client.post("/v1/auth:refresh", json={"refreshToken": first["refreshToken"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refreshToken"] != first["refreshToken"]
    assert rotated["account"]["username"] == admin
    # The old refresh token was revoked by the rotation.
    replay = await client.post("/v1/auth:refresh", json={"refreshToken": first["refreshToken"]})
    assert replay.status_code == 401
    out = await client.post("/v1/auth:logout", json={"refreshToken": rotated["refreshToken"]})
    assert out.status_code == 200 and out.json() == {}
    gone = await client.post("/v1/auth:refresh", json={"refreshToken": rotated["refreshToken"]})
    assert gone.status_code == 401


async def test_a_password_reset_ends_the_accounts_sessions(
    client: httpx.AsyncClient, admin: str, served: tuple[Starlette, httpx.AsyncClient]
) -> None:
    session = await login(client, admin, ADMIN_PASSWORD)
    await client.post(
        "/v1/accounts",
        headers=bearer(session),
        json={
            "username": "zhao.hr",
            "displayName": "赵",
            "role": "hr",
            "scopeLevel": "town",
            "scope": "towns/chengdong",
            "password": "hr passphrase 2026!",
        },
    )
    hr = await login(client, "zhao.hr", "hr passphrase 2026!")
    reset = await client.post("/v1/accounts/zhao.hr:resetPassword", headers=bearer(session))
    assert reset.status_code == 200
    new_password = reset.json()["initialPassword"]
    # The account is re-read within seconds; clear the gateway's memory of it to see it now.
    gateway: Gateway = served[0].state.gateway
    gateway.authenticator._accepted.clear()  # type: ignore[attr-defined]
    stale = await client.get("/v1/auth/me", headers=bearer(hr))
    assert stale.status_code in (200, 401)  # same second as the reset: whole-second iat
    refused = await client.post("/v1/auth:refresh", json={"refreshToken": hr["refreshToken"]})
    assert refused.status_code == 401
    await login(client, "zhao.hr", new_password)


async def test_failed_logins_are_limited_per_account(client: httpx.AsyncClient, admin: str) -> None:
    for _ in range(5):
        answer = await client.post(
            "/v1/auth:login", json={"username": admin, "password": "wrong password!"}
        )
        assert answer.status_code == 401
    blocked = await client.post(
        "/v1/auth:login", json={"username": admin, "password": ADMIN_PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


async def test_failed_logins_are_limited_per_address(client: httpx.AsyncClient, admin: str) -> None:
    for i in range(20):
        answer = await client.post(
            "/v1/auth:login", json={"username": f"user{i}", "password": "wrong password!"}
        )
        assert answer.status_code == 401
    blocked = await client.post("/v1/auth:login", json={"username": "other", "password": "x"})
    assert blocked.status_code == 429


async def test_a_form_post_is_refused_with_415(client: httpx.AsyncClient, admin: str) -> None:
    session = await login(client, admin, ADMIN_PASSWORD)
    form = await client.post(
        "/v1/accounts", headers=bearer(session), data={"username": "x", "role": "auditor"}
    )
    assert form.status_code == 415
    text = await client.post(
        "/v1/auth:login",
        content=b'{"username": "city.admin", "password": "x"}',
        headers={"content-type": "text/plain"},
    )
    assert text.status_code == 415


async def test_unknown_fields_and_wrong_types_are_refused(
    client: httpx.AsyncClient, admin: str
) -> None:
    answer = await client.post(
        "/v1/auth:login", json={"username": 7, "password": "x", "remember": True}
    )
    assert answer.status_code == 400
    fields = [
        v["field"]
        for d in answer.json()["error"]["details"]
        if d["@type"].endswith("BadRequest")
        for v in d["fieldViolations"]
    ]
    assert sorted(fields) == ["remember", "username"]


async def test_bootstrap_is_one_time(
    served: tuple[Starlette, httpx.AsyncClient], admin: str
) -> None:
    from sgz_runtime.errors import FailedPrecondition

    with pytest.raises(FailedPrecondition):
        accounts_of(served[0]).bootstrap(
            Bootstrap(username="second.admin", display_name="x", password="another passphrase")
        )


async def test_accounts_are_never_deleted_even_by_sql(
    served: tuple[Starlette, httpx.AsyncClient], admin: str
) -> None:
    import sqlalchemy as sa

    engine = accounts_of(served[0]).store.engine
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM accounts"))


async def test_cors_is_closed_unless_origins_are_configured(
    client: httpx.AsyncClient, admin: str
) -> None:
    preflight = await client.options(
        "/v1/auth:login",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_allows_a_configured_origin_only(
    settings: Settings,
    database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
    cheap_argon2: None,
) -> None:
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url("gateway"))
    configured = settings.model_copy(
        update={"gateway_dev_auth": False, "gateway_cors_origins": ["https://console.example"]}
    )
    async for _, client in _serve(configured):
        ok = await client.options(
            "/v1/auth:login",
            headers={"Origin": "https://console.example", "Access-Control-Request-Method": "POST"},
        )
        assert ok.headers["access-control-allow-origin"] == "https://console.example"
        other = await client.options(
            "/v1/auth:login",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in other.headers
