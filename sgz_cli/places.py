"""`sgz places import FILE`: a city's or a town's towns and villages from an xlsx or CSV file with
their statistical division codes (9 digits a town, 12 a village), through the gateway. Safe to
run again: places are matched by code (see docs/roster-import.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from sgz.roster.v1 import roster_pb2 as pb

from sgz_cli.roster import GatewayError, GatewayOption, call, client_for
from sgz_cli.roster_files import FileProblem, _key, _text, detect_encoding
from sgz_runtime.i18n import tr

app = typer.Typer(
    help=tr("Places: import a file of towns and villages with their division codes.").render(),
    no_args_is_help=True,
)

#: The columns of a places file, by field of PlaceRow; the first header is the one shown.
COLUMNS: dict[str, tuple[str, ...]] = {
    "administrative_code": ("区划代码", "统计用区划代码", "代码", "行政区划代码"),
    "display_name": ("名称", "乡镇（街道）/村（社区）", "名字"),
    "kind": ("类型", "城乡分类", "类别"),
    "contact_name": ("联系人", "民政联系人", "村民政联系人"),
    "contact_phone": ("联系电话", "电话", "手机"),
    "place_id": ("标识", "ID"),
}
_FIELD_OF = {_key(h): f for f, names in COLUMNS.items() for h in names}
_KINDS = {
    "镇": pb.PLACE_KIND_TOWN,
    "乡": pb.PLACE_KIND_TOWN,
    "区": pb.PLACE_KIND_DISTRICT,
    "街道": pb.PLACE_KIND_SUBDISTRICT,
    "村": pb.PLACE_KIND_VILLAGE,
    "社区": pb.PLACE_KIND_COMMUNITY,
}
BATCH = 5000


def _table(path: Path) -> Iterator[list[Any]]:
    """The rows of the first sheet (or the CSV), header first."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding=detect_encoding(path), newline="") as handle:
            yield from csv.reader(handle)
        return
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            message = tr("not a readable xlsx file: {error}", error=str(exc)).render()
            raise FileProblem(message) from None
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                yield list(values)
        finally:
            book.close()
        return
    raise FileProblem(tr("only .xlsx and .csv files are read").render())


def read_places(path: Path) -> list[pb.PlaceRow]:
    """The places of the file, numbered as in the file (the header is row 1)."""
    rows = _table(path)
    try:
        headers = next(rows)
    except StopIteration:
        raise FileProblem(tr("the file is empty").render()) from None
    columns: dict[str, int] = {}
    for index, cell in enumerate(headers):
        found = _FIELD_OF.get(_key("" if cell is None else str(cell)))
        if found is not None and found not in columns:
            columns[found] = index
    missing = [COLUMNS[f][0] for f in ("administrative_code", "display_name") if f not in columns]
    if missing:
        raise FileProblem(
            tr(
                "the header row lacks the column(s) {columns}: a places file has 区划代码 and "
                "名称, and may have 类型, 联系人, 联系电话",
                columns="、".join(missing),
            ).render()
        )
    places: list[pb.PlaceRow] = []
    for number, values in enumerate(rows, start=2):
        cells = {f: _text(values[i]) if i < len(values) else "" for f, i in columns.items()}
        if not any(cells.values()):
            continue
        kind = _KINDS.get(cells.pop("kind", "").strip(), pb.PLACE_KIND_UNSPECIFIED)
        places.append(pb.PlaceRow(row_number=number, kind=kind, **cells))
    return places


def _send(client: Any, rows: list[pb.PlaceRow], validate_only: bool) -> pb.ImportPlacesResponse:
    from google.protobuf import json_format

    body = json_format.MessageToDict(pb.ImportPlacesRequest(rows=rows, validate_only=validate_only))
    found = call(client, "POST", "/v1/places:import", body)
    return json_format.ParseDict(found, pb.ImportPlacesResponse(), ignore_unknown_fields=True)


@app.command(
    "import",
    help=tr(
        "Import towns (9-digit codes) and villages (12-digit codes); a place already on the "
        "roster is matched by its code and updated, so importing the file again changes nothing."
    ).render(),
)
def import_places(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help=tr("An .xlsx or .csv file of places.").render()
        ),
    ],
    validate_only: Annotated[
        bool,
        typer.Option(
            "--validate-only", help=tr("Check the file and report; write nothing.").render()
        ),
    ] = False,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help=tr("Write every problem to this CSV file.").render()),
    ] = None,
    gateway: GatewayOption = None,
) -> None:
    console = Console()
    try:
        rows = read_places(file)
    except FileProblem as exc:
        console.print(f"[red]{file.name}: {exc}[/]")
        raise typer.Exit(2) from None
    if not rows:
        console.print(tr("{file}: no places in the file", file=file.name).render())
        raise typer.Exit(2)
    # Towns first, so that the villages of a file longer than one batch find theirs.
    rows.sort(key=lambda r: (len(r.administrative_code.strip()) != 9, r.row_number))
    totals = pb.ImportPlacesResponse()
    problems: list[pb.PlaceRowProblem] = []
    try:
        with client_for(gateway) as client:
            for start in range(0, len(rows), BATCH):
                answer = _send(client, rows[start : start + BATCH], validate_only)
                problems += answer.errors
                for field in (
                    "towns_created",
                    "towns_updated",
                    "villages_created",
                    "villages_updated",
                    "unchanged",
                ):
                    setattr(totals, field, getattr(totals, field) + getattr(answer, field))
    except GatewayError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    if report_file is not None:
        with report_file.open("w", encoding="utf-8-sig", newline="") as f:
            out = csv.writer(f)
            out.writerow(["行", "列", "原因"])  # the town's file: Chinese, like its columns
            for p in problems:
                out.writerow([p.row_number, _header(p.field), p.reason])
        console.print(tr("Problems written to {path}", path=str(report_file)).render())
    if problems:
        table = Table(
            title=tr(
                "{file}: {count} problem(s); nothing of their batch was written",
                file=file.name,
                count=len(problems),
            ).render()
        )
        for heading in (tr("row"), tr("column"), tr("reason")):
            table.add_column(heading.render())
        for p in problems[:50]:
            table.add_row(str(p.row_number), _header(p.field), p.reason)
        console.print(table)
        raise typer.Exit(1)
    done = tr(
        "{towns_created} town(s) and {villages_created} village(s) created, {updated} updated, "
        "{unchanged} unchanged",
        towns_created=totals.towns_created,
        villages_created=totals.villages_created,
        updated=totals.towns_updated + totals.villages_updated,
        unchanged=totals.unchanged,
    ).render()
    if validate_only:
        done = tr("Checked, nothing written: {summary}", summary=done).render()
    console.print(f"[green]{done}[/]")


def _header(field: str) -> str:
    return COLUMNS.get(field, (field,))[0]
