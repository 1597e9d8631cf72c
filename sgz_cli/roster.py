"""`sgz roster import FILE` and `sgz roster export`: a town's roster file in and out, through
the gateway over HTTP (see docs/roster-import.md)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from google.protobuf import json_format
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sgz.roster.v1 import roster_pb2 as pb

from deploy import health
from sgz_cli.login import TokenAuth
from sgz_cli.roster_files import COLUMNS, HEADER_OF, FileProblem, count_rows, read_rows
from sgz_cli.roster_import import ImportReport, run_import
from sgz_runtime.config import settings

app = typer.Typer(help="The roster: import and export a town's roster file.", no_args_is_help=True)

#: Problems shown on the terminal; `--report FILE` writes them all.
_SHOWN = 50

GatewayOption = Annotated[
    str | None,
    typer.Option(
        envvar="SGZ_GATEWAY_URL",
        help="The gateway's URL (default: http://127.0.0.1:SGZ_GATEWAY_PORT).",
    ),
]


class GatewayError(Exception):
    """The gateway answered with an error: its HTTP status and message."""


def _client(gateway: str | None, timeout: float = 120.0) -> httpx.Client:
    url = gateway or health.gateway_url(settings().host, settings().gateway_port)
    return httpx.Client(base_url=url, timeout=timeout, auth=TokenAuth())  # `sgz login`


def _call(client: httpx.Client, method: str, path: str, body: Any = None, **params: Any) -> Any:
    try:
        response = client.request(method, path, json=body, params=params or None)
    except httpx.HTTPError as exc:
        raise GatewayError(f"the gateway is unreachable at {client.base_url} ({exc})") from None
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            message = f"{error.get('status', response.status_code)}: {error.get('message', '')}"
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}: {response.text[:200]}"
        raise GatewayError(message)
    return response.json()


def http_sender(client: httpx.Client) -> Any:
    """Sends an ImportPersonsRequest to the gateway as JSON and reads the response."""

    def send(request: pb.ImportPersonsRequest) -> pb.ImportPersonsResponse:
        body = json_format.MessageToDict(request)
        parent = body.pop("parent")
        found = _call(client, "POST", f"/v1/{parent}/persons:import", body)
        return json_format.ParseDict(found, pb.ImportPersonsResponse(), ignore_unknown_fields=True)

    return send


def http_committer(client: httpx.Client) -> Any:
    """Asks the gateway to apply (or discard) what an import staged."""

    def commit(request: pb.CommitPersonImportRequest) -> pb.CommitPersonImportResponse:
        body = json_format.MessageToDict(request)
        parent = body.pop("parent")
        found = _call(client, "POST", f"/v1/{parent}/persons:commitImport", body)
        return json_format.ParseDict(
            found, pb.CommitPersonImportResponse(), ignore_unknown_fields=True
        )

    return commit


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print_findings(console: Console, report: ImportReport, path: Path) -> None:
    table = Table(title=f"{path.name}: {report.bad_rows} bad row(s) of {report.rows}")
    for column in ("行 row", "列 column", "原因 reason", "规则 rule"):
        table.add_column(column)
    for f in report.errors[:_SHOWN]:
        table.add_row(str(f.row_number), f.column, f.reason, f.rule)
    console.print(table)
    if len(report.errors) > _SHOWN:
        console.print(f"… and {len(report.errors) - _SHOWN} more; --report FILE writes them all.")


def write_report(report: ImportReport, path: Path) -> None:
    """Every problem and warning as CSV (UTF-8 with a BOM, so Excel opens it)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["行", "列", "原因", "规则", "级别"])
        for kind, found in (("错误", report.errors), ("提示", report.warnings)):
            for x in found:
                out.writerow([x.row_number, x.column, x.reason, x.rule, kind])


