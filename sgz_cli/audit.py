"""`sgz audit list`: the audit trails (who read which personal data, why, when) the roster and
the visit service keep, for the auditor, with whether each keyed chain holds (docs/privacy.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from sgz_cli import login
from sgz_runtime.china_time import CST
from sgz_runtime.i18n import tr

app = typer.Typer(
    help=tr("The audit trails of reads of personal data (auditors).").render(),
    no_args_is_help=True,
)

#: The services that keep a trail, and where the gateway lists it.
TRAILS = {"roster": "/v1/roster/auditEntries", "visit": "/v1/visit/auditEntries"}
#: Entries asked for per page.
PAGE = 500
HEADERS = (
    tr("#"),
    tr("time (CST)"),
    tr("reader"),
    tr("role"),
    tr("action"),
    tr("resource"),
    tr("purpose"),
)


class Refused(Exception):
    """The gateway refused or could not be reached; the message says why."""


def entries(
    client: httpx.Client, service: str, params: dict[str, str], limit: int
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Up to limit entries of one service's trail, oldest first, and its verification."""
    found: list[dict[str, Any]] = []
    verification: dict[str, Any] = {}
    for page in _pages(client, TRAILS[service], params):
        verification = verification or dict(page.get("verification", {}))
        found += list(page.get("auditEntries", []))
        if len(found) >= limit:
            break
    return found[:limit], verification


def _pages(client: httpx.Client, path: str, params: dict[str, str]) -> Iterator[dict[str, Any]]:
    token = ""
    while True:
        query = {**params, "pageSize": str(PAGE), **({"pageToken": token} if token else {})}
        try:
            answer = client.get(path, params=query)
        except httpx.HTTPError as exc:
            message = tr("the gateway cannot be reached: {error}", error=str(exc))
            raise Refused(message.render()) from None
        if answer.status_code != 200:
            raise Refused(login._error(answer))
        page: dict[str, Any] = answer.json()
        yield page
        token = str(page.get("nextPageToken", ""))
        if not token:
            return


def _time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return f"{moment.astimezone(CST):%Y-%m-%d %H:%M:%S}"


@app.command(
    "list",
    help=tr(
        "List the audit trail of the roster (full ID numbers read) and of the visit service "
        "(health findings read from outside a caseload), and check that each chain holds. "
        "Exit 2 when a chain does not hold."
    ).render(),
)
def list_entries(
    service: Annotated[
        str, typer.Option(help=tr("roster, visit, or all (default).").render())
    ] = "all",
    resource: Annotated[
        str, typer.Option(help=tr("Only reads of this resource, e.g. persons/7.").render())
    ] = "",
    actor: Annotated[
        str, typer.Option(help=tr("Only reads by this user, e.g. users/wang.").render())
    ] = "",
    limit: Annotated[
        int, typer.Option(min=1, max=100_000, help=tr("The most entries shown.").render())
    ] = 200,
    gateway: login.GatewayOption = None,
) -> None:
    console = Console()
    services = list(TRAILS) if service == "all" else [service]
    if any(s not in TRAILS for s in services):
        raise typer.BadParameter(
            tr("must be roster, visit or all").render(), param_hint="--service"
        )
    params = {k: v for k, v in (("resource", resource), ("actor", actor)) if v}
    broken = False
    with login.client(gateway) as client:
        for name in services:
            try:
                found, verification = entries(client, name, params, limit)
            except Refused as exc:
                console.print(f"[red]{name}: {exc}[/]")
                raise typer.Exit(1) from None
            table = Table(title=tr("Audit trail of {service}", service=name).render())
            for header in HEADERS:
                table.add_column(header.render())
            for e in found:
                table.add_row(
                    str(e.get("sequence", "")),
                    _time(str(e.get("createTime", ""))),
                    str(e.get("actor", "")),
                    str(e.get("role", "")),
                    str(e.get("action", "")),
                    str(e.get("resource", "")),
                    str(e.get("purpose", "")),
                )
            console.print(table)
            if verification.get("holds"):
                line = tr(
                    "{service}: the chain holds ({count} entries checked)",
                    service=name,
                    count=int(verification.get("entriesChecked", 0)),
                )
                console.print(f"[green]{line.render()}[/]")
            else:
                broken = True
                line = tr(
                    "{service}: the chain does not hold from entry {entry}: {problem}",
                    service=name,
                    entry=int(verification.get("firstBrokenSequence", 0)),
                    problem=str(verification.get("problem", "")),
                )
                console.print(f"[red]{line.render()}[/]")
    if broken:
        raise typer.Exit(2)
