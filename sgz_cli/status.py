"""`sgz status`: asks the gateway whether every service is serving."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deploy import health
from sgz_runtime.config import settings


def status(
    gateway: Annotated[
        str | None,
        typer.Option(
            envvar="SGZ_GATEWAY_URL",
            help="The gateway's URL (default: http://127.0.0.1:SGZ_GATEWAY_PORT).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the gateway.")] = 5.0,
) -> None:
    """Show each service and whether it serves; exit 0 when all do, 1 otherwise."""
    console = Console()
    url = gateway or health.gateway_url(settings().host, settings().gateway_port)
    try:
        found = health.fetch(url, timeout_s=timeout)
    except health.GatewayUnreachable as exc:
        console.print(f"[red]The gateway is unreachable at {url}[/] ({exc}).")
        console.print("Is sgz running? Start it with `sgz up`, or pass --gateway URL.")
        raise typer.Exit(1) from None
    table = Table(title=f"sgz at {url}")
    table.add_column("service")
    table.add_column("status")
    table.add_column("address")
    table.add_column("error")
    for service in found.services:
        style = "green" if service.serving else "red"
        table.add_row(
            service.name, Text(service.status, style=style), service.address, service.error
        )
    console.print(table)
    if found.serving:
        console.print("[green]All services are serving.[/]")
        raise typer.Exit(0)
    down = [s.name for s in found.services if not s.serving] or ["the gateway"]
    console.print(f"[red]Not serving: {', '.join(down)}.[/]")
    raise typer.Exit(1)
