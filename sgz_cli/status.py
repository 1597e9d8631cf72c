"""`sgz status`: asks the gateway whether every service is serving."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deploy import health
from sgz_runtime.config import settings
from sgz_runtime.i18n import tr


def status(
    gateway: Annotated[
        str | None,
        typer.Option(
            envvar="SGZ_GATEWAY_URL",
            help=tr("The gateway's URL (default: http://127.0.0.1:SGZ_GATEWAY_PORT).").render(),
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help=tr("Seconds to wait for the gateway.").render())
    ] = 5.0,
) -> None:
    console = Console()
    url = gateway or health.gateway_url(settings().host, settings().gateway_port)
    try:
        found = health.fetch(url, timeout_s=timeout)
    except health.GatewayUnreachable as exc:
        console.print(
            "[red]" + tr("The gateway is unreachable at {url}", url=url).render() + f"[/] ({exc})."
        )
        console.print(tr("Is sgz running? Start it with `sgz up`, or pass --gateway URL.").render())
        raise typer.Exit(1) from None
    table = Table(title=tr("sgz at {url}", url=url).render())
    for heading in (tr("service"), tr("status"), tr("address"), tr("error")):
        table.add_column(heading.render())
    for service in found.services:
        style = "green" if service.serving else "red"
        table.add_row(
            service.name, Text(service.status, style=style), service.address, service.error
        )
    console.print(table)
    if found.serving:
        console.print("[green]" + tr("All services are serving.").render() + "[/]")
        raise typer.Exit(0)
    down = [s.name for s in found.services if not s.serving] or [tr("the gateway").render()]
    console.print("[red]" + tr("Not serving: {names}.", names=", ".join(down)).render() + "[/]")
    raise typer.Exit(1)
