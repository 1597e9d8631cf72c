"""`sgz ledger export`: a town's work ledger (工作台账, rule V7) as xlsx with the columns towns
keep, streamed page by page through the gateway (docs/ledger.md)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import httpx
import typer
from rich.console import Console

from deploy import health
from sgz_cli.login import TokenAuth
from sgz_runtime.config import settings
from sgz_runtime.i18n import current_locale, tr

app = typer.Typer(
    help=tr("The work ledger (工作台账): export a town's ledger.").render(), no_args_is_help=True
)

CST = ZoneInfo("Asia/Shanghai")

#: DOMAIN.md's ledger columns, as towns keep them, in order.
COLUMNS: tuple[str, ...] = (
    "姓名",
    "身份证号",
    "村（社区）",
    "自理能力",
    "探访日期",
    "探访人",
    "居所卫生",
    "个人卫生",
    "饮食",
    "房屋安全",
    "身体状况",
    "发现问题",
    "处理情况",
    "联系人",
    "联系时间",
    "结果",
)
#: After the towns' columns: where the row sits in the chain, what it records, and for a
#: correction which entry it corrects and why (rule V7).
TRACE_COLUMNS: tuple[str, ...] = ("台账序号", "记录类别", "更正说明")

KIND_LABELS = {
    "LEDGER_ENTRY_KIND_VISIT": "探访",
    "LEDGER_ENTRY_KIND_ESCALATION": "上报",
    "LEDGER_ENTRY_KIND_CONTACT": "联系",
    "LEDGER_ENTRY_KIND_ARRANGEMENT": "安排",
    "LEDGER_ENTRY_KIND_ASSISTANCE": "协助",
    "LEDGER_ENTRY_KIND_OUTCOME": "结果",
    "LEDGER_ENTRY_KIND_CANCELLATION": "撤销",
    "LEDGER_ENTRY_KIND_CORRECTION": "更正",
}
_KIND_OF_PAYLOAD = {k.removeprefix("LEDGER_ENTRY_KIND_").lower(): k for k in KIND_LABELS}
CARE_LEVELS = {
    "CARE_LEVEL_SELF_CARE": "具备",
    "CARE_LEVEL_PARTIAL": "部分丧失",
    "CARE_LEVEL_FULL_LOSS": "完全丧失",
}
CHECK_LABELS = {
    "residence_hygiene": "居所卫生",
    "personal_hygiene": "个人卫生",
    "regular_diet": "饮食规律",
    "food_source": "食物来源",
    "able_to_feed_self": "自主进食",
    "house_safety": "房屋安全",
    "fire_electricity_safety": "用火用电安全",
    "illness": "身体状况",
    "mental_state": "精神状态",
    "subsidy_arrived": "补贴到位",
}
FINDING_LABELS = {
    "residence_hygiene": "居所卫生差",
    "personal_hygiene": "个人卫生差",
    "regular_diet": "饮食不规律",
    "food_source": "无食物来源",
    "able_to_feed_self": "不能自主进食",
    "house_safety": "房屋不安全",
    "fire_electricity_safety": "用火用电不安全",
    "illness": "患病",
    "mental_state": "精神状态异常",
    "subsidy_arrived": "补贴未到位",
}
RESULT_LABELS = {"fine": "正常", "problem": "有问题", "not_checked": "未检查"}
#: The towns' check columns and the checks (rule V2) each one reports.
CHECK_COLUMNS: dict[str, tuple[str, ...]] = {
    "居所卫生": ("residence_hygiene",),
    "个人卫生": ("personal_hygiene",),
    "饮食": ("regular_diet", "food_source", "able_to_feed_self"),
    "房屋安全": ("house_safety", "fire_electricity_safety"),
    "身体状况": ("illness", "mental_state"),
}
URGENCY_LABELS = {"immediate": "立即", "prompt": "及时"}
ACTION_LABELS = {
    "cleaning": "清洁居所",
    "hospital_admission": "住院治疗",
    "institution_admission": "入住集中供养机构",
}
CHANNEL_LABELS = {"phone": "电话", "in_person": "当面", "message": "短信/微信"}
OUTCOME_LABELS = {
    "cleaned": "已清洁",
    "admitted_to_hospital": "已住院治疗",
    "admitted_to_institution": "已入住供养机构",
    "declined_by_person": "本人拒绝",
    "resolved_otherwise": "已另行解决",
}
ID_PURPOSE = "工作台账导出 (sgz ledger export)"
#: Persons per page of the bulk export that reads full ID numbers (the roster allows 10000).
EXPORT_PAGE = 5000


class GatewayError(Exception):
    """The gateway answered with an error: its status and message."""


@dataclass
class Person:
    display_name: str = ""
    id_number: str = ""
    village: str = ""
    #: (first day, day after the last or None, CareLevel enum name), oldest first.
    care_levels: list[tuple[dt.date, dt.date | None, str]] = field(default_factory=list)

    def care_level_on(self, day: dt.date) -> str:
        for start, end, level in self.care_levels:
            if start <= day and (end is None or day < end):
                return CARE_LEVELS.get(level, "未评估")
        return "未评估"


class Gateway:
    """The few gateway calls the export makes, with ProtoJSON (camelCase) answers."""

    def __init__(self, client: httpx.Client):
        self.client = client

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        try:
            response = self.client.request(method, path, json=body, params=params or None)
        except httpx.HTTPError as exc:
            raise GatewayError(
                tr(
                    "the gateway is unreachable ({error}): is sgz up running?", error=str(exc)
                ).render()
            ) from None
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                message = f"{error.get('status', response.status_code)}: {error.get('message')}"
            except (ValueError, KeyError, TypeError):
                message = f"HTTP {response.status_code}: {response.text[:200]}"
            raise GatewayError(message)
        return response.json()

    def pages(self, path: str, key: str, **params: Any) -> Iterator[list[dict[str, Any]]]:
        token = ""
        while True:
            page = self.call("GET", path, pageSize=1000, pageToken=token, **params)
            yield page.get(key, [])
            token = page.get("nextPageToken", "")
            if not token:
                return


def _date_params(prefix: str, day: dt.date) -> dict[str, int]:
    return {f"{prefix}.year": day.year, f"{prefix}.month": day.month, f"{prefix}.day": day.day}


def _date(value: Mapping[str, int] | None) -> dt.date | None:
    if not value or not value.get("year"):
        return None
    return dt.date(value["year"], value["month"], value["day"])


def _instant(text: str) -> dt.datetime | None:
    """An RFC 3339 or ISO 8601 time as naive China Standard Time (what a sheet shows)."""
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CST).replace(tzinfo=None)


class Directory:
    """Persons, villages and workers the rows name: the town's, fetched once in pages (memory
    grows with the town's persons, never with the ledger), anyone else asked for one by one.
    Full ID numbers come only with the town's persons, from one audited bulk export; a person
    of another town (moved away) keeps the masked number: never one reveal per person."""

    def __init__(
        self,
        gateway: Gateway,
        town: str,
        first: dt.date,
        last: dt.date,
        reveal: bool,
        purpose: str = ID_PURPOSE,
    ):
        self.gateway = gateway
        self.town = town
        self.first, self.last = first, last
        self.reveal = reveal
        self.purpose = purpose
        self.persons: dict[str, Person] = {}
        self.villages: dict[str, str] = {}
        self.workers: dict[str, str] = {}

    def load(self) -> None:
        for page in self.gateway.pages(f"/v1/{self.town}/villages", "villages"):
            self.villages.update({v["name"]: v.get("displayName", "") for v in page})
        if not (self.reveal and self._load_revealed()):
            for page in self.gateway.pages(f"/v1/{self.town}/persons", "persons"):
                for p in page:
                    self.persons[p["name"]] = self._person(p)
        period = {
            **_date_params("period.start_date", self.first),
            **_date_params("period.end_date", self.last),
        }
        for page in self.gateway.pages(f"/v1/{self.town}/personTimelines", "timelines", **period):
            for t in page:
                self._care(t)

    def _load_revealed(self) -> bool:
        """The town's persons with their full ID numbers, through the roster's bulk export:
        one call path, audited once with the purpose on its first page, however many persons
        and pages. False (and everything masked) when the caller's role may not read them."""
        body: dict[str, Any] = {
            "purpose": self.purpose,
            "revealIdNumbers": True,
            "pageSize": EXPORT_PAGE,
        }
        token = ""
        while True:
            try:
                page = self.gateway.call(
                    "POST",
                    f"/v1/{self.town}/persons:export",
                    {**body, "pageToken": token} if token else body,
                )
            except GatewayError as exc:
                if token or "PERMISSION_DENIED" not in str(exc):
                    raise
                self.reveal = False  # the caller may not read numbers: every one stays masked
                return False
            revealed = bool(page.get("idNumbersRevealed"))
            for exported in page.get("persons", []):
                found = exported.get("person", {})
                person = self._person(found)
                if revealed and exported.get("idNumber"):
                    person.id_number = str(exported["idNumber"])
                self.persons[found["name"]] = person
            if not revealed:
                self.reveal = False
            token = page.get("nextPageToken", "")
            if not token:
                return True

    @staticmethod
    def _person(found: Mapping[str, Any]) -> Person:
        """A person as the roster lists them, the ID number masked."""
        return Person(
            display_name=found.get("displayName", ""),
            id_number=found.get("idNumberMasked", ""),
            village=found.get("village", ""),
        )

    def _care(self, timeline: Mapping[str, Any]) -> None:
        person = self.persons.setdefault(timeline["person"], Person())
        person.care_levels = [
            (start, _date(span.get("endDate")), span.get("careLevel", ""))
            for span in timeline.get("careLevels", [])
            if (start := _date(span.get("startDate"))) is not None
        ]

    def person(self, name: str) -> Person:
        if name and name not in self.persons:
            try:
                self.persons[name] = self._person(self.gateway.call("GET", f"/v1/{name}"))
                found = self.gateway.call(
                    "GET",
                    f"/v1/{name}:timeline",
                    **_date_params("period.start_date", self.first),
                    **_date_params("period.end_date", self.last),
                )
                self._care(found)
            except GatewayError:
                self.persons[name] = Person()
        return self.persons.get(name, Person())

    def village(self, name: str) -> str:
        return self.villages.get(name, name)

    def worker(self, name: str) -> str:
        if name and name not in self.workers:
            try:
                self.workers[name] = self.gateway.call("GET", f"/v1/{name}").get(
                    "displayName", name
                )
            except GatewayError:
                self.workers[name] = name
        return self.workers.get(name, "")


