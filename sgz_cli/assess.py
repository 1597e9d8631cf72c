"""`sgz assess`: a town's performance pay for a period (rules A2-A4) through the gateway: the
draft (or a what-if) as a table, JSON or an xlsx with Chinese headers; `--all` for every town
of the city with a progress bar; `approve` for the chief."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from deploy import health
from sgz_cli.login import TokenAuth
from sgz_runtime.config import settings
from sgz_runtime.i18n import Text, tr

app = typer.Typer(
    help=tr("Assessment and performance pay (考核与绩效工资).").render(), no_args_is_help=True
)

#: Component enum names, in the order columns show them.
COMPONENTS = (
    ("COMPONENT_COVERAGE", tr("visits covered")),
    ("COMPONENT_CONTACT_IMMEDIATE", tr("immediate contact on time")),
    ("COMPONENT_CONTACT_PROMPT", tr("prompt contact on time")),
    ("COMPONENT_ACTION", tr("action on time")),
    ("COMPONENT_LEDGER", tr("ledger complete")),
)


def gateway_client(gateway: str | None) -> httpx.Client:
    """A client of the gateway carrying the session `sgz login` kept, when there is one."""
    url = (
        gateway
        or os.environ.get("SGZ_GATEWAY_URL")
        or health.gateway_url(settings().host, settings().gateway_port)
    )
    return httpx.Client(base_url=url, timeout=300.0, auth=TokenAuth())


STATES = {
    "PAY_RUN_STATE_DRAFT": tr("draft, for review"),
    "PAY_RUN_STATE_APPROVED": tr("approved"),
    "PAY_RUN_STATE_PREVIEW": tr("what-if"),
}


class GatewayError(Exception):
    """The gateway refused or could not be reached; the message says why."""


def _call(client: httpx.Client, method: str, path: str, body: Any = None, **params: Any) -> Any:
    try:
        answer = client.request(method, path, json=body, params=params or None)
    except httpx.HTTPError as exc:
        raise GatewayError(str(tr("the gateway is unreachable ({error})", error=exc))) from None
    if answer.status_code >= 400:
        try:
            error = answer.json()["error"]
            message = f"{error.get('status', answer.status_code)}: {error.get('message', '')}"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {answer.status_code}"
        raise GatewayError(message)
    return answer.json()


def _fen(money: dict[str, Any] | None) -> int:
    return int((money or {}).get("fen", 0))


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _number(value: Any) -> float:
    """ProtoJSON doubles: numbers, or "NaN"/"Infinity" as strings."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def headers() -> list[Text]:
    out: list[Text] = [tr("town"), tr("worker"), tr("name")]
    for _, label in COMPONENTS:
        out.append(label)
    out += [
        tr("manual score"),
        tr("score"),
        tr("withheld (yuan)"),
        tr("paid (yuan)"),
    ]
    return out


def rows(run: dict[str, Any]) -> Iterator[list[Any]]:
    """One row per worker: each metric as `numerator/denominator (estimate)`."""
    town = run.get("name", "").split("/payRuns/")[0]
    for line in run.get("lines", []):
        metrics = {m.get("component"): m for m in line.get("metrics", [])}
        cells: list[Any] = [town, line.get("worker", ""), line.get("displayName", "")]
        for component, _label in COMPONENTS:
            m = metrics.get(component, {})
            estimate = _number(m.get("estimate"))
            shown = "-" if math.isnan(estimate) else f"{estimate:.3f}"
            cells.append(f"{int(m.get('numerator', 0))}/{int(m.get('denominator', 0))} ({shown})")
        manual = _number(line.get("manualScore", 0))
        cells += [
            f"{manual:.2f}" if line.get("manualReason") else "-",
            f"{_number(line.get('score', 0)):.2f}",
            _yuan(_fen(line.get("withheld"))),
            _yuan(_fen(line.get("paid"))),
        ]
        yield cells


def pay_run(
    client: httpx.Client,
    town: str,
    period: str,
    *,
    preview: bool,
    rule: str | None = None,
) -> dict[str, Any]:
    """A saved draft, or a what-if (preview) under another payout rule."""
    if preview or rule:
        body: dict[str, Any] = {"period": period}
        if rule:
            body["payoutRule"] = f"PAYOUT_RULE_{rule.upper()}"
        return dict(_call(client, "POST", f"/v1/{town}/payRuns:preview", body))
    return dict(_call(client, "POST", f"/v1/{town}/payRuns", {"period": period}))


#: Towns per BatchCreatePayRuns call: each call is one transaction on the server.
BATCH = 200


def pay_runs(
    client: httpx.Client, towns: list[str], period: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Drafts for many towns in one call; the towns refused on their own, with their rule."""
    answer = _call(
        client, "POST", "/v1/towns/-/payRuns:batchCreate", {"period": period, "towns": towns}
    )
    refused = [
        f"{r.get('town', '')}: {r.get('rule', '')}: {r.get('message', '')}"
        for r in answer.get("refused", [])
    ]
    return list(answer.get("payRuns", [])), refused


def city_towns(client: httpx.Client) -> list[str]:
    towns: list[str] = []
    token = ""
    while True:
        page = _call(client, "GET", "/v1/towns", pageSize=1000, pageToken=token)
        towns += [t["name"] for t in page.get("towns", [])]
        token = page.get("nextPageToken", "")
        if not token:
            return towns


def write_xlsx(runs: list[dict[str, Any]], path: Path) -> int:
    """One sheet, Chinese headers (the catalog's zh_CN), one row per worker; amounts in yuan
    as numbers with two decimals."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("绩效工资")
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "0.00"})
    for col, header in enumerate(headers()):
        sheet.write(0, col, header.render("zh-CN"), bold)
    count = 0
    for run in runs:
        for cells in rows(run):
            count += 1
            for col, cell in enumerate(cells):
                if col >= len(cells) - 2:
                    sheet.write_number(count, col, float(cell), money)
                else:
                    sheet.write(count, col, cell)
    book.close()
    return count


