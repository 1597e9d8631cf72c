"""`sgz hr renewals` and `sgz hr staffing`: renewal eligibility (rules H7, H8, H9, A5) and
staffing against H1/H2 through the gateway, as a rich table, JSON or (renewals) an xlsx with
Chinese headers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from sgz_cli.login import GatewayOption, client
from sgz_runtime.i18n import Text, tr

app = typer.Typer(
    help=tr("HR (人事): renewal eligibility and staffing.").render(), no_args_is_help=True
)

ELIGIBILITY = {
    "ELIGIBILITY_ELIGIBLE": tr("eligible"),
    "ELIGIBILITY_NOT_ELIGIBLE": tr("not eligible"),
    "ELIGIBILITY_UNDETERMINED": tr("undetermined"),
}
CERTIFICATES = {
    "CERTIFICATE_LEVEL_JUNIOR": "助理社会工作师",
    "CERTIFICATE_LEVEL_INTERMEDIATE": "社会工作师",
    "CERTIFICATE_LEVEL_SENIOR": "高级社会工作师",
}
#: The xlsx columns, as town HR offices head them.
XLSX_HEADERS = (
    "镇（街道）",
    "工作人员",
    "姓名",
    "合同",
    "合同到期日",
    "续签资格",
    "考核年度",
    "证书",
    "培训学时",
    "须签无固定期限合同",
    "原因",
)
XLSX_ELIGIBILITY = {
    "ELIGIBILITY_ELIGIBLE": "符合续签条件",
    "ELIGIBILITY_NOT_ELIGIBLE": "不符合续签条件",
    "ELIGIBILITY_UNDETERMINED": "待定（缺考核结果）",
}


class GatewayError(Exception):
    """The gateway refused or could not be reached; the message says why."""


def _date(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            str(tr("{value} is not a date like 2026-06-30", value=text)), param_hint=option
        ) from None


def _date_params(prefix: str, day: dt.date | None) -> dict[str, int]:
    if day is None:
        return {}
    return {f"{prefix}.year": day.year, f"{prefix}.month": day.month, f"{prefix}.day": day.day}


def _town(town: str | None) -> str:
    if not town or town == "-":
        return "towns/-"
    return town if town.startswith("towns/") else f"towns/{town}"


def _get(http: httpx.Client, path: str, params: dict[str, Any]) -> Any:
    try:
        answer = http.get(path, params=params)
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


def _iso(value: dict[str, int] | None) -> str:
    if not value:
        return ""
    return f"{value.get('year', 0):04d}-{value.get('month', 0):02d}-{value.get('day', 0):02d}"


def _hours(tenths: int) -> str:
    whole, tenth = divmod(tenths, 10)
    return f"{whole}" if tenth == 0 else f"{whole}.{tenth}"


def renewal_rows(report: dict[str, Any]) -> Iterator[list[str]]:
    """One row per contract, in the XLSX_HEADERS order (Chinese labels)."""
    for row in report.get("rows", []):
        yield [
            row.get("town", ""),
            row.get("worker", ""),
            row.get("displayName", ""),
            row.get("contract", ""),
            _iso(row.get("endDate")),
            XLSX_ELIGIBILITY.get(row.get("eligibility", ""), ""),
            str(row.get("assessmentYear", "")),
            CERTIFICATES.get(row.get("certificateLevel", ""), "无"),
            _hours(int(row.get("trainingTenthHours", 0))),
            "是" if row.get("openEndedRequired") else "否",
            "；".join(r.get("message", "") for r in row.get("reasons", [])),
        ]


def write_xlsx(report: dict[str, Any], path: Path) -> int:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    try:
        sheet = book.add_worksheet("续签资格")
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, XLSX_HEADERS, bold)
        count = 0
        for count, cells in enumerate(renewal_rows(report), start=1):
            sheet.write_row(count, 0, cells)
        warn = book.add_worksheet("到期预警")
        warn.write_row(0, 0, ("镇（街道）", "工作人员", "姓名", "合同", "合同到期日", "预警"), bold)
        for i, w in enumerate(report.get("warnings", []), start=1):
            warn.write_row(
                i,
                0,
                [
                    w.get("town", ""),
                    w.get("worker", ""),
                    w.get("displayName", ""),
                    w.get("contract", ""),
                    _iso(w.get("endDate")),
                    w.get("message", ""),
                ],
            )
    finally:
        book.close()
    return count


def _headers(*texts: Text) -> list[str]:
    return [t.render() for t in texts]


@app.command(
    "renewals",
    help=tr(
        "Renewal eligibility of contracts ending in a window, with every reason (H7, H8, H9, "
        "A5), and the early warning of contracts ending soon without a certificate."
    ).render(),
)
def renewals(
    ending_before: Annotated[
        str,
        typer.Option(
            "--ending-before", help=tr("Contracts ending before this day (YYYY-MM-DD).").render()
        ),
    ],
    town: Annotated[
        str | None,
        typer.Option("--town", help=tr("towns/{{t}} or its id; every town when unset.").render()),
    ] = None,
    ending_after: Annotated[
        str | None,
        typer.Option(
            "--ending-after",
            help=tr("Contracts ending on or after this day (default: today).").render(),
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help=tr("The report's date, for the early warning.").render()),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help=tr("Print the report as JSON.").render())
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help=tr("Write the report to this .xlsx file.").render()),
    ] = None,
    gateway: GatewayOption = None,
) -> None:
    params: dict[str, Any] = {}
    params |= _date_params("endingBefore", _date(ending_before, "--ending-before"))
    if ending_after:
        params |= _date_params("endingAfter", _date(ending_after, "--ending-after"))
    if on:
        params |= _date_params("on", _date(on, "--on"))
    console = Console()
    try:
        with client(gateway) as http:
            report = _get(http, f"/v1/{_town(town)}/renewalReport", params)
    except GatewayError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if output is not None:
        count = write_xlsx(report, output)
        console.print(
            tr("{count} contracts written to {path}", count=count, path=str(output)).render()
        )
        return
    table = Table(title=tr("Renewal eligibility").render())
    for header in _headers(
        tr("town"),
        tr("name"),
        tr("contract ends"),
        tr("verdict"),
        tr("certificate"),
        tr("training hours"),
        tr("reasons"),
    ):
        table.add_column(header)
    for row in report.get("rows", []):
        table.add_row(
            row.get("town", ""),
            row.get("displayName", ""),
            _iso(row.get("endDate")),
            ELIGIBILITY.get(row.get("eligibility", ""), tr("undetermined")).render(),
            CERTIFICATES.get(row.get("certificateLevel", ""), "-"),
            _hours(int(row.get("trainingTenthHours", 0))),
            "\n".join(
                ("✗ " if r.get("blocking") else "· ") + r.get("message", "")
                for r in row.get("reasons", [])
            ),
        )
    console.print(table)
    warnings = report.get("warnings", [])
    if warnings:
        months = report.get("warningMonths", 6)
        warn = Table(
            title=tr("Ending within {months} months without a certificate", months=months).render()
        )
        for header in _headers(tr("town"), tr("name"), tr("contract ends"), tr("warning")):
            warn.add_column(header)
        for w in warnings:
            warn.add_row(
                w.get("town", ""),
                w.get("displayName", ""),
                _iso(w.get("endDate")),
                w.get("message", ""),
            )
        console.print(warn)


@app.command(
    "staffing",
    help=tr(
        "Workers required (H1: max(3, ceil(villages / 6)), the chief not counted) against those"
        " employed, and since when a shortfall has lasted (H2)."
    ).render(),
)
def staffing(
    town: Annotated[
        str | None,
        typer.Option("--town", help=tr("towns/{{t}} or its id; every town when unset.").render()),
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help=tr("The date (default: today).").render())
    ] = None,
    shortfall_only: Annotated[
        bool, typer.Option("--shortfall-only", help=tr("Only towns short of workers.").render())
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=tr("Print JSON.").render())] = False,
    gateway: GatewayOption = None,
) -> None:
    params = _date_params("on", _date(on, "--on") if on else None)
    console = Console()
    found: list[dict[str, Any]] = []
    try:
        with client(gateway) as http:
            if town and town != "-":
                found.append(_get(http, f"/v1/{_town(town)}/staffing", params))
            else:
                token = ""
                while True:
                    page = _get(
                        http,
                        "/v1/staffing",
                        {
                            **params,
                            "pageSize": 1000,
                            "pageToken": token,
                            "shortfallOnly": shortfall_only,
                        },
                    )
                    found.extend(page.get("townStaffing", []))
                    token = page.get("nextPageToken", "")
                    if not token:
                        break
    except GatewayError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = Table(title=tr("Staffing (H1)").render())
    for header in _headers(
        tr("town"),
        tr("villages"),
        tr("required"),
        tr("active"),
        tr("shortfall"),
        tr("since"),
        tr("chief"),
    ):
        table.add_column(header)
    for s in found:
        table.add_row(
            s.get("town", ""),
            str(s.get("villages", 0)),
            str(s.get("required", 0)),
            str(s.get("active", 0)),
            str(s.get("shortfall", 0)),
            _iso(s.get("since")) or "-",
            "✓" if s.get("hasChief") else "✗",
        )
    console.print(table)
    if found:
        console.print(found[0].get("villageCountBasis", ""))


@app.command(
    "training",
    help=tr(
        "Each worker's training hours in a calendar year against the requirement (H9): who is "
        "short and by how much."
    ).render(),
)
def training(
    year: Annotated[int, typer.Option("--year", help=tr("The calendar year.").render())],
    town: Annotated[
        str | None,
        typer.Option("--town", help=tr("towns/{{t}} or its id; every town when unset.").render()),
    ] = None,
    short_only: Annotated[
        bool,
        typer.Option("--short-only", help=tr("Only workers short of the yearly hours.").render()),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=tr("Print JSON.").render())] = False,
    gateway: GatewayOption = None,
) -> None:
    console = Console()
    try:
        with client(gateway) as http:
            found = _get(
                http,
                f"/v1/{_town(town)}/trainingHours",
                {"year": year, "shortOnly": short_only},
            ).get("trainingHours", [])
    except GatewayError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    table = Table(title=tr("Training hours in {year} (H9)", year=year).render())
    for header in _headers(
        tr("town"), tr("name"), tr("training hours"), tr("required"), tr("short by")
    ):
        table.add_column(header)
    for row in found:
        table.add_row(
            row.get("town", ""),
            row.get("displayName", ""),
            _hours(int(row.get("tenthHours", 0))),
            _hours(int(row.get("requiredTenthHours", 0))),
            _hours(int(row.get("shortTenthHours", 0))),
        )
    console.print(table)
