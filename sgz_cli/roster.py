"""`sgz roster import FILE` and `sgz roster export`: a town's roster file in and out, through
the gateway over HTTP (see docs/roster-import.md)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor
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
from sgz_cli.roster_import import Finding, ImportReport, run_import
from sgz_runtime.config import settings
from sgz_runtime.i18n import current_locale, tr

app = typer.Typer(
    help=tr("The roster: import and export a town's roster file.").render(),
    no_args_is_help=True,
)

#: Problems shown on the terminal; `--report FILE` writes them all.
_SHOWN = 50
#: Persons per page of an export (the server allows up to 10000).
EXPORT_PAGE = 5000

GatewayOption = Annotated[
    str | None,
    typer.Option(
        envvar="SGZ_GATEWAY_URL",
        help=tr("The gateway's URL (default: http://127.0.0.1:SGZ_GATEWAY_PORT).").render(),
    ),
]


class GatewayError(Exception):
    """The gateway answered with an error: its HTTP status and message."""

    def __init__(self, message: str, status: str = ""):
        super().__init__(message)
        self.status = status


def client_for(gateway: str | None, timeout: float = 120.0) -> httpx.Client:
    """A client of the gateway that logs in as `sgz login` did and asks for the CLI's language
    (`sgz --lang en`), so that refusals come back in it."""
    url = gateway or health.gateway_url(settings().host, settings().gateway_port)
    return httpx.Client(
        base_url=url,
        timeout=timeout,
        auth=TokenAuth(),
        headers={"Accept-Language": current_locale()},
    )


def call(client: httpx.Client, method: str, path: str, body: Any = None, **params: Any) -> Any:
    """The JSON answer; GatewayError with the gateway's message (in the CLI's language)."""
    try:
        response = client.request(method, path, json=body, params=params or None)
    except httpx.HTTPError as exc:
        raise GatewayError(
            tr(
                "the gateway is unreachable at {url} ({error}): is sgz up running?",
                url=str(client.base_url),
                error=str(exc),
            ).render()
        ) from None
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            status = str(error.get("status", response.status_code))
            message = f"{status}: {error.get('message', '')}"
        except (ValueError, KeyError, TypeError):
            status = str(response.status_code)
            message = f"HTTP {response.status_code}: {response.text[:500]}"
        raise GatewayError(message, status)
    return response.json()


def http_sender(client: httpx.Client) -> Any:
    """Sends an ImportPersonsRequest to the gateway as JSON and reads the response."""

    def send(request: pb.ImportPersonsRequest) -> pb.ImportPersonsResponse:
        body = json_format.MessageToDict(request)
        parent = body.pop("parent")
        found = call(client, "POST", f"/v1/{parent}/persons:import", body)
        return json_format.ParseDict(found, pb.ImportPersonsResponse(), ignore_unknown_fields=True)

    return send


def http_committer(client: httpx.Client) -> Any:
    """Asks the gateway to apply (or discard) what an import staged."""

    def commit(request: pb.CommitPersonImportRequest) -> pb.CommitPersonImportResponse:
        body = json_format.MessageToDict(request)
        parent = body.pop("parent")
        found = call(client, "POST", f"/v1/{parent}/persons:commitImport", body)
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


#: What to do about a problem that hits every row, by the column it is in.
_EVERY_ROW_HINTS = {
    HEADER_OF["village"]: tr(
        "load the towns and villages first (sgz places import FILE), or check the 村（社区） "
        "column against them"
    ),
    HEADER_OF["assessor"]: tr(
        "give the third-party assessor of the whole file with --assessor, or fill the 评估机构 "
        "column"
    ),
    HEADER_OF["assessed_date"]: tr(
        "give the assessment date of the whole file with --assessed-on YYYY-MM-DD, or fill the "
        "评估日期 column"
    ),
    HEADER_OF["town"]: tr("give the file's town with --town, or fill the 乡镇（街道） column"),
}


def every_row_problems(report: ImportReport) -> list[tuple[str, str, int]]:
    """(column, reason, rows) of each problem that every bad row has: said once, not per row."""
    if report.bad_rows < 2:
        return []
    rows_of: dict[tuple[str, str], set[int]] = {}
    for f in report.errors:
        rows_of.setdefault((f.column, f.reason), set()).add(f.row_number)
    return [
        (column, reason, len(rows))
        for (column, reason), rows in rows_of.items()
        if len(rows) == report.bad_rows
    ]


def _print_findings(console: Console, report: ImportReport, path: Path) -> None:
    shared = every_row_problems(report)
    for column, reason, rows in shared:
        console.print(
            "[red]"
            + tr(
                "Every one of the {rows} bad rows: {column}: {reason}",
                rows=rows,
                column=column,
                reason=reason,
            ).render()
            + "[/]"
        )
        hint = _EVERY_ROW_HINTS.get(column)
        if hint is not None:
            console.print(tr("What to do: {hint}", hint=hint).render())
    said = {(c, r) for c, r, _n in shared}
    rest: list[Finding] = [f for f in report.errors if (f.column, f.reason) not in said]
    if not rest:
        return
    table = Table(
        title=tr(
            "{file}: {bad} bad row(s) of {rows}",
            file=path.name,
            bad=report.bad_rows,
            rows=report.rows,
        ).render()
    )
    for heading in (tr("row"), tr("column"), tr("reason"), tr("rule")):
        table.add_column(heading.render())
    for f in rest[:_SHOWN]:
        table.add_row(str(f.row_number), f.column, f.reason, f.rule)
    console.print(table)
    if len(rest) > _SHOWN:
        console.print(
            tr(
                "… and {count} more; --report FILE writes them all.", count=len(rest) - _SHOWN
            ).render()
        )


def write_report(report: ImportReport, path: Path) -> None:
    """Every problem and warning as CSV (UTF-8 with a BOM, so Excel opens it). Its headers are
    Chinese whatever --lang says, as the roster file's own are: the file is kept by the town."""
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
        raise FileProblem(
            tr("give --town, or a 乡镇（街道） column naming each row's town").render()
        )
    return "towns/-"