def _check_text(check: Mapping[str, Any]) -> str:
    text = RESULT_LABELS.get(str(check.get("value", "")), str(check.get("value", "")))
    note = str(check.get("note", "") or "")
    return f"{text}（{note}）" if note else text


def check_cell(checks: Mapping[str, Any], items: tuple[str, ...]) -> str:
    """One check column: the check's result (and note); a column of several checks says 正常
    when all are fine, else names each one that is not."""
    present = [(i, checks[i]) for i in items if isinstance(checks.get(i), Mapping)]
    if not present:
        return ""
    if len(present) == 1:
        return _check_text(present[0][1])
    if all(c.get("value") == "fine" and not c.get("note") for _, c in present):
        return "正常"
    return "；".join(
        f"{CHECK_LABELS[i]}{_check_text(c)}"
        for i, c in present
        if c.get("value") != "fine" or c.get("note")
    )


def _findings(payload: Mapping[str, Any]) -> str:
    found = payload.get("findings")
    if not isinstance(found, list):
        return ""
    return "、".join(FINDING_LABELS.get(str(f), str(f)) for f in found) or "无"


def _with_note(text: str, payload: Mapping[str, Any]) -> str:
    note = str(payload.get("note", "") or "")
    return f"{text}（{note}）" if note and text else (text or note)


