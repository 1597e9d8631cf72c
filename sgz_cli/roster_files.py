"""Reading a town's roster file (xlsx or CSV) into import rows, by its Chinese column headers.

CSV may be UTF-8 (with or without a BOM) or GB18030 (which Excel on a Chinese Windows
writes); xlsx is read with openpyxl in read-only mode, one row at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sgz.roster.v1 import roster_pb2 as pb

from sgz_runtime.i18n import tr

#: The columns towns use, by field of PersonImportRow; the first header is the one written.
COLUMNS: dict[str, tuple[str, ...]] = {
    "display_name": ("姓名",),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "village": ("村（社区）", "村(社区)", "村/社区", "所在村（社区）", "村居"),
    "address": ("地址", "家庭住址", "住址", "居住地址"),
    "phone": ("联系电话", "电话", "手机", "手机号码", "联系方式"),
    "eating": ("自主吃饭",),
    "dressing": ("自主穿衣",),
    "transferring": ("自主上下床",),
    "toileting": ("自主如厕",),
    "indoor_walking": ("室内自主行走",),
    "bathing": ("自主洗澡",),
    "assessor": ("评估机构", "评估人", "第三方评估机构"),
    "assessed_date": ("评估日期",),
    # A city-wide file names each row's town (id, administrative code or name); see --town.
    "town": ("乡镇（街道）", "乡镇(街道)", "乡镇", "镇（街道）", "街道（乡镇）"),
}
REQUIRED = ("display_name", "id_number", "village")
#: The header each field is reported and exported under.
HEADER_OF: dict[str, str] = {f: names[0] for f, names in COLUMNS.items()}

_SPACES = re.compile(r"[\s\u3000*＊]+")


def _key(header: str) -> str:
    """A header as compared: no blanks or required-marks, full-width parentheses."""
    return _SPACES.sub("", header).replace("(", "（").replace(")", "）")


_FIELD_OF: dict[str, str] = {_key(h): f for f, names in COLUMNS.items() for h in names}


class FileProblem(Exception):
    """The file as a whole cannot be read: unknown type, encoding or missing columns."""


@dataclass(frozen=True)
class Layout:
    """Which column holds which field; columns nobody knows are listed, not read."""

    columns: dict[str, int]
    ignored: tuple[str, ...]


def layout(headers: list[Any]) -> Layout:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, cell in enumerate(headers):
        text = "" if cell is None else str(cell)
        found = _FIELD_OF.get(_key(text))
        if found is None:
            if text.strip():
                ignored.append(text.strip())
            continue
        if found in columns:
            raise FileProblem(
                tr(
                    "two columns are {header}: columns {first} and {second}; keep one",
                    header=HEADER_OF[found],
                    first=columns[found] + 1,
                    second=index + 1,
                ).render()
            )
        columns[found] = index
    missing = [HEADER_OF[f] for f in REQUIRED if f not in columns]
    if missing:
        raise FileProblem(
            tr(
                "the header row lacks the column(s) {columns}: the first row names the columns "
                "(姓名, 身份证号, 村（社区）, ...)",
                columns="、".join(missing),
            ).render()
        )
    return Layout(columns, tuple(ignored))


def _text(cell: Any) -> str:
    """A cell as the text a town meant: Excel numbers without '.0', dates as YYYY-MM-DD."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "是" if cell else "否"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def detect_encoding(path: Path) -> str:
    """utf-8-sig for a BOM, utf-8 when the start decodes as UTF-8, else gb18030."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def count_rows(path: Path) -> int | None:
    """Data rows in the file, for the progress bar (None when unknown)."""
    if path.suffix.lower() == ".csv":
        lines = 0
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                lines += chunk.count(b"\n")
        return max(0, lines - 1)
    return None


def _rows_of(cells: Iterator[Any], first_row: int, found: Layout) -> Iterator[pb.PersonImportRow]:
    columns = list(found.columns.items())
    for number, values in enumerate(cells, start=first_row):
        if not values or all(v is None or v == "" for v in values):
            continue
        width = len(values)
        fields = {f: _text(values[i]) for f, i in columns if i < width}
        if not any(fields.values()):
            continue
        yield pb.PersonImportRow(row_number=number, **fields)


def read_rows(path: Path) -> tuple[Layout, Iterator[pb.PersonImportRow]]:
    """The file's layout and its data rows (numbered as in the file, the header being row 1)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        encoding = detect_encoding(path)
        handle = path.open(encoding=encoding, newline="")
        reader = csv.reader(handle)
        try:
            headers = next(reader)
        except StopIteration:
            raise FileProblem(tr("the file is empty").render()) from None
        except UnicodeDecodeError as exc:
            raise FileProblem(
                tr("the file is neither UTF-8 nor GB18030: {error}", error=str(exc)).render()
            ) from None
        found = layout(headers)

        def csv_rows() -> Iterator[pb.PersonImportRow]:
            try:
                yield from _rows_of(iter(reader), 2, found)
            except UnicodeDecodeError as exc:
                raise FileProblem(
                    tr(
                        "the file is not {encoding} throughout: {error}",
                        encoding=encoding,
                        error=str(exc),
                    ).render()
                ) from None
            finally:
                handle.close()

        return found, csv_rows()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise FileProblem(
                tr("not a readable xlsx file: {error}", error=str(exc)).render()
            ) from None
        sheet = book.worksheets[0]
        cells = sheet.iter_rows(values_only=True)
        try:
            headers = list(next(cells))
        except StopIteration:
            book.close()
            raise FileProblem(tr("the first sheet is empty").render()) from None
        found = layout(headers)

        def xlsx_rows() -> Iterator[pb.PersonImportRow]:
            try:
                yield from _rows_of(cells, 2, found)
            finally:
                book.close()

        return found, xlsx_rows()
    raise FileProblem(tr("only .xlsx and .csv files are read").render())
