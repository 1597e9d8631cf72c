"""`sgz finance`: close a town's disbursement period (rule F4) or every town's, and write a
closed period's statement (rule F5) or disclosure report as xlsx (Chinese headers) or JSON,
through the gateway with the session `sgz login` kept."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress

from sgz_cli import login
from sgz_runtime.i18n import current_locale, tr

app = typer.Typer(
    help=tr("Finance (rules F1-F5): close periods, statements, disclosure reports.").render(),
    no_args_is_help=True,
)

#: The statement's rows, in order (rule F5): label, key of the statement JSON.
STATEMENT_ROWS: tuple[tuple[str, str], ...] = (
    ("期初余额", "opening"),
    ("核定分配", "allocated"),
    ("收到拨款", "received"),
    ("退回市级", "returned"),
    ("调整", "adjusted"),
    ("期末余额", "closing"),
)
CATEGORY_LABELS = {
    "worker_pay": "工作人员工资及社保",
    "performance_pay": "绩效工资",
    "training": "培训",
    "visit_transport": "探访交通",
    "cleaning_assistance": "清洁及协助服务",
    "other": "其他",
}
_CATEGORY_OF_ENUM = {f"EXPENSE_CATEGORY_{key.upper()}": key for key in CATEGORY_LABELS}
LEVEL_LABELS = {
    "CARE_LEVEL_SELF_CARE": "具备生活自理能力",
    "CARE_LEVEL_PARTIAL": "部分丧失",
    "CARE_LEVEL_FULL_LOSS": "完全丧失",
}
HEADERS = ("项目", "金额（元）", "金额（分）")


class Refused(Exception):
    """The gateway refused: the message (in the caller's language) and the rule, if any."""

    def __init__(self, message: str, rule: str = ""):
        super().__init__(message)
        self.rule = rule


def client(gateway: str | None) -> httpx.Client:
    """The gateway, answering in the language of `sgz --lang` (Chinese by default)."""
    made = login.client(gateway, timeout=300.0)
    made.headers["Accept-Language"] = current_locale()
    return made


def call(http: httpx.Client, method: str, path: str, body: Any = None, **params: Any) -> Any:
    try:
        answer = http.request(method, path, json=body, params=params or None)
    except httpx.HTTPError as exc:
        raise Refused(tr("the gateway is unreachable ({error})", error=str(exc)).render()) from None
    if answer.status_code >= 400:
        try:
            error = answer.json()["error"]
            rule = next(
                (
                    d.get("metadata", {}).get("rule", "")
                    for d in error.get("details", [])
                    if "ErrorInfo" in str(d.get("@type", ""))
                ),
                "",
            )
            raise Refused(str(error.get("message", "")), rule)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Refused(f"HTTP {answer.status_code}") from None
    return answer.json()


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals, without a float anywhere."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _town(value: str) -> str:
    return value if value.startswith("towns/") else f"towns/{value}"


def towns(http: httpx.Client) -> Iterator[str]:
    token = ""
    while True:
        page = call(http, "GET", "/v1/towns", pageSize=1000, pageToken=token)
        yield from (t["name"] for t in page.get("towns", []))
        token = page.get("nextPageToken", "")
        if not token:
            return


@dataclass(frozen=True)
class Statement:
    body: Mapping[str, Any]
    digest: str


def statement(http: httpx.Client, town: str, period: str) -> Statement:
    found = call(http, "GET", f"/v1/{town}/periods/{period}/statement")
    return Statement(json.loads(found["canonicalJson"]), found.get("statementHash", ""))


def statement_rows(body: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """The statement as sheet rows: label, yuan, fen (opening 0 ... closing 0)."""
    rows = [(label, yuan(int(body[key])), int(body[key])) for label, key in STATEMENT_ROWS[:3]]
    for category, fen in sorted(body.get("spent", {}).items()):
        rows.append((f"支出：{CATEGORY_LABELS.get(category, category)}", yuan(fen), int(fen)))
    rows += [(label, yuan(int(body[key])), int(body[key])) for label, key in STATEMENT_ROWS[3:]]
    return rows


def write_statement(found: Statement, output: Path) -> None:
    body = found.body
    if output.suffix == ".json":
        output.write_text(
            json.dumps(
                {"statement": body, "statementHash": found.digest}, ensure_ascii=False, indent=2
            )
        )
        return
    facts = (
        ("乡镇（街道）", str(body["town"])),
        ("期间", str(body["period"])),
        ("记账笔数", str(body["posting_count"])),
        ("结账人", str(body["closed_by"])),
        ("结账时间", str(body["closed_at"])),
        ("链头哈希", str(body["chain_head_hash"])),
        ("决算表哈希", found.digest),
    )
    _write_book(output, "决算表", statement_rows(body), facts)


def _write_book(
    output: Path, title: str, rows: list[tuple[str, str, int]], facts: tuple[tuple[str, str], ...]
) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(output))
    try:
        sheet = book.add_worksheet(title)
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, HEADERS, bold)
        for r, (label, text, fen) in enumerate(rows, start=1):
            sheet.write_string(r, 0, label)
            sheet.write_string(r, 1, text)
            sheet.write_number(r, 2, fen)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 2, 16)
        about = book.add_worksheet("说明")
        for r, (label, value) in enumerate(facts):
            about.write_string(r, 0, label)
            about.write_string(r, 1, value)
    finally:
        book.close()


