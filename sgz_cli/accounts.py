"""`sgz accounts ...`: the first admin (`bootstrap`, once, on the gateway's machine), then
accounts created, listed, disabled, enabled and given new passwords through the gateway by an
admin logged in with `sgz login`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from gateway.accounts.app import open_accounts
from gateway.accounts.service import Bootstrap
from sgz_cli import login
from sgz_runtime.config import Settings
from sgz_runtime.errors import DomainError
from sgz_runtime.i18n import tr

app = typer.Typer(
    help=tr("Accounts: who may use sgz, with which role and scope.").render(), no_args_is_help=True
)


Username = Annotated[str, typer.Argument(help=tr("The account's username.").render())]


def _call(gateway: str | None, method: str, path: str, body: Any = None) -> Any:
    with login.client(gateway, timeout=30.0) as client:
        try:
            answer = client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            typer.echo(tr("the gateway is unreachable ({error})", error=exc).render(), err=True)
            raise typer.Exit(1) from None
    if answer.status_code != 200:
        typer.echo(tr("refused: {error}", error=login._error(answer)).render(), err=True)
        raise typer.Exit(1)
    return answer.json()


def _show_password(username: str, password: str) -> None:
    typer.echo(
        tr(
            "password of {username} (shown once; hand it over in person): {password}",
            username=username,
            password=password,
        ).render()
    )


@app.command(
    help=tr(
        "Create the first admin (city civil affairs, city-wide), once: refused when any account"
        " exists. Run it on the gateway's machine, with access to its data directory."
    ).render()
)
def bootstrap(
    username: Annotated[
        str, typer.Option(help=tr("The first admin's username.").render())
    ] = "admin",
    display_name: Annotated[
        str, typer.Option(help=tr("The first admin's name.").render())
    ] = "市民政局管理员",
    data_dir: Annotated[
        Path | None,
        typer.Option(help=tr("The gateway's data directory (default: SGZ_DATA_DIR).").render()),
    ] = None,
) -> None:
    settings = Settings(data_dir=data_dir) if data_dir else Settings()
    accounts = open_accounts(settings)
    try:
        account, password = accounts.bootstrap(
            Bootstrap(username=username, display_name=display_name)
        )
    except DomainError as exc:
        typer.echo(exc.text.render(), err=True)
        raise typer.Exit(1) from None
    finally:
        accounts.store.engine.dispose()
    typer.echo(tr("created the first admin {name}", name=account.name).render())
    _show_password(account.username, password)


@app.command(
    help=tr("Create an account (admins only); prints its random first password once.").render()
)
def create(
    username: Annotated[
        str, typer.Argument(help=tr("Lower-case letters, digits, '.', '_', '-'.").render())
    ],
    role: Annotated[
        str, typer.Option(help=tr("station_worker, station_chief, town_head, ...").render())
    ],
    display_name: Annotated[str, typer.Option(help=tr("The person's name.").render())],
    scope: Annotated[
        str,
        typer.Option(
            help=tr(
                "towns/{{t}} (town roles), towns/{{t}}/villages/{{v}} (village contact), "
                "workers/{{w}} (station worker), empty for the city."
            ).render()
        ),
    ] = "",
    gateway: login.GatewayOption = None,
) -> None:
    level = _level_of(scope)
    created = _call(
        gateway,
        "POST",
        "/v1/accounts",
        {
            "username": username,
            "displayName": display_name,
            "role": role,
            "scopeLevel": level,
            "scope": scope,
        },
    )
    typer.echo(tr("created {name}", name=created["account"]["name"]).render())
    _show_password(username, created["initialPassword"])


def _level_of(scope: str) -> str:
    if not scope:
        return "city"
    if scope.startswith("workers/"):
        return "caseload"
    return "village" if "/villages/" in scope else "town"


@app.command("list", help=tr("List every account (admins only).").render())
def list_accounts(gateway: login.GatewayOption = None) -> None:
    found = _call(gateway, "GET", "/v1/accounts")["accounts"]
    table = Table()
    for column in (tr("username"), tr("name"), tr("role"), tr("scope"), tr("disabled")):
        table.add_column(column.render())
    yes, no = tr("yes").render(), tr("no").render()
    for a in found:
        table.add_row(
            a["username"],
            a["displayName"],
            a["role"],
            a["scope"] or tr("city").render(),
            yes if a["disabled"] else no,
        )
    Console().print(table)


@app.command(help=tr("Disable an account (accounts are never deleted); its sessions end.").render())
def disable(username: Username, gateway: login.GatewayOption = None) -> None:
    _call(gateway, "POST", f"/v1/accounts/{username}:disable")
    typer.echo(tr("disabled accounts/{username}", username=username).render())


@app.command(help=tr("Enable a disabled account.").render())
def enable(username: Username, gateway: login.GatewayOption = None) -> None:
    _call(gateway, "POST", f"/v1/accounts/{username}:enable")
    typer.echo(tr("enabled accounts/{username}", username=username).render())


@app.command(
    "reset-password", help=tr("Give an account a new random password; its sessions end.").render()
)
def reset_password(username: Username, gateway: login.GatewayOption = None) -> None:
    answer = _call(gateway, "POST", f"/v1/accounts/{username}:resetPassword")
    _show_password(username, answer["initialPassword"])
