"""`sgz up`: runs the five services and the gateway on this machine until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from deploy import stack
from sgz_runtime.config import Settings
from sgz_runtime.i18n import tr


def _port(program: str) -> Any:
    return typer.Option(
        f"--{program}-port",
        help=tr(
            "Port of {program} (default: {variable}).",
            program=program,
            variable="SGZ_" + program.upper() + "_PORT",
        ).render(),
    )


def up(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help=tr(
                "Data directory: databases, logs, key (default: SGZ_DATA_DIR or ./var)."
            ).render()
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(help=tr("Address every program listens on (default: SGZ_HOST).").render()),
    ] = None,
    gateway_port: Annotated[int | None, _port("gateway")] = None,
    roster_port: Annotated[int | None, _port("roster")] = None,
    hr_port: Annotated[int | None, _port("hr")] = None,
    visit_port: Annotated[int | None, _port("visit")] = None,
    finance_port: Annotated[int | None, _port("finance")] = None,
    assessment_port: Annotated[int | None, _port("assessment")] = None,
    timeout: Annotated[
        float, typer.Option(help=tr("Seconds the stack gets to become healthy.").render(), min=1)
    ] = stack.DEFAULT_TIMEOUT_S,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo/--no-demo",
            help=tr(
                "On a new data directory, load the demo city and print one account per role "
                "(--no-demo for a real deployment)."
            ).render(),
        ),
    ] = True,
) -> None:
    given: dict[str, Any] = {
        "data_dir": data_dir,
        "host": host,
        "gateway_port": gateway_port,
        "roster_port": roster_port,
        "hr_port": hr_port,
        "visit_port": visit_port,
        "finance_port": finance_port,
        "assessment_port": assessment_port,
    }
    overrides = {name: value for name, value in given.items() if value is not None}
    raise typer.Exit(stack.run(Settings(**overrides), timeout_s=timeout, demo=demo))