def disclosure_rows(found: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    def fen(key: str) -> int:
        return int(found.get(key, {}).get("fen", 0))

    rows = [("核定分配", yuan(fen("allocated")), fen("allocated"))]
    for line in found.get("basis", []):
        month = line.get("month", {})
        label = (
            f"{month.get('year')}年{month.get('month')}月 "
            f"{LEVEL_LABELS.get(line.get('careLevel', ''), '')} "
            f"{line.get('personMonths', 0)}人月 × {yuan(int(line['standard']['fen']))}元"
        )
        amount = int(line.get("amount", {}).get("fen", 0))
        rows.append((label, yuan(amount), amount))
    rows.append(("收到拨款", yuan(fen("received")), fen("received")))
    for item in found.get("spent", []):
        key = _CATEGORY_OF_ENUM.get(item.get("category", ""), "other")
        amount = int(item.get("amount", {}).get("fen", 0))
        rows.append((f"支出：{CATEGORY_LABELS[key]}", yuan(amount), amount))
    rows.append(("退回市级", yuan(fen("returned")), fen("returned")))
    return rows


def _done(console: Console, text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


@app.command(
    "close",
    help=tr(
        "Close a period at exactly zero (rule F4), or say what is left; writes the statement "
        "(xlsx and JSON) of each town closed. Exit status 1 when any town is refused."
    ).render(),
)
def close(
    period: Annotated[
        str, typer.Option("--period", help=tr("The half-year, e.g. 2026H1.").render())
    ],
    town: Annotated[
        str | None, typer.Option("--town", help=tr("The town, towns/{{town}} or its id.").render())
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help=tr("Every town of the city, with progress.").render())
    ] = False,
    output_dir: Annotated[
        Path,
        typer.Option(
            "--output-dir", help=tr("Where each closed town's statement is written.").render()
        ),
    ] = Path("."),
    gateway: login.GatewayOption = None,
) -> None:
    console = Console()
    if every == (town is not None):
        raise typer.BadParameter(tr("give --town or --all, not both").render())
    refused = 0
    with client(gateway) as http:
        try:
            targets = list(towns(http)) if every else [_town(town or "")]
        except Refused as exc:
            _done(console, f"[red]{exc}[/]")
            raise typer.Exit(2) from None
        with Progress(console=Console(stderr=True), transient=True, disable=not every) as bar:
            task = bar.add_task(tr("closing").render(), total=len(targets))
            for name in targets:
                bar.advance(task)
                try:
                    call(http, "POST", f"/v1/{name}/periods/{period}:close", {})
                    found = statement(http, name, period)
                except Refused as exc:
                    refused += 1
                    rule = f" [{exc.rule}]" if exc.rule else ""
                    _done(
                        console,
                        tr(
                            "{town} {period}: refused{rule}: {reason}",
                            town=name,
                            period=period,
                            rule=rule,
                            reason=str(exc),
                        ).render(),
                    )
                    continue
                stem = output_dir / f"statement-{name.split('/')[-1]}-{period}"
                output_dir.mkdir(parents=True, exist_ok=True)
                write_statement(found, stem.with_suffix(".xlsx"))
                write_statement(found, stem.with_suffix(".json"))
                _done(
                    console,
                    tr(
                        "{town} {period}: closed at 0.00 元; statement written to {path}",
                        town=name,
                        period=period,
                        path=str(stem.with_suffix(".xlsx")),
                    ).render(),
                )
    if every:
        _done(
            console,
            tr(
                "{closed} closed, {refused} refused",
                closed=len(targets) - refused,
                refused=refused,
            ).render(),
        )
    if refused:
        raise typer.Exit(1)


@app.command(
    "statement",
    help=tr(
        "Write a closed period's statement (rule F5): opening 0, received, spent by category, "
        "returned, closing 0."
    ).render(),
)
def write_statement_command(
    town: Annotated[
        str, typer.Option("--town", help=tr("The town, towns/{{town}} or its id.").render())
    ],
    period: Annotated[
        str, typer.Option("--period", help=tr("The half-year, e.g. 2026H1.").render())
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help=tr("A .xlsx or .json file.").render())
    ],
    gateway: login.GatewayOption = None,
) -> None:
    with client(gateway) as http:
        try:
            write_statement(statement(http, _town(town), period), output)
        except Refused as exc:
            Console().print(str(exc), highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        Console().print(tr("written to {path}", path=str(output)).render(), highlight=False)


@app.command(
    "disclosure",
    help=tr(
        "Write the disclosure report of a closed period (rule F5), fit for publication: "
        "amounts, categories and person-month counts, no personal data."
    ).render(),
)
def write_disclosure(
    town: Annotated[
        str, typer.Option("--town", help=tr("The town, towns/{{town}} or its id.").render())
    ],
    period: Annotated[
        str, typer.Option("--period", help=tr("The half-year, e.g. 2026H1.").render())
    ],
    output: Annotated[
        Path, typer.Option("-o", "--output", help=tr("A .xlsx or .json file.").render())
    ],
    gateway: login.GatewayOption = None,
) -> None:
    with client(gateway) as http:
        try:
            found = call(http, "GET", f"/v1/{_town(town)}/periods/{period}/disclosure")
        except Refused as exc:
            Console().print(str(exc), highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        if output.suffix == ".json":
            output.write_text(json.dumps(found, ensure_ascii=False, indent=2))
        else:
            facts = (
                ("乡镇（街道）", _town(town)),
                ("期间", period),
                ("决算表哈希", str(found.get("statementHash", ""))),
            )
            _write_book(output, "公开", disclosure_rows(found), facts)
        Console().print(tr("written to {path}", path=str(output)).render(), highlight=False)


# --- the steps before the close --------------------------------------------------------------

LEGS = {
    "city-to-town": "DISBURSEMENT_LEG_CITY_TO_TOWN",
    "town-to-station": "DISBURSEMENT_LEG_TOWN_TO_STATION",
}
ACCOUNTS = {"town": "ACCOUNT_TOWN", "station": "ACCOUNT_STATION"}
Town = Annotated[
    str, typer.Option("--town", help=tr("The town, towns/{{town}} or its id.").render())
]
Period = Annotated[str, typer.Option("--period", help=tr("The half-year, e.g. 2026H1.").render())]
Amount = Annotated[
    str, typer.Option("--amount", help=tr("In yuan, e.g. 1234.56 (no fraction of a fen).").render())
]
RequestId = Annotated[
    str,
    typer.Option("--request-id", help=tr("The retry key: the same one never pays twice.").render()),
]


def _fen(amount: str) -> str:
    """Yuan typed by a person -> fen as ProtoJSON int64 text; a fraction of a fen is refused."""
    from sgz_runtime.errors import InvalidArgument
    from sgz_runtime.money import Fen

    try:
        return str(Fen.parse_yuan(amount, "--amount").fen)
    except InvalidArgument as exc:
        raise typer.BadParameter(exc.text.render(), param_hint="--amount") from None


def _send(method: str, path: str, body: Any, gateway: str | None) -> Any:
    with client(gateway) as http:
        try:
            return call(http, method, path, body)
        except Refused as exc:
            rule = f" [{exc.rule}]" if exc.rule else ""
            _done(Console(), tr("refused{rule}: {reason}", rule=rule, reason=str(exc)).render())
            raise typer.Exit(1) from None


PERIOD_STATES = {
    "PERIOD_STATE_OPEN": tr("open"),
    "PERIOD_STATE_ALLOCATED": tr("allocated"),
    "PERIOD_STATE_DISBURSED": tr("disbursed"),
    "PERIOD_STATE_CLOSED": tr("closed"),
}


def _money(value: Mapping[str, Any] | None) -> str:
    return yuan(int((value or {}).get("fen", 0)))


@app.command(
    "allocate",
    help=tr(
        "Compute the allocation of a period (rules F1, F2) as a draft a second person approves."
    ).render(),
)
def allocate(
    period: Period,
    town: Annotated[
        str | None,
        typer.Option("--town", help=tr("One town; every town of the city when left out.").render()),
    ] = None,
    reason: Annotated[
        str, typer.Option(help=tr("Why an approved allocation is corrected.").render())
    ] = "",
    override_unassessed: Annotated[
        str, typer.Option(help=tr("Why persons not yet assessed may be left out.").render())
    ] = "",
    gateway: login.GatewayOption = None,
) -> None:
    parent = f"{_town(town) if town else 'towns/-'}/periods/{period}"
    body = {"reason": reason, "unassessedOverrideReason": override_unassessed}
    found = _send("POST", f"/v1/{parent}/allocations:compute", body, gateway)
    for item in found.get("allocations", []):
        _done(
            Console(),
            tr(
                "{allocation}: {amount} 元 ({unassessed} person-months not assessed)",
                allocation=item["name"],
                amount=_money(item.get("amount")),
                unassessed=item.get("unassessedPersonMonths", 0),
            ).render(),
        )
        for warning in item.get("warnings", []):
            _done(Console(), f"  ! {warning}")
        for person in item.get("unassessedPersons", []):
            _done(Console(), tr("  not assessed: {person}", person=person).render())


@app.command(
    "approve",
    help=tr("Approve a draft allocation: never the person who computed it (rule F1).").render(),
)
def approve(
    allocation: Annotated[
        str,
        typer.Argument(
            help=tr("towns/{{town}}/periods/{{period}}/allocations/{{version}}").render()
        ),
    ],
    gateway: login.GatewayOption = None,
) -> None:
    found = _send("POST", f"/v1/{allocation}:approve", {}, gateway)
    _done(
        Console(),
        tr(
            "{allocation}: approved, {amount} 元",
            allocation=found["name"],
            amount=_money(found.get("amount")),
        ).render(),
    )


@app.command(
    "disburse",
    help=tr("Pay part of the approved allocation on, as one balanced posting (rule F1).").render(),
)
def disburse(
    town: Town,
    period: Period,
    leg: Annotated[str, typer.Option(help=tr("city-to-town or town-to-station.").render())],
    amount: Amount,
    request_id: RequestId,
    gateway: login.GatewayOption = None,
) -> None:
    if leg not in LEGS:
        raise typer.BadParameter(
            tr("choose city-to-town or town-to-station").render(), param_hint="--leg"
        )
    body = {"leg": LEGS[leg], "amount": {"fen": _fen(amount)}, "requestId": request_id}
    found = _send("POST", f"/v1/{_town(town)}/periods/{period}/disbursements", body, gateway)
    _done(Console(), tr("posted {posting}", posting=found["name"]).render())


@app.command(
    "return",
    help=tr("Return what is unspent to the city, as an explicit entry (rule F4).").render(),
)
def give_back(
    town: Town,
    period: Period,
    account: Annotated[str, typer.Option(help=tr("town or station.").render())],
    amount: Amount,
    request_id: RequestId,
    reason: Annotated[str, typer.Option(help=tr("Why.").render())] = "",
    gateway: login.GatewayOption = None,
) -> None:
    if account not in ACCOUNTS:
        raise typer.BadParameter(tr("choose town or station").render(), param_hint="--account")
    body = {
        "account": ACCOUNTS[account],
        "amount": {"fen": _fen(amount)},
        "requestId": request_id,
        "reason": reason,
    }
    found = _send("POST", f"/v1/{_town(town)}/periods/{period}/returns", body, gateway)
    _done(Console(), tr("posted {posting}", posting=found["name"]).render())


@app.command("show", help=tr("A period's state and balances (rules F1, F4).").render())
def show(town: Town, period: Period, gateway: login.GatewayOption = None) -> None:
    found = _send("GET", f"/v1/{_town(town)}/periods/{period}", None, gateway)
    state = PERIOD_STATES.get(str(found.get("state", "")), tr("unknown")).render()
    _done(
        Console(),
        tr(
            "{period}: {state}; allocated {allocated} 元, town holds {town} 元, "
            "station holds {station} 元, spent {spent} 元, returned {returned} 元",
            period=found["name"],
            state=state,
            allocated=_money(found.get("allocated")),
            town=_money(found.get("townBalance")),
            station=_money(found.get("stationBalance")),
            spent=_money(found.get("spent")),
            returned=_money(found.get("returned")),
        ).render(),
    )


# --- the dated settings (rules F2, F3) -----------------------------------------------------------

From = Annotated[
    str, typer.Option("--from", help=tr("The first day it applies, e.g. 2026-01-01.").render())
]


@app.command(
    "wage",
    help=tr(
        "Record the local minimum monthly wage from a date (the basis of the F2 floor)."
    ).render(),
)
def wage(
    from_: From,
    monthly: Annotated[str, typer.Option(help=tr("In yuan, e.g. 2490.00.").render())],
    gateway: login.GatewayOption = None,
) -> None:
    body = {"effectiveDate": from_, "monthly": {"fen": _fen(monthly)}}
    found = _send("POST", "/v1/minimumWages", body, gateway)
    _done(Console(), tr("recorded {name}", name=found["name"]).render())


@app.command(
    "standard",
    help=tr(
        "Record the city's monthly care standards from a date (rule F2), checked against the "
        "Jiangsu floor; below it only with a reason, and then with a warning wherever it is "
        "used."
    ).render(),
)
def standard(
    from_: From,
    self_care: Annotated[str, typer.Option(help=tr("Monthly, in yuan, for self-care.").render())],
    partial: Annotated[str, typer.Option(help=tr("Monthly, in yuan, for partial loss.").render())],
    full_loss: Annotated[str, typer.Option(help=tr("Monthly, in yuan, for full loss.").render())],
    below_floor_reason: Annotated[
        str,
        typer.Option(help=tr("Why an amount below the Jiangsu floor is set (recorded).").render()),
    ] = "",
    gateway: login.GatewayOption = None,
) -> None:
    amounts = (("SELF_CARE", self_care), ("PARTIAL", partial), ("FULL_LOSS", full_loss))
    body = {
        "effectiveDate": from_,
        "amounts": [
            {"careLevel": f"CARE_LEVEL_{k}", "monthly": {"fen": _fen(v)}} for k, v in amounts
        ],
        "belowFloorReason": below_floor_reason,
    }
    found = _send("POST", "/v1/careStandards", body, gateway)
    _done(Console(), tr("recorded {name}", name=found["name"]).render())
    if found.get("warning"):
        _done(Console(), f"  ! {found['warning']}")