def _table(runs: list[dict[str, Any]]) -> Table:
    table = Table(show_lines=False)
    for header in headers():
        table.add_column(header.render())
    for run in runs:
        for cells in rows(run):
            table.add_row(*[str(c) for c in cells])
    return table


def _town(value: str) -> str:
    return value if value.startswith("towns/") else f"towns/{value}"


@app.command(
    "pay",
    help=tr(
        "Compute a town's performance pay for a period (a saved draft for review, or a what-if "
        "with --preview/--rule) and show every worker's metrics, score, withheld and paid."
    ).render(),
)
def pay(
    period: Annotated[
        str, typer.Option("--period", help=tr("2026H1, 2026H2, 2026-03 or 2026.").render())
    ],
    town: Annotated[
        str | None, typer.Option("--town", help=tr("The town, towns/ID or its id.").render())
    ] = None,
    every_town: Annotated[
        bool,
        typer.Option("--all", help=tr("Every town of the city, with a progress bar.").render()),
    ] = False,
    preview: Annotated[
        bool,
        typer.Option("--preview", help=tr("A what-if: compute without saving a draft.").render()),
    ] = False,
    rule: Annotated[
        str | None,
        typer.Option("--rule", help=tr("What-if under another rule: individual or pool.").render()),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=tr("Print the runs as JSON.").render())
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help=tr("Also write an .xlsx file.").render())
    ] = None,
    gateway: Annotated[
        str | None,
        typer.Option(
            envvar="SGZ_GATEWAY_URL",
            help=tr("The gateway's URL (default: the local one).").render(),
        ),
    ] = None,
) -> None:
    """Compute a town's performance pay for a period (a saved draft for review, or a what-if
    with --preview/--rule) and show every worker's metrics, score, withheld and paid."""
    console = Console()
    if rule is not None and rule not in ("individual", "pool"):
        raise typer.BadParameter(tr("choose individual or pool").render(), param_hint="--rule")
    if (town is None) == (not every_town):
        raise typer.BadParameter(tr("give --town or --all").render(), param_hint="--town")
    runs: list[dict[str, Any]] = []
    refused: list[str] = []
    with gateway_client(gateway) as client:
        try:
            if town is not None:
                runs.append(pay_run(client, _town(town), period, preview=preview, rule=rule))
            else:
                towns = city_towns(client)
                with Progress(console=Console(stderr=True), transient=True) as progress:
                    task = progress.add_task(tr("pay runs").render(), total=len(towns))
                    for start in range(0, len(towns), BATCH):
                        chunk = towns[start : start + BATCH]
                        if preview or rule:
                            for name in chunk:
                                try:
                                    runs.append(
                                        pay_run(client, name, period, preview=preview, rule=rule)
                                    )
                                except GatewayError as exc:
                                    refused.append(f"{name}: {exc}")
                        else:
                            made, left_out = pay_runs(client, chunk, period)
                            runs += made
                            refused += left_out
                        progress.advance(task, len(chunk))
        except GatewayError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(runs, ensure_ascii=False, indent=2))
    else:
        console.print(_table(runs))
        for run in runs:
            console.print(
                tr(
                    "{run}: {state}, withheld {withheld} yuan, paid {paid} yuan",
                    run=run.get("name") or tr("what-if (not saved)"),
                    state=STATES.get(run.get("state", ""), tr("unknown")),
                    withheld=_yuan(_fen(run.get("totalWithheld"))),
                    paid=_yuan(_fen(run.get("totalPaid"))),
                ).render()
            )
        for line in refused:
            console.print(f"[yellow]{line}[/]")
    if output is not None:
        count = write_xlsx(runs, output)
        console.print(tr("{count} rows written to {path}", count=count, path=output).render())


@app.command(
    "approve",
    help=tr("Approve a draft pay run (station chief): finance records each payment once.").render(),
)
def approve(
    run: Annotated[str, typer.Argument(help=tr("The pay run, towns/ID/payRuns/ID.").render())],
    request_id: Annotated[
        str | None,
        typer.Option(help=tr("Retry key; derived from the run when not given.").render()),
    ] = None,
    gateway: Annotated[
        str | None,
        typer.Option(
            envvar="SGZ_GATEWAY_URL",
            help=tr("The gateway's URL (default: the local one).").render(),
        ),
    ] = None,
) -> None:
    """Approve a draft pay run (station chief): finance records each payment once."""
    body = {"requestId": request_id or f"cli-{run.rsplit('/', 1)[-1]}"}
    with gateway_client(gateway) as client:
        try:
            done = _call(client, "POST", f"/v1/{run}:approve", body)
        except GatewayError as exc:
            Console().print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
    typer.echo(
        tr(
            "{run} approved by {who}: paid {paid} yuan",
            run=done.get("name", run),
            who=done.get("approvedBy", ""),
            paid=_yuan(_fen(done.get("totalPaid"))),
        ).render()
    )