@app.command(
    "import",
    help=tr(
        "Import a town's roster file: every row is checked; a file with bad rows imports "
        "nothing unless --valid-only, and a good file is applied in one transaction. "
        "Re-importing the same file changes nothing."
    ).render(),
)
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help=tr(".xlsx or .csv").render())
    ],
    town: Annotated[
        str | None,
        typer.Option(
            help=tr(
                "The town the file belongs to, towns/{town}. Without it, each row names its "
                "town in a 乡镇（街道） column (a city-wide file).",
                town="TOWN",
            ).render()
        ),
    ] = None,
    valid_only: Annotated[
        bool,
        typer.Option(
            "--valid-only", help=tr("Import the good rows even if others are bad.").render()
        ),
    ] = False,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help=tr("Write every problem to this CSV file.").render()),
    ] = None,
    assessor: Annotated[
        str, typer.Option(help=tr("The third-party assessor of rows without 评估机构.").render())
    ] = "",
    assessed_on: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help=tr("The assessment date of rows without 评估日期.").render(),
        ),
    ] = None,
    start_date: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help=tr("New persons are dispersed from (default today).").render(),
        ),
    ] = None,
    gateway: GatewayOption = None,
) -> None:
    console = Console()
    try:
        found, rows = read_rows(file)
        parent = town_parent(town, "town" in found.columns)
    except FileProblem as exc:
        console.print(f"[red]{file.name}: {exc}[/]")
        raise typer.Exit(2) from None
    if found.ignored:
        console.print(tr("Columns not read: {columns}", columns="、".join(found.ignored)).render())
    total = count_rows(file)
    try:
        with client_for(gateway) as client, _progress(console) as progress:
            checking = progress.add_task(tr("checking").render(), total=total)
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
        console.print(tr("Problems written to {path}", path=str(report_file)).render())
    if report.errors:
        _print_findings(console, report, file)
    if report.warnings:
        first = report.warnings[0]
        console.print(
            tr(
                "{count} warning(s) (they do not block), e.g. row {row}: {reason}",
                count=len(report.warnings),
                row=first.row_number,
                reason=first.reason,
            ).render()
        )
    if not report.written:
        console.print(
            "[red]"
            + tr(
                "Nothing imported: {bad} bad row(s). Fix them, or pass --valid-only to import "
                "the good rows.",
                bad=report.bad_rows,
            ).render()
            + "[/]"
        )
        raise typer.Exit(1)
    summary = tr(
        "{rows} rows: {created} created, {updated} updated, {unchanged} unchanged",
        rows=report.rows,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    ).render()
    if report.errors:
        summary += tr(", {bad} bad row(s) skipped", bad=report.bad_rows).render()
    console.print(f"[green]{summary}[/]")


#: The export's columns: the import's, with the assessment date last.
EXPORT_FIELDS = [f for f in COLUMNS if f not in ("assessed_date", "town")] + ["assessed_date"]