def _deadline_word(payload: Mapping[str, Any], done: str) -> str:
    within = payload.get("within_deadline")
    if within is None:
        return ""
    return f"按时{done}" if within else f"超时{done}"


def _cells_for(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The columns an entry of `kind` fills from its payload (docs/ledger.md)."""
    cells: dict[str, Any] = {}
    if kind == "LEDGER_ENTRY_KIND_VISIT":
        checks = payload.get("checks")
        if isinstance(checks, Mapping):
            for column, items in CHECK_COLUMNS.items():
                cells[column] = check_cell(checks, items)
        if "findings" in payload:
            cells["发现问题"] = _findings(payload)
        if payload.get("note"):
            cells["处理情况"] = str(payload["note"])
    elif kind == "LEDGER_ENTRY_KIND_ESCALATION":
        cells["发现问题"] = _findings(payload)
        urgency = URGENCY_LABELS.get(str(payload.get("urgency", "")), "")
        action = ACTION_LABELS.get(str(payload.get("action", "")), "")
        deadline = _instant(str(payload.get("contact_deadline", "")))
        text = f"{urgency}联系村（社区），需{action}" if urgency else f"需{action}"
        if deadline is not None:
            text += f"；联系时限{deadline:%Y-%m-%d %H:%M}"
        cells["处理情况"] = text
    elif kind == "LEDGER_ENTRY_KIND_CONTACT":
        cells["联系人"] = str(payload.get("contact_name", ""))
        cells["联系时间"] = _instant(str(payload.get("contact_at", "")))
        channel = CHANNEL_LABELS.get(str(payload.get("contact_method", "")), "")
        cells["处理情况"] = _with_note(f"已通知村（社区）（{channel}）" if channel else "", payload)
        cells["结果"] = _deadline_word(payload, "联系")
    elif kind == "LEDGER_ENTRY_KIND_ARRANGEMENT":
        action = ACTION_LABELS.get(str(payload.get("arranged_action", "")), "")
        on = str(payload.get("arranged_date", ""))
        cells["处理情况"] = _with_note(
            f"已安排{action}（{on}）" if on else f"已安排{action}", payload
        )
        cells["结果"] = _deadline_word(payload, "安排")
    elif kind == "LEDGER_ENTRY_KIND_ASSISTANCE":
        cells["处理情况"] = _with_note("协助办理手续", payload)
    elif kind == "LEDGER_ENTRY_KIND_OUTCOME":
        outcome = OUTCOME_LABELS.get(
            str(payload.get("outcome", "")), str(payload.get("outcome", ""))
        )
        on = str(payload.get("outcome_date", ""))
        cells["结果"] = _with_note(f"{outcome}（{on}）" if on else outcome, payload)
    elif kind == "LEDGER_ENTRY_KIND_CANCELLATION":
        cells["结果"] = f"已撤销：{payload.get('reason', '')}"
    return {k: v for k, v in cells.items() if v not in ("", None)}


def entry_row(
    entry: Mapping[str, Any], directory: Directory, original: Mapping[str, Any] | None = None
) -> list[Any]:
    """One sheet row for one ledger entry (ProtoJSON of sgz.visit.v1.LedgerEntry): the towns'
    columns, then the trace columns. A correction fills the columns it corrects, on the row of
    its own, and names the entry it corrects; the original row stays as it was recorded."""
    kind = str(entry.get("kind", ""))
    payload: Mapping[str, Any] = json.loads(entry.get("payloadJson") or "{}")
    about = payload
    if kind == "LEDGER_ENTRY_KIND_CORRECTION":
        shown_kind = _KIND_OF_PAYLOAD.get(str(payload.get("corrected_kind", "")), "")
        about = {**json.loads((original or {}).get("payloadJson") or "{}"), **payload}
        cells = _cells_for(shown_kind, payload)
        seq = str(entry.get("corrects", "")).rsplit("/", 1)[-1]
        cells["更正说明"] = f"更正第{seq}条：{entry.get('correctionReason', '')}"
    else:
        cells = _cells_for(kind, payload)
    # A correction speaks of the day of the entry it corrects.
    occurred = _instant(str((original or entry).get("occurTime", "")))
    person = directory.person(str(about.get("person", "")))
    cells["姓名"] = person.display_name
    cells["身份证号"] = person.id_number
    cells["村（社区）"] = directory.village(str(about.get("village", "") or person.village))
    if occurred is not None:
        cells["自理能力"] = person.care_level_on(occurred.date())
    if kind == "LEDGER_ENTRY_KIND_VISIT" and occurred is not None:
        cells["探访日期"] = occurred.date()
    cells["探访人"] = directory.worker(str(about.get("worker", "")))
    cells["台账序号"] = int(entry.get("sequence", 0))
    cells["记录类别"] = KIND_LABELS.get(kind, kind)
    return [cells.get(c, "") for c in (*COLUMNS, *TRACE_COLUMNS)]


@dataclass
class Summary:
    rows: int
    verification: Mapping[str, Any]
    ids_revealed: bool


def export_ledger(
    client: httpx.Client,
    town: str,
    first: dt.date,
    last: dt.date,
    output: Path,
    *,
    reveal: bool = False,
    purpose: str = ID_PURPOSE,
) -> Summary:
    """Writes the town's entries of first..last (CST, both included) to output, in sequence
    order, page by page in XlsxWriter's constant-memory mode, then a sheet with the chain's
    verification so the printed book can be checked against the system later. ID numbers are
    masked unless `reveal`: then the town's numbers are read with `purpose` in one bulk
    ExportPersons (paged), which the roster audits once, never one reveal per person."""
    import xlsxwriter

    gateway = Gateway(client)
    verification = gateway.call("GET", f"/v1/{town}:verifyLedger")
    directory = Directory(gateway, town, first, last, reveal, purpose)
    directory.load()
    book = xlsxwriter.Workbook(str(output), {"constant_memory": True})
    try:
        sheet = book.add_worksheet("工作台账")
        header = book.add_format({"bold": True})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(0, 0, (*COLUMNS, *TRACE_COLUMNS), header)
        rows = 0
        params = {**_date_params("start_date", first), **_date_params("end_date", last)}
        for page in gateway.pages(f"/v1/{town}/ledgerEntries", "ledgerEntries", **params):
            for entry in page:
                original = None
                if entry.get("corrects"):
                    original = gateway.call("GET", f"/v1/{entry['corrects']}")
                rows += 1
                for col, value in enumerate(entry_row(entry, directory, original)):
                    if value == "":
                        continue  # a blank cell, not an empty text
                    if isinstance(value, dt.datetime):
                        sheet.write_datetime(rows, col, value, moment)
                    elif isinstance(value, dt.date):
                        sheet.write_datetime(
                            rows, col, dt.datetime(value.year, value.month, value.day), day
                        )
                    elif isinstance(value, int):
                        sheet.write_number(rows, col, value)
                    else:
                        sheet.write_string(rows, col, str(value))
        check = book.add_worksheet("校验")
        facts = [
            ("镇（街道）", town_label(gateway, town)),
            ("导出区间", f"{first.isoformat()} 至 {last.isoformat()}"),
            ("导出条目数", str(rows)),
            ("哈希链", "完整" if verification.get("holds") else "已被改动"),
            ("链头序号", str(verification.get("headSequence", "0"))),
            ("链头哈希", str(verification.get("headHash", ""))),
            ("首个断点", str(verification.get("firstBrokenEntry", ""))),
            ("校验时间", china_time_text(str(verification.get("verifyTime", "")))),
        ]
        for r, (label, value) in enumerate(facts):
            check.write_string(r, 0, label)
            check.write_string(r, 1, value)
    finally:
        book.close()
    return Summary(rows, verification, directory.reveal)


def town_label(gateway: Gateway, town: str) -> str:
    """The town as a reader knows it: its name, with the resource name for the record
    (城东镇（towns/chengdong）); the resource name alone when the roster cannot say."""
    try:
        name = str(gateway.call("GET", f"/v1/{town}").get("displayName", ""))
    except GatewayError:
        name = ""
    return f"{name}（{town}）" if name else town


def china_time_text(text: str) -> str:
    """An RFC 3339 instant as China Standard Time, as the sheet's readers keep time:
    2026-11-20T08:00:00Z -> 2026-11-20 16:00:00（北京时间）."""
    moment = _instant(text)
    return f"{moment:%Y-%m-%d %H:%M:%S}（北京时间）" if moment is not None else ""


def _day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            tr("{text} is not a date like 2026-11-01", text=repr(text)).render(), param_hint=option
        ) from None


@app.command(
    "export",
    help=tr(
        "Write a town's work ledger for a period as xlsx, with the towns' columns and a 校验 "
        "sheet to check the printed book against the system. ID numbers are masked unless "
        "--reveal-id-numbers with a --purpose, for a role that may read them (each read is "
        "audited by the roster)."
    ).render(),
)
def export(
    town: Annotated[str, typer.Option("--town", help=tr("The town, towns/ID or its id.").render())],
    start: Annotated[
        str, typer.Option("--from", help=tr("First day (CST), e.g. 2026-07-01.").render())
    ],
    end: Annotated[str, typer.Option("--to", help=tr("Last day (CST, included).").render())],
    output: Annotated[
        Path, typer.Option("-o", "--output", help=tr("The .xlsx file to write.").render())
    ],
    gateway: Annotated[
        str | None,
        typer.Option(
            envvar="SGZ_GATEWAY_URL",
            help=tr("The gateway's URL (default: the local one).").render(),
        ),
    ] = None,
    reveal_id_numbers: Annotated[
        bool,
        typer.Option(
            help=tr(
                "Write full ID numbers instead of masked ones (needs --purpose and a role that "
                "may read them)."
            ).render()
        ),
    ] = False,
    purpose: Annotated[
        str,
        typer.Option(
            help=tr(
                "Why the full ID numbers are needed; kept in the roster's audit trail."
            ).render()
        ),
    ] = "",
) -> None:
    console = Console()
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        raise typer.BadParameter(tr("must not be before --from").render(), param_hint="--to")
    if reveal_id_numbers and not purpose.strip():
        raise typer.BadParameter(
            tr("say why the full ID numbers are needed").render(), param_hint="--purpose"
        )
    if not town.startswith("towns/"):
        town = f"towns/{town}"
    url = gateway or health.gateway_url(settings().host, settings().gateway_port)
    try:
        with httpx.Client(
            base_url=url,
            timeout=120.0,
            auth=TokenAuth(),
            headers={"Accept-Language": current_locale()},
        ) as client:
            summary = export_ledger(
                client, town, first, last, output, reveal=reveal_id_numbers, purpose=purpose.strip()
            )
    except GatewayError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    line = tr("{count} entries written to {path}", count=summary.rows, path=str(output)).render()
    if not summary.ids_revealed:
        line += tr(" (ID numbers masked)").render()
    console.print(f"[green]{line}[/]")
    if not summary.verification.get("holds"):
        broken = str(summary.verification.get("firstBrokenEntry", ""))
        console.print(
            "[red]"
            + tr(
                "the ledger's hash chain is broken at {entry}: tell the city civil-affairs "
                "bureau; do not print this book as the record",
                entry=broken,
            ).render()
            + "[/]"
        )
        raise typer.Exit(2)
