"""Import rows: the file reader (headers, encodings, xlsx cells) and the row checks (R1-R3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgz.roster.v1 import roster_pb2 as pb

from bench.roster_data import check_digit
from roster_svc.domain.person_import import (
    ImportDefaults,
    ImportRow,
    Places,
    TownIndex,
    VillageIndex,
    check_rows,
    parse_answer,
    parse_date,
)
from sgz_cli.roster_files import FileProblem, detect_encoding, layout, read_rows
from sgz_cli.roster_import import run_import
from sgz_runtime.pii.phones import fast_phone, normalise_phone

TODAY = dt.date(2026, 11, 26)
GOOD = "11010519491231002X"
GOOD2 = "440524188001010014"
GOOD3 = "320621194905050019"
VILLAGES = VillageIndex([("xinhua", "新华村"), ("dongfeng", "东风社区")])
PLACES = Places({"chengdong": VILLAGES}, fixed_town="chengdong")
ANSWERS = dict.fromkeys(
    ("eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing"), "是"
)


def row(n: int = 2, /, **fields: str) -> ImportRow:
    values = {"display_name": "王秀英", "id_number": GOOD, "village": "新华村", **fields}
    return ImportRow(n, **values)


def problems(
    *rows: ImportRow, defaults: ImportDefaults | None = None
) -> list[tuple[int, str, str]]:
    checked = check_rows(rows, PLACES, TODAY, defaults or ImportDefaults())
    return [(p.row_number, p.field, p.rule) for p in checked.errors]


# --- the row checks ---


def test_good_row_passes_with_gender_birth_date_and_normalised_phone() -> None:
    checked = check_rows(
        [row(phone="13812345678", id_number=GOOD.lower())], PLACES, TODAY, ImportDefaults()
    )
    (valid,) = checked.valid
    assert valid.resident_id.number == GOOD  # rule R2: lowercase x is read as X
    assert valid.resident_id.birth_date == dt.date(1949, 12, 31)
    assert valid.phone == "+8613812345678" and valid.village_id == "xinhua"


def test_r2_wrong_check_digit_impossible_and_future_birth_dates_are_row_errors() -> None:
    future = "110105" + "20991231" + "002"
    found = problems(
        row(2, id_number=GOOD[:-1] + "1"),
        row(3, id_number="110105" + "19490230" + "0021"),
        row(4, id_number=future + check_digit(future)),
    )
    assert found == [(2, "id_number", "R2"), (3, "id_number", "R2"), (4, "id_number", "R2")]


def test_r2_the_same_id_twice_is_an_error_on_the_later_row() -> None:
    checked = check_rows([row(2), row(3, id_number=GOOD.lower())], PLACES, TODAY, ImportDefaults())
    assert [v.row_number for v in checked.valid] == [2]
    assert [(p.row_number, p.rule) for p in checked.errors] == [(3, "R2")]
    assert "与第 2 行身份证号相同" in checked.errors[0].reason  # Chinese by default


def test_unknown_address_code_warns_and_never_blocks() -> None:
    first17 = "990105" + "19491231" + "002"
    checked = check_rows(
        [row(id_number=first17 + check_digit(first17))], PLACES, TODAY, ImportDefaults()
    )
    assert len(checked.valid) == 1 and checked.errors == []
    assert [(w.field, w.rule) for w in checked.warnings] == [("id_number", "R2")]


def test_unknown_village_blank_name_and_bad_phone_are_each_reported() -> None:
    found = problems(row(2, village="不存在村", display_name=" ", phone="12345"))
    assert found == [(2, "display_name", "R1"), (2, "village", "R1"), (2, "phone", "R1")]


def test_village_may_be_named_by_id_and_a_shared_name_is_refused() -> None:
    assert problems(row(village="dongfeng")) == []
    twins = Places({"t": VillageIndex([("a", "新华村"), ("b", "新华村")])}, fixed_town="t")
    checked = check_rows([row()], twins, TODAY, ImportDefaults())
    assert "两个村（社区）" in checked.errors[0].reason


def test_r3_answers_all_or_none_and_an_assessment_needs_its_assessor_and_date() -> None:
    partial = {**ANSWERS, "bathing": ""}
    assert problems(row(**partial, assessor="第三方", assessed_date="2025-03-01")) == [
        (2, "bathing", "R3")
    ]
    assert problems(row(**ANSWERS)) == [(2, "assessor", "R3"), (2, "assessed_date", "R3")]
    assert problems(
        row(**{**ANSWERS, "eating": "也许"}, assessor="x", assessed_date="2025-03-01")
    ) == [(2, "eating", "R3")]
    assert problems(row(**ANSWERS, assessor="x", assessed_date="2099-01-01")) == [
        (2, "assessed_date", "R3")
    ]


def test_r3_level_is_derived_from_the_answers_and_file_defaults_fill_blanks() -> None:
    answers = {**ANSWERS, "eating": "否", "bathing": "×", "dressing": "不能", "toileting": "0"}
    defaults = ImportDefaults(assessor="南通市评估中心", assessed_date=dt.date(2025, 5, 1))
    checked = check_rows([row(**answers)], PLACES, TODAY, defaults)
    (valid,) = checked.valid
    assert valid.assessment is not None
    assert valid.assessment.care_level.value == "full_loss"  # 4 of 6 failed (R3)
    assert valid.assessment.assessor == "南通市评估中心"


def test_answers_and_dates_are_read_as_towns_write_them() -> None:
    assert [parse_answer(t) for t in ("是", " 能 ", "√", "y", "否", "×", "不能", "")] == [
        True, True, True, True, False, False, False, None,
    ]  # fmt: skip
    assert parse_date("2025/3/1") == parse_date("2025年3月1日") == parse_date("20250301")
    with pytest.raises(ValueError):
        parse_date("三月")


def test_a_city_wide_file_names_each_rows_town_by_code_name_or_id() -> None:
    towns = TownIndex([("chengdong", "320621100", "城东镇"), ("xicheng", "320622100", "西城街道")])
    places = Places({"chengdong": VILLAGES}, towns=towns)
    rows = [
        row(2, town="320621100"),
        row(3, town="城东镇", id_number=GOOD2),
        row(4, town="南京", id_number=GOOD3),
    ]
    checked = check_rows(rows, places, TODAY, ImportDefaults())
    assert [v.row_number for v in checked.valid] == [2, 3]
    assert [(p.row_number, p.field) for p in checked.errors] == [(4, "town")]


# --- the file reader ---


def test_headers_are_matched_with_full_or_half_width_parentheses_and_marks() -> None:
    found = layout(["序号", "*姓名", "身份证号码", "村(社区)", "联系电话", "备注"])
    assert found.columns == {"display_name": 1, "id_number": 2, "village": 3, "phone": 4}
    assert found.ignored == ("序号", "备注")


def test_a_file_without_a_required_column_is_refused_whole() -> None:
    with pytest.raises(FileProblem, match="村（社区）"):
        layout(["姓名", "身份证号"])


CSV = (
    "姓名,身份证号,村（社区）,联系电话\n"
    "王秀英,11010519491231002x,新华村,13812345678\n"
    ",,,\n"
    "李四,440524188001010014,东风社区,\n"
)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")],
)
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gb18030(
    tmp_path: Path, encoding: str, expected: str
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(CSV, encoding=encoding)
    assert detect_encoding(path) == expected
    _, rows = read_rows(path)
    read = list(rows)
    # Blank rows are skipped; row numbers stay those of the file.
    assert [(r.row_number, r.display_name, r.village) for r in read] == [
        (2, "王秀英", "新华村"),
        (4, "李四", "东风社区"),
    ]


def test_xlsx_cells_are_read_as_the_text_towns_meant(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "村（社区）", "联系电话", "评估日期", "自主吃饭"])
    sheet.append(["王秀英", GOOD, "新华村", 13812345678, dt.datetime(2025, 3, 1), True])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    _, rows = read_rows(path)
    (read,) = list(rows)
    assert (read.row_number, read.phone, read.assessed_date, read.eating) == (
        2, "13812345678", "2025-03-01", "是",
    )  # fmt: skip


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "roster.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileProblem, match="xlsx"):
        read_rows(path)


# --- the two passes ---


class FakeRoster:
    """Answers like the roster: rows in village "bad" are errors; good rows are staged (all of
    a batch's, or with valid_only the good ones) and written only by a commit."""

    def __init__(self) -> None:
        self.staged: dict[str, list[int]] = {}
        self.written: list[int] = []
        self.discarded: list[str] = []

    def __call__(self, request: pb.ImportPersonsRequest) -> pb.ImportPersonsResponse:
        errors = [
            pb.ImportRowProblem(
                row_number=r.row_number, field="village", reason="unknown", rule="R1"
            )
            for r in request.rows
            if r.village == "bad"
        ]
        good = [r.row_number for r in request.rows if r.village != "bad"]
        if not errors or request.valid_only:
            self.staged.setdefault(request.import_id, []).extend(good)
        return pb.ImportPersonsResponse(valid_rows=len(good), errors=errors)

    def commit(self, request: pb.CommitPersonImportRequest) -> pb.CommitPersonImportResponse:
        rows = self.staged.pop(request.import_id, [])
        if request.discard:
            self.discarded.append(request.import_id)
            return pb.CommitPersonImportResponse()
        self.written += rows
        return pb.CommitPersonImportResponse(created=len(rows))


def rows_of(villages: list[str]) -> list[pb.PersonImportRow]:
    return [
        pb.PersonImportRow(row_number=n, id_number=f"id{n}", village=v)
        for n, v in enumerate(villages, start=2)
    ]


def test_a_bad_row_in_a_later_batch_keeps_every_batch_from_being_written() -> None:
    roster = FakeRoster()
    report = run_import(
        rows_of(["ok"] * 5 + ["bad"]), "towns/t", roster, roster.commit, batch_size=2
    )
    assert not report.written and roster.written == []
    assert len(roster.discarded) == 1 and roster.staged == {}  # what was staged is discarded
    assert [(f.row_number, f.column, f.rule) for f in report.errors] == [(7, "村（社区）", "R1")]


def test_a_clean_file_is_applied_by_one_commit() -> None:
    roster = FakeRoster()
    report = run_import(rows_of(["ok"] * 5), "towns/t", roster, roster.commit, batch_size=2)
    assert report.written and report.created == 5 and sorted(roster.written) == [2, 3, 4, 5, 6]


def test_valid_only_writes_the_good_rows_of_every_batch() -> None:
    roster = FakeRoster()
    report = run_import(
        rows_of(["ok", "bad", "ok"]),
        "towns/t",
        roster,
        roster.commit,
        batch_size=2,
        valid_only=True,
    )
    assert report.written and sorted(roster.written) == [2, 4]


def test_r2_an_id_repeated_in_another_batch_is_caught_and_never_sent_to_be_written() -> None:
    roster = FakeRoster()
    rows = rows_of(["ok", "ok", "ok"])
    rows[2].id_number = "ID2 "  # the same as row 2 once normalised
    rows[0].id_number = "id2"
    report = run_import(rows, "towns/t", roster, roster.commit, batch_size=1, valid_only=True)
    assert [(f.row_number, f.rule) for f in report.errors] == [(4, "R2")]
    assert sorted(roster.written) == [2, 3]


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
        st.from_regex(r"0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}", fullmatch=True),
    )
)
def test_fast_phone_agrees_with_the_full_phone_check(phone: str) -> None:
    """The fast paths for mobiles and landlines answer exactly as the full parse does."""
    try:
        expected: str | None = normalise_phone(phone)
    except ValueError:
        expected = None
    try:
        found: str | None = fast_phone(phone)
    except ValueError:
        found = None
    assert found == expected


def test_an_import_report_reads_in_english_on_request() -> None:
    """Import problems are said in the caller's language: Chinese by default, English asked."""
    from sgz_runtime.i18n import use_locale

    rows = [row(2), row(3)]
    with use_locale("en"):
        checked = check_rows(rows, Places({"": VILLAGES}), TODAY, ImportDefaults())
    assert "row 2" in checked.errors[0].reason


def test_r3_an_assessment_made_today_is_imported_and_a_name_of_100_characters_too() -> None:
    """Rule R3: only a date after today is in the future; R1: 100 characters is the limit."""
    today = row(2, **ANSWERS, assessor="第三方", assessed_date=TODAY.isoformat())
    long_name = row(3, id_number=GOOD2, display_name="王" * 100)
    checked = check_rows([today, long_name], PLACES, TODAY, ImportDefaults())
    assert [v.row_number for v in checked.valid] == [2, 3]
    assert checked.valid[0].assessment is not None
    too_long = row(2, display_name="王" * 101)
    assert problems(too_long) == [(2, "display_name", "R1")]
