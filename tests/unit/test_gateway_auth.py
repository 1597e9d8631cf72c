"""Access tokens, failed-login limits, account rules and the route-role table, without a server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import jwt
import pytest
from starlette.requests import Request

from gateway.accounts import domain, tokens
from gateway.accounts.limiter import FailureLimiter
from gateway.accounts.passwords import Passwords
from gateway.app import create_app
from gateway.authorization import (
    Access,
    OutOfScope,
    RoleNotAllowed,
    UnsupportedMediaType,
    access_of,
    require,
    require_json_write,
    require_path_in_scope,
)
from gateway.descriptors import load_backends
from gateway.transcoding import routes_of
from sgz_runtime import identity
from sgz_runtime.config import Settings
from sgz_runtime.errors import InvalidArgument, Unauthenticated
from sgz_runtime.identity import Caller, Role, ScopeLevel

KEY = tokens.access_key(b"internal-secret-" + b"x" * 32)
CHIEF = Caller("accounts/chief", Role.STATION_CHIEF, ScopeLevel.TOWN, "towns/a")


def _claims(**over: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "sub": "accounts/chief",
        "iat": now,
        "exp": now + 60,
        "typ": "access",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


# --- access tokens ----------------------------------------------------------------------------


def test_a_signed_access_token_is_accepted_and_names_its_account() -> None:
    signer = tokens.AccessTokens(KEY, ttl_s=300)
    claims = signer.verify(signer.sign("accounts/chief", {"role": "station_chief"}))
    assert claims.subject == "accounts/chief"
    assert claims.expires_at - claims.issued_at == 300


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda: jwt.encode(_claims(), b"another key" * 4, algorithm="HS256"), id="key"
        ),
        pytest.param(lambda: jwt.encode(_claims(), KEY, algorithm="HS512"), id="alg-hs512"),
        pytest.param(lambda: jwt.encode(_claims(), "", algorithm="none"), id="alg-none"),
        pytest.param(lambda: jwt.encode(_claims(exp=int(time.time()) - 120), KEY), id="expired"),
        pytest.param(lambda: jwt.encode(_claims(exp=None), KEY), id="no-exp"),
        pytest.param(lambda: jwt.encode(_claims(aud=None), KEY), id="no-aud"),
        pytest.param(lambda: jwt.encode(_claims(iss=None), KEY), id="no-iss"),
        pytest.param(lambda: jwt.encode(_claims(aud="sgz-internal"), KEY), id="internal-aud"),
        pytest.param(lambda: jwt.encode(_claims(typ="refresh"), KEY), id="typ"),
        pytest.param(
            lambda: jwt.encode(_claims(exp=int(time.time()) + 86_400), KEY), id="lives-a-day"
        ),
        pytest.param(
            lambda: jwt.encode(
                _claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 3700), KEY
            ),
            id="issued-in-the-future",
        ),
        pytest.param(lambda: "not.a.token", id="garbage"),
    ],
)
def test_a_forged_expired_or_overlong_access_token_is_refused(forge: Callable[[], str]) -> None:
    with pytest.raises(Unauthenticated):
        tokens.AccessTokens(KEY).verify(forge())


def test_an_access_token_may_not_be_signed_for_longer_than_fifteen_minutes() -> None:
    with pytest.raises(ValueError):
        tokens.AccessTokens(KEY, ttl_s=901)


def test_a_caller_token_for_the_services_is_capped_too() -> None:
    secret = b"s" * 40
    with pytest.raises(ValueError):
        identity.sign(CHIEF, secret, ttl_s=3600)
    now = int(time.time())
    overlong = jwt.encode(
        {
            "iss": "sgz-gateway",
            "aud": "sgz-internal",
            "iat": now,
            "exp": now + 86_400,
            "sub": "users/x",
            "role": "station_chief",
            "lvl": "town",
            "scope": "towns/a",
        },
        secret,
        algorithm="HS256",
    )
    with pytest.raises(Unauthenticated):
        identity.verify(overlong, secret)
    assert identity.verify(identity.sign(CHIEF, secret), secret) == CHIEF


def test_an_access_token_is_no_caller_token_and_the_reverse() -> None:
    secret = b"s" * 40
    with pytest.raises(Unauthenticated):
        identity.verify(tokens.AccessTokens(tokens.access_key(secret)).sign("a", {}), secret)
    with pytest.raises(Unauthenticated):
        tokens.AccessTokens(tokens.access_key(secret)).verify(identity.sign(CHIEF, secret))


def test_only_the_hash_of_a_refresh_token_is_kept() -> None:
    token = tokens.new_refresh_token()
    assert len(token) >= 40
    assert tokens.refresh_token_hash(token) != token
    assert len(tokens.refresh_token_hash(token)) == 64


# --- passwords and limits ---------------------------------------------------------------------


def test_passwords_are_argon2id_and_a_missing_account_never_matches() -> None:
    passwords = Passwords(time_cost=1, memory_kib=8192, parallelism=1)
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery")
    assert not passwords.verify(stored, "correct horse batterx")
    assert not passwords.verify(None, "correct horse battery")
    assert not passwords.verify("not a hash", "x")


def test_failed_logins_block_a_key_until_the_oldest_leaves_the_window() -> None:
    now = [1000.0]
    limiter = FailureLimiter(3, 60.0, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("account:wang") == 0
        limiter.failed("account:wang")
        now[0] += 1
    assert limiter.retry_after("account:wang") == pytest.approx(57.0)
    assert limiter.retry_after("account:li") == 0
    now[0] += 57
    assert limiter.retry_after("account:wang") == 0
    limiter.failed("account:wang")
    limiter.succeeded("account:wang")
    assert limiter.retry_after("account:wang") == 0


def test_the_limiter_keeps_a_bounded_number_of_keys() -> None:
    limiter = FailureLimiter(1, 60.0, max_keys=10, clock=lambda: 5.0)
    for i in range(100):
        limiter.failed(f"address:{i}")
    assert len(limiter._failures) <= 10


# --- account rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "level", "scope"),
    [
        ("city_civil_affairs", "city", ""),
        ("station_chief", "town", "towns/chengdong"),
        ("station_worker", "caseload", "workers/w1"),
        ("village_contact", "village", "towns/chengdong/villages/xinhua"),
        ("auditor", "town", "towns/chengdong"),
    ],
)
def test_each_role_takes_the_scope_of_its_work(role: str, level: str, scope: str) -> None:
    parsed = domain.check_new_account(
        username="wang.fang", display_name="王芳", role=role, scope_level=level, scope=scope
    )
    assert parsed == (Role(role), ScopeLevel(level))


def test_a_new_account_with_every_field_wrong_is_refused_naming_them_all() -> None:
    with pytest.raises(InvalidArgument) as refused:
        domain.check_new_account(
            username="X", display_name="", role="king", scope_level="galaxy", scope=""
        )
    assert [v.field for v in refused.value.violations] == [
        "username",
        "displayName",
        "role",
        "scopeLevel",
    ]


@pytest.mark.parametrize(
    ("role", "level", "scope", "field"),
    [
        ("station_worker", "town", "towns/a", "scopeLevel"),  # a worker sees a caseload
        ("village_contact", "village", "towns/a", "scope"),
        ("station_chief", "town", "", "scope"),
        ("system", "city", "", "role"),  # the system role is never a person's
    ],
)
def test_a_scope_that_does_not_fit_the_role_is_refused(
    role: str, level: str, scope: str, field: str
) -> None:
    with pytest.raises(InvalidArgument) as refused:
        domain.check_new_account(
            username="wang.fang", display_name="王芳", role=role, scope_level=level, scope=scope
        )
    assert [v.field for v in refused.value.violations] == [field]


def test_a_short_password_or_one_with_the_username_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        domain.check_password("short", username="wang")
    with pytest.raises(InvalidArgument):
        domain.check_password("wang-fang-2026-pass", username="wang-fang")
    domain.check_password("a long enough passphrase", username="wang")


# --- the route-role table ---------------------------------------------------------------------


def test_every_rpc_behind_the_gateway_declares_its_roles() -> None:
    routes, _ = routes_of(load_backends())
    undeclared = sorted({r.grpc_path for r in routes if not access_of(r.method).declared})
    assert undeclared == [], "RPCs without (sgz.common.v1.access): " + ", ".join(undeclared)


def test_auditors_are_only_ever_given_calls_that_change_nothing() -> None:
    routes, _ = routes_of(load_backends())
    writes = sorted(
        {
            r.grpc_path
            for r in routes
            if Role.AUDITOR in access_of(r.method).roles and not access_of(r.method).read_only
        }
    )
    assert writes == []


def test_a_role_not_in_the_table_is_refused() -> None:
    chiefs = Access(frozenset({Role.STATION_CHIEF}))
    require(chiefs, CHIEF, "/x/Y")
    worker = Caller("accounts/w", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/w")
    with pytest.raises(RoleNotAllowed):
        require(chiefs, worker, "/x/Y")
    with pytest.raises(RoleNotAllowed):
        require(Access(frozenset(), declared=False), CHIEF, "/x/Y")


def _request(method: str, headers: dict[str, str]) -> Request:
    return Request(
        {
            "type": "http",
            "method": method,
            "path": "/v1/x",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
    )


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("POST", {"content-type": "application/json", "content-length": "2"}, False),
        ("POST", {"content-type": "application/json; charset=utf-8"}, False),
        ("POST", {}, False),  # no body: `POST .../x:disable`
        ("POST", {"content-length": "0"}, False),
        ("POST", {"content-type": "application/x-www-form-urlencoded"}, True),
        ("POST", {"content-type": "multipart/form-data; boundary=x"}, True),
        ("PATCH", {"content-type": "text/plain"}, True),
        ("POST", {"content-length": "12"}, True),  # a body of no declared type
        ("GET", {"content-type": "text/plain"}, False),
    ],
)
def test_writes_take_only_json(method: str, headers: dict[str, str], refused: bool) -> None:
    if refused:
        with pytest.raises(UnsupportedMediaType):
            require_json_write(_request(method, headers))
    else:
        require_json_write(_request(method, headers))


@pytest.mark.parametrize(
    ("caller", "names", "refused"),
    [
        (CHIEF, ["towns/a"], False),
        (CHIEF, ["towns/a/villages/v"], False),
        (CHIEF, ["towns/b"], True),
        (CHIEF, ["towns/ab"], True),  # not a prefix match
        (CHIEF, ["towns/b/ledgerEntries/3"], True),
        (CHIEF, ["persons/p1"], False),  # the service decides
        (
            Caller("a/v", Role.VILLAGE_CONTACT, ScopeLevel.VILLAGE, "towns/a/villages/v"),
            ["towns/a"],
            False,
        ),
        (
            Caller("a/v", Role.VILLAGE_CONTACT, ScopeLevel.VILLAGE, "towns/a/villages/v"),
            ["towns/a/villages/w"],
            True,
        ),
        (Caller("a/c", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY, ""), ["towns/b"], False),
    ],
)
def test_a_path_in_another_town_or_village_is_refused_at_the_gateway(
    caller: Caller, names: list[str], refused: bool
) -> None:
    if refused:
        with pytest.raises(OutOfScope):
            require_path_in_scope(caller, names)
    else:
        require_path_in_scope(caller, names)


def test_the_openapi_document_shows_each_routes_roles() -> None:
    app = create_app(Settings(gateway_dev_auth=False))
    request = Request({"type": "http", "method": "GET", "headers": []})
    response = asyncio.run(app.state.gateway.openapi(request))
    paths = json.loads(bytes(response.body))["paths"]
    operations = [op for path in paths.values() for op in path.values()]
    public = {"Gateway_Healthz", "Auth_Login", "Auth_Refresh", "Auth_Logout"}
    without = [
        op["operationId"]
        for op in operations
        if op["operationId"] not in public and not op.get("x-sgz-roles")
    ]
    assert without == []
    by_id = {op["operationId"]: op for op in operations}
    assert by_id["RosterService_CreateTown"]["x-sgz-roles"] == ["city_civil_affairs", "system"]
    assert by_id["Accounts_Create"]["x-sgz-roles"] == ["city_civil_affairs"]
    assert "x-sgz-roles" not in by_id["Auth_Login"]


WORKER = Caller("accounts/w", Role.STATION_WORKER, ScopeLevel.CASELOAD, "workers/w1")


@pytest.mark.parametrize(
    ("names", "town", "refused"),
    [
        (["towns/a"], "towns/a", False),
        (["towns/a/villages/v"], "towns/a", False),
        (["towns/b"], "towns/a", True),
        (["towns/b/villages/v"], "towns/a", True),
        (["towns/b"], None, False),  # HR could not say: the service decides
        (["persons/p"], "towns/a", False),
    ],
)
def test_a_worker_is_refused_a_path_in_another_town_than_their_caseloads(
    names: list[str], town: str | None, refused: bool
) -> None:
    if refused:
        with pytest.raises(OutOfScope):
            require_path_in_scope(WORKER, names, caseload_town=town)
    else:
        require_path_in_scope(WORKER, names, caseload_town=town)