def town_parent(town: str | None, has_town_column: bool) -> str:
    """The import's parent: the town given, or `towns/-` for a file whose rows name theirs."""
    if town:
        return town if town.startswith("towns/") else f"towns/{town}"
    if not has_town_column:
        raise FileProblem("give --town, or a 乡镇（街道） column naming each row's town")
    return "towns/-"


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")],
    town: Annotated[
        str | None,
        typer.Option(
            help="The town the file belongs to, towns/{town}. Without it, each row names its "
            "town in a 乡镇（街道） column (a city-wide file)."
        ),
    ] = None,
    valid_only: Annotated[
        bool, typer.Option("--valid-only", help="Import the good rows even if others are bad.")
    ] = False,
    report_file: Annotated[
        Path | None, typer.Option("--report", help="Write every problem to this CSV file.")
    ] = None,
    assessor: Annotated[
        str, typer.Option(help="The third-party assessor of rows without 评估机构.")
    ] = "",
    assessed_on: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The assessment date of rows without 评估日期."),
    ] = None,
    start_date: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="New persons are dispersed from (default today)."),
    ] = None,
    gateway: GatewayOption = None,
) -> None:
    """Import a town's roster file: every row is checked; a file with bad rows imports
    nothing unless --valid-only, and a good file is applied in one transaction. Re-importing
    the same file changes nothing."""
    console = Console()
    try:
        found, rows = read_rows(file)
        parent = town_parent(town, "town" in found.columns)
    except FileProblem as exc:
        console.print(f"[red]{file.name}: {exc}[/]")
        raise typer.Exit(2) from None
    if found.ignored:
        console.print(f"Columns not read: {', '.join(found.ignored)}")
    total = count_rows(file)
    try:
        with _client(gateway) as client, _progress(console) as progress:
            checking = progress.add_task("checking", total=total)
            report = run_import(
                rows,
                parent,
                http_sender(client),
                http_committer(client),
                valid_only=valid_only,
                assessor=assessor,
                assessed_on=assessed_on.date() if assessed_on else None,
                start_date=start_date.date() if start_date else None,
                on_rows=lambda n: progress.update(checking, advance=n),
            )
    except FileProblem as exc:
        console.print(f"[red]{file.name}: {exc}[/]")
        raise typer.Exit(2) from None
    except GatewayError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    if report_file is not None:
        write_report(report, report_file)
        console.print(f"Problems written to {report_file}")
    if report.errors:
        _print_findings(console, report, file)
    if report.warnings:
        console.print(
            f"{len(report.warnings)} warning(s) (they do not block), e.g. row "
            f"{report.warnings[0].row_number}: {report.warnings[0].reason}"
        )
    if not report.written:
        console.print(
            f"[red]Nothing imported: {report.bad_rows} bad row(s). Fix them, or "
            "pass --valid-only to import the good rows.[/]"
        )
        raise typer.Exit(1)
    console.print(
        f"[green]{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged[/]"
        + (f", {report.bad_rows} bad row(s) skipped" if report.errors else "")
    )


def _pages(client: httpx.Client, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    token = ""
    while True:
        page = _call(client, "GET", path, pageSize=1000, pageToken=token, **params)
        found += page.get(key, [])
        token = page.get("nextPageToken", "")
        if not token:
            return found


#: Indicator fields of an assessment, as the gateway's JSON names them.
_INDICATORS = {
    "eating": "eating",
    "dressing": "dressing",
    "transferring": "transferring",
    "toileting": "toileting",
    "indoor_walking": "indoorWalking",
    "bathing": "bathing",
}
_ANSWERS = {"INDICATOR_ANSWER_ABLE": "是", "INDICATOR_ANSWER_UNABLE": "否"}


@app.command("export")
def export_file(
    town: Annotated[str, typer.Option(help="The town to export, towns/{town}.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .xlsx file to write.")],
    gateway: GatewayOption = None,
) -> None:
    """Write a town's roster as xlsx with the import's column headers. ID numbers are masked
    unless the caller's role may read them (each read is audited by the roster)."""
    import xlsxwriter

    console = Console()
    if not town.startswith("towns/"):
        town = f"towns/{town}"
    try:
        with _client(gateway) as client:
            villages = {
                v["name"]: v.get("displayName", "")
                for v in _pages(client, f"/v1/{town}/villages", "villages")
            }
            persons = _pages(client, f"/v1/{town}/persons", "persons")
            reveal = True
            book = xlsxwriter.Workbook(str(output), {"constant_memory": True})
            sheet = book.add_worksheet("花名册")
            text = book.add_format({"num_format": "@"})
            fields = [f for f in COLUMNS if f != "assessed_date"] + ["assessed_date"]
            sheet.write_row(0, 0, [HEADER_OF[f] for f in fields])
            with _progress(console) as progress:
                task = progress.add_task("exporting", total=len(persons))
                for n, person in enumerate(persons, start=1):
                    number = person.get("idNumberMasked", "")
                    if reveal:
                        try:
                            number = _call(
                                client,
                                "POST",
                                f"/v1/{person['name']}:revealIdNumber",
                                {"purpose": "roster export (sgz roster export)"},
                            )["idNumber"]
                        except GatewayError as exc:
                            if "PERMISSION_DENIED" not in str(exc):
                                raise
                            reveal = False  # the role may not read numbers: all stay masked
                    latest = _pages(client, f"/v1/{person['name']}/assessments", "assessments")
                    row: dict[str, str] = {
                        "display_name": person.get("displayName", ""),
                        "id_number": number,
                        "village": villages.get(person.get("village", ""), ""),
                        "address": person.get("address", ""),
                        "phone": person.get("phone", "").removeprefix("+86"),
                    }
                    if latest:
                        a = latest[-1]
                        for field_name, key in _INDICATORS.items():
                            row[field_name] = _ANSWERS.get(a.get(key, ""), "")
                        row["assessor"] = a.get("assessor", "")
                        d = a.get("assessmentDate", {})
                        if d:
                            row["assessed_date"] = (
                                f"{d['year']:04d}-{d['month']:02d}-{d['day']:02d}"
                            )
                    for col, f in enumerate(fields):
                        sheet.write_string(n, col, row.get(f, ""), text)
                    progress.update(task, advance=1)
            book.close()
    except GatewayError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    masked = "" if reveal else " (ID numbers masked: your role may not read them)"
    console.print(f"[green]{len(persons)} persons written to {output}{masked}[/]")