def export_roster(
    client: httpx.Client,
    parent: str,
    output: Path,
    purpose: str,
    *,
    reveal: bool = True,
    on_page: Any = None,
) -> tuple[int, bool]:
    """Writes the roster of parent to an xlsx file, one ExportPersons page at a time; returns
    (persons written, whether the ID numbers are full). A role that may not read full numbers
    gets them masked."""
    import xlsxwriter

    body: dict[str, Any] = {
        "purpose": purpose,
        "revealIdNumbers": reveal,
        "pageSize": EXPORT_PAGE,
        # The roster file's columns as CSV text: far cheaper to carry than a message a person.
        "asTable": True,
    }
    try:
        page = call(client, "POST", f"/v1/{parent}/persons:export", body)
    except GatewayError as exc:
        if not reveal or exc.status != "PERMISSION_DENIED":
            raise
        body["revealIdNumbers"] = False
        page = call(client, "POST", f"/v1/{parent}/persons:export", body)
    revealed = bool(page.get("idNumbersRevealed"))
    total = int(page.get("totalSize", 0))
    if output.suffix.lower() == ".csv":
        return _export_csv(client, parent, output, body, page, total, on_page), revealed
    book = xlsxwriter.Workbook(str(output), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    # Every cell is written as text; the ID column is text for what a town types in later too.
    sheet.set_column(1, 1, 20, book.add_format({"num_format": "@"}))
    sheet.write_row(0, 0, [HEADER_OF[f] for f in EXPORT_FIELDS])
    # XlsxWriter's write_string parses its arguments on every call; its inner method does
    # not, which halves the client's time for 150,000 rows. Fall back if it ever goes.
    put = getattr(sheet, "_write_string", None)
    if put is None:
        put = sheet.write_string
    n = 0
    # The next page is asked for while this one is written: the roster's work and the
    # client's overlap (two processes, two cores).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as ahead:
        while True:
            token = page.get("nextPageToken", "")
            following = (
                ahead.submit(
                    call, client, "POST", f"/v1/{parent}/persons:export",
                    {**body, "pageToken": token},
                )
                if token
                else None
            )  # fmt: skip
            rows = csv.reader(io.StringIO(page.get("tableCsv", "")))
            next(rows, None)  # the header row
            for cells in rows:
                n += 1
                for col, value in enumerate(cells):
                    if value:  # a blank cell, not an empty text
                        put(n, col, value, None)
            if on_page is not None:
                on_page(n, total)
            if following is None:
                break
            page = following.result()
    book.close()
    return n, revealed


def _export_csv(
    client: httpx.Client,
    parent: str,
    output: Path,
    body: dict[str, Any],
    page: dict[str, Any],
    total: int,
    on_page: Any,
) -> int:
    """The pages' CSV as they come (UTF-8 with a BOM, so Excel opens it; the import reads it
    back): no cell is touched, so the client does next to nothing."""
    n = 0
    with output.open("w", encoding="utf-8-sig", newline="") as out:
        out.write(",".join(HEADER_OF[f] for f in EXPORT_FIELDS) + "\n")
        while True:
            table = page.get("tableCsv", "")
            body_start = table.find("\n") + 1  # after the header row
            out.write(table[body_start:])
            n += int(page.get("tableRows", 0))
            if on_page is not None:
                on_page(n, total)
            token = page.get("nextPageToken", "")
            if not token:
                return n
            page = call(
                client, "POST", f"/v1/{parent}/persons:export", {**body, "pageToken": token}
            )


@app.command(
    "export",
    help=tr(
        "Write a town's (or a village's) roster as xlsx with the import's column headers, in "
        "one export the roster audits once with its purpose. ID numbers are full for the roles "
        "that may read them, masked otherwise."
    ).render(),
)
def export_file(
    town: Annotated[
        str,
        typer.Option(
            help=tr("The town to export, towns/{town}, or a village of it.", town="TOWN").render()
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help=tr("The .xlsx (or .csv) file to write.").render()),
    ],
    purpose: Annotated[
        str,
        typer.Option(help=tr("Why the roster is exported, kept in the audit trail.").render()),
    ] = "",
    masked: Annotated[
        bool,
        typer.Option(
            "--masked", help=tr("Mask the ID numbers even if you may read them.").render()
        ),
    ] = False,
    gateway: GatewayOption = None,
) -> None:
    console = Console()
    parent = town if town.startswith("towns/") else f"towns/{town}"
    why = purpose.strip() or tr("roster export (sgz roster export)").render()
    try:
        with client_for(gateway, timeout=300.0) as client, _progress(console) as progress:
            task = progress.add_task(tr("exporting").render(), total=None)

            def advance(done: int, total: int) -> None:
                if total:
                    progress.update(task, total=total)
                progress.update(task, completed=done)

            written, revealed = export_roster(
                client, parent, output, why, reveal=not masked, on_page=advance
            )
    except GatewayError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    line = tr("{count} persons written to {path}", count=written, path=str(output)).render()
    if not revealed and not masked:
        line += tr(" (ID numbers masked: your role may not read them)").render()
    console.print(f"[green]{line}[/]")
