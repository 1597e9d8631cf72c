"""The HTTP face of accounts: `/v1/auth:login`, `:refresh`, `:logout`, `/v1/auth/me`, and the
administration of accounts under `/v1/accounts` (the city civil-affairs bureau only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.accounts import service as use_cases
from gateway.accounts.domain import Account
from gateway.accounts.service import AccountService
from gateway.authorization import PERSON_ROLES, Access, NativeRoute, json_object
from sgz_runtime.errors import Unavailable
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role

ADMIN = Access(frozenset({Role.CITY_CIVIL_AFFAIRS}))
ADMIN_READ = Access(frozenset({Role.CITY_CIVIL_AFFAIRS}), read_only=True)
ANY_ACCOUNT = Access(PERSON_ROLES, read_only=True)


def account_json(account: Account) -> dict[str, Any]:
    """The account as the console and the CLI read it (HELPERS.md's login contract)."""
    return {
        "name": account.name,
        "username": account.username,
        "displayName": account.display_name,
        "role": account.role.value,
        "scopeLevel": account.scope_level.value,
        "scope": account.scope,
    }


def admin_account_json(account: Account) -> dict[str, Any]:
    return {
        **account_json(account),
        "disabled": account.disabled,
        "createTime": account.create_time.isoformat().replace("+00:00", "Z"),
    }


def session_json(session: use_cases.Session) -> dict[str, Any]:
    return {
        "accessToken": session.access_token,
        "refreshToken": session.refresh_token,
        "expiresIn": session.expires_in,
        "account": account_json(session.account),
    }


def _caller(caller: Caller | None) -> Caller:
    assert caller is not None  # routes with an Access always have one
    return caller


def account_routes(accounts: Callable[[], AccountService | None]) -> list[NativeRoute]:
    def service() -> AccountService:
        found = accounts()
        if found is None:
            raise Unavailable(tr("the accounts database is not open yet; try again"))
        return found

    async def login(request: Request, _: Caller | None) -> Response:
        body = await json_object(
            request, {"username": str, "password": str}, ("username", "password")
        )
        address = request.client.host if request.client else "unknown"
        cmd = use_cases.Login(username=body["username"], password=body["password"], address=address)
        return JSONResponse(session_json(await run_in_threadpool(service().login, cmd)))

    async def refresh(request: Request, _: Caller | None) -> Response:
        body = await json_object(request, {"refreshToken": str}, ("refreshToken",))
        cmd = use_cases.Refresh(refresh_token=body["refreshToken"])
        return JSONResponse(session_json(await run_in_threadpool(service().refresh, cmd)))

    async def logout(request: Request, _: Caller | None) -> Response:
        body = await json_object(request, {"refreshToken": str}, ("refreshToken",))
        await run_in_threadpool(
            service().logout, use_cases.Logout(refresh_token=body["refreshToken"])
        )
        return JSONResponse({})

    async def me(request: Request, caller: Caller | None) -> Response:
        who = _caller(caller)
        if not who.subject.startswith("accounts/"):  # the development caller
            return JSONResponse(
                {
                    "name": who.subject,
                    "username": who.subject.rsplit("/", 1)[-1],
                    "displayName": who.subject,
                    "role": who.role.value,
                    "scopeLevel": who.scope_level.value,
                    "scope": who.scope,
                }
            )
        username = who.subject.removeprefix("accounts/")
        return JSONResponse(account_json(await run_in_threadpool(service().get, who, username)))

    async def list_accounts(request: Request, caller: Caller | None) -> Response:
        found = await run_in_threadpool(service().list, _caller(caller))
        return JSONResponse({"accounts": [admin_account_json(a) for a in found]})

    async def get_account(request: Request, caller: Caller | None) -> Response:
        username = request.path_params["account"]
        found = await run_in_threadpool(service().get, _caller(caller), username)
        return JSONResponse(admin_account_json(found))

    async def create_account(request: Request, caller: Caller | None) -> Response:
        body = await json_object(
            request,
            {
                "username": str,
                "displayName": str,
                "role": str,
                "scopeLevel": str,
                "scope": str,
                "password": str,
            },
            ("username", "displayName", "role", "scopeLevel"),
        )
        cmd = use_cases.CreateAccount(
            actor=_caller(caller),
            username=body["username"],
            display_name=body["displayName"],
            role=body["role"],
            scope_level=body["scopeLevel"],
            scope=body.get("scope", ""),
            password=body.get("password"),
        )
        account, password = await run_in_threadpool(service().create, cmd)
        result = {"account": admin_account_json(account)}
        if "password" not in body:
            result["initialPassword"] = password  # type: ignore[assignment]
        return JSONResponse(result)

    def set_disabled(disabled: bool) -> Any:
        async def endpoint(request: Request, caller: Caller | None) -> Response:
            await json_object(request, {}, ())
            cmd = use_cases.SetDisabled(
                actor=_caller(caller), username=request.path_params["account"], disabled=disabled
            )
            return JSONResponse(
                admin_account_json(await run_in_threadpool(service().set_disabled, cmd))
            )

        return endpoint

    async def reset_password(request: Request, caller: Caller | None) -> Response:
        body = await json_object(request, {"password": str}, ())
        cmd = use_cases.ResetPassword(
            actor=_caller(caller),
            username=request.path_params["account"],
            password=body.get("password"),
        )
        account, password = await run_in_threadpool(service().reset_password, cmd)
        result: dict[str, Any] = {"account": admin_account_json(account)}
        if "password" not in body:
            result["initialPassword"] = password
        return JSONResponse(result)

    return [
        NativeRoute(
            "POST", "/v1/auth:login", login, None, _op("Auth_Login", "Log in", _LOGIN, _SESSION)
        ),
        NativeRoute(
            "POST",
            "/v1/auth:refresh",
            refresh,
            None,
            _op(
                "Auth_Refresh",
                "A new session for a refresh token (the old one is revoked)",
                _REFRESH,
                _SESSION,
            ),
        ),
        NativeRoute(
            "POST",
            "/v1/auth:logout",
            logout,
            None,
            _op("Auth_Logout", "Revoke a refresh token", _REFRESH, {"type": "object"}),
        ),
        NativeRoute(
            "GET",
            "/v1/auth/me",
            me,
            ANY_ACCOUNT,
            _op("Auth_Me", "The account of the access token", None, _ACCOUNT),
        ),
        NativeRoute(
            "POST",
            "/v1/accounts/{account}:disable",
            set_disabled(True),
            ADMIN,
            _op(
                "Accounts_Disable",
                "Disable an account (accounts are never deleted); its sessions end",
                _EMPTY,
                _ADMIN_ACCOUNT,
                path=True,
            ),
        ),
        NativeRoute(
            "POST",
            "/v1/accounts/{account}:enable",
            set_disabled(False),
            ADMIN,
            _op("Accounts_Enable", "Enable a disabled account", _EMPTY, _ADMIN_ACCOUNT, path=True),
        ),
        NativeRoute(
            "POST",
            "/v1/accounts/{account}:resetPassword",
            reset_password,
            ADMIN,
            _op(
                "Accounts_ResetPassword",
                "Set a new password (a random one when none is given); the account's sessions end",
                _RESET,
                _CREATED,
                path=True,
            ),
        ),
        NativeRoute(
            "GET",
            "/v1/accounts/{account}",
            get_account,
            ADMIN_READ,
            _op("Accounts_Get", "Get an account", None, _ADMIN_ACCOUNT, path=True),
        ),
        NativeRoute(
            "GET",
            "/v1/accounts",
            list_accounts,
            ADMIN_READ,
            _op(
                "Accounts_List",
                "List the accounts",
                None,
                {
                    "type": "object",
                    "required": ["accounts"],
                    "properties": {"accounts": {"type": "array", "items": _ADMIN_ACCOUNT}},
                },
            ),
        ),
        NativeRoute(
            "POST",
            "/v1/accounts",
            create_account,
            ADMIN,
            _op(
                "Accounts_Create",
                "Create an account (a random password is returned once when none is given)",
                _CREATE,
                _CREATED,
            ),
        ),
    ]


# --- OpenAPI ----------------------------------------------------------------------------------

_STR = {"type": "string"}
_ACCOUNT: dict[str, Any] = {
    "type": "object",
    "required": ["name", "username", "displayName", "role", "scopeLevel", "scope"],
    "properties": {
        "name": {"type": "string", "example": "accounts/wang.fang"},
        "username": _STR,
        "displayName": _STR,
        "role": {"type": "string", "enum": [r.value for r in Role if r is not Role.SYSTEM]},
        "scopeLevel": {"type": "string", "enum": ["city", "town", "village", "caseload"]},
        "scope": {
            "type": "string",
            "description": "towns/{t}, towns/{t}/villages/{v}, workers/{w} or empty (city)",
        },
    },
}
_ADMIN_ACCOUNT: dict[str, Any] = {
    **_ACCOUNT,
    "required": [*_ACCOUNT["required"], "disabled", "createTime"],
    "properties": {
        **_ACCOUNT["properties"],
        "disabled": {"type": "boolean"},
        "createTime": {"type": "string", "format": "date-time"},
    },
}
_SESSION: dict[str, Any] = {
    "type": "object",
    "required": ["accessToken", "refreshToken", "expiresIn", "account"],
    "properties": {
        "accessToken": _STR,
        "refreshToken": _STR,
        "expiresIn": {"type": "integer", "description": "Seconds the access token lives."},
        "account": _ACCOUNT,
    },
}
_CREATED: dict[str, Any] = {
    "type": "object",
    "required": ["account"],
    "properties": {"account": _ADMIN_ACCOUNT, "initialPassword": _STR},
}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


_LOGIN = _body({"username": _STR, "password": _STR}, ["username", "password"])
_REFRESH = _body({"refreshToken": _STR}, ["refreshToken"])
_EMPTY = _body({}, [])
_RESET = _body({"password": _STR}, [])
_CREATE = _body(
    {
        "username": _STR,
        "displayName": _STR,
        "role": _STR,
        "scopeLevel": _STR,
        "scope": _STR,
        "password": _STR,
    },
    ["username", "displayName", "role", "scopeLevel"],
)
_ERROR = {"$ref": "#/components/responses/Error"}


def _op(
    operation_id: str,
    summary: str,
    body: dict[str, Any] | None,
    response: dict[str, Any],
    *,
    path: bool = False,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "tags": ["Accounts"],
        "summary": summary,
        "parameters": [],
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": response}}},
            **{s: _ERROR for s in ("400", "401", "403", "404", "409", "415", "429", "503")},
            "default": _ERROR,
        },
    }
    if path:
        operation["parameters"].append(
            {
                "name": "account",
                "in": "path",
                "required": True,
                "schema": _STR,
                "description": "The username.",
            }
        )
    if body is not None:
        operation["requestBody"] = {
            "required": bool(body.get("required")),
            "content": {"application/json": {"schema": body}},
        }
    return operation
