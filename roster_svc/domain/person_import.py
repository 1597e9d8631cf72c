"""Rows of a town's roster file, validated one by one (rules R1, R2, R3). Pure: no SQL, no gRPC.

Every problem of every row is collected (not only the first), each naming the row, the field
and the rule, so a town can fix its file in one pass. ID numbers never appear in a problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from roster_svc.domain.assessments import INDICATORS, care_level_of
from roster_svc.domain.persons import CareLevel
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import Text, tr
from sgz_runtime.pii.phones import fast_phone
from sgz_runtime.pii.resident_id import ResidentId
from sgz_runtime.pii.resident_id import parse as parse_resident_id

#: Why a row is refused: a catalog text, a plain string, or the ValueError that says it.
Reason = str | Text | BaseException


def said(reason: Reason) -> str:
    """A reason in the reader's language: the caller's locale while a call is served, so an
    import report reads in Chinese by default and in English on request."""
    if isinstance(reason, BaseException):
        reason = reason.args[0] if reason.args else str(reason)
    return reason.render() if isinstance(reason, Text) else str(reason)


#: The most rows one import call takes.
MAX_BATCH = 5000

#: Answers to an indicator, as towns write them: can do it unaided (True) or not (False).
_YES = {"是", "能", "可以", "会", "自理", "√", "✓", "✔", "Y", "YES", "1", "TRUE", "T"}
_NO = {"否", "不能", "不可以", "不会", "不能自理", "×", "✗", "✘", "X", "N", "NO", "0", "FALSE", "F"}
_ANSWERS: dict[str, bool] = {**dict.fromkeys(_YES, True), **dict.fromkeys(_NO, False)}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


@dataclass(frozen=True)
class ImportRow:
    """One row as read from the file: the text of each cell."""

    row_number: int
    display_name: str = ""
    id_number: str = ""
    village: str = ""
    address: str = ""
    phone: str = ""
    eating: str = ""
    dressing: str = ""
    transferring: str = ""
    toileting: str = ""
    indoor_walking: str = ""
    bathing: str = ""
    assessor: str = ""
    assessed_date: str = ""
    #: 乡镇（街道）: read only for a file spanning towns.
    town: str = ""


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in one row."""

    row_number: int
    field: str
    reason: str
    rule: str = ""


@dataclass(frozen=True)
class ImportedAssessment:
    assessor: str
    assessment_date: dt.date
    answers: dict[str, bool]
    care_level: CareLevel


@dataclass(frozen=True)
class ValidRow:
    """A row that passed: what will be written."""

    row_number: int
    resident_id: ResidentId
    display_name: str
    town_id: str
    village_id: str
    address: str
    phone: str
    assessment: ImportedAssessment | None


@dataclass
class Checked:
    """The rows of a batch sorted into valid ones and problems."""

    valid: list[ValidRow] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def bad_rows(self) -> set[int]:
        return {p.row_number for p in self.errors}


@dataclass(frozen=True)
class ImportDefaults:
    """Values for rows that leave them empty, given once for the whole file."""

    assessor: str = ""
    assessed_date: dt.date | None = None


def parse_answer(text: str) -> bool | None:
    """True (can do it unaided), False, or None when empty; ValueError when unreadable."""
    found = _ANSWERS.get(text)  # the common case: the cell holds exactly 是 or 否
    if found is not None:
        return found
    value = text.strip().upper()
    if not value:
        return None
    if value in _ANSWERS:
        return _ANSWERS[value]
    raise ValueError(
        tr("is not an answer (是/否, 能/不能, √/×, 1/0): {value}", value=repr(text.strip()[:20]))
    )


def parse_date(text: str) -> dt.date:
    """YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日 or YYYYMMDD; ValueError otherwise."""
    value = text.strip()
    if len(value) == 8 and value.isdigit():
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    found = _DATE.match(value)
    if found is None:
        # An Excel cell holding a date and a time, as the file reader renders it.
        value = value.split(" ")[0].split("T")[0]
        found = _DATE.match(value)
    if found is None:
        raise ValueError(tr("is not a date (YYYY-MM-DD): {value}", value=repr(text.strip()[:20])))
    return dt.date(int(found[1]), int(found[2]), int(found[3]))


class VillageIndex:
    """The villages of one town, found by display name (as towns write it) or by id."""

    def __init__(self, villages: Iterable[tuple[str, str]]):
        self._by_name: dict[str, str | None] = {}
        self._ids: set[str] = set()
        for village_id, display_name in villages:
            self._ids.add(village_id)
            key = display_name.strip()
            # Two villages of one town with the same name: the name alone cannot tell them apart.
            self._by_name[key] = None if key in self._by_name else village_id

    def find(self, text: str) -> str:
        key = text.strip()
        if key in self._by_name:
            found = self._by_name[key]
            if found is None:
                raise ValueError(
                    tr("{key} names two villages of the town; use the village id", key=key)
                )
            return found
        if key in self._ids:
            return key
        raise ValueError(tr("{key} is not a village of the town in the roster", key=key))


class TownIndex:
    """The towns a file may name (those in the caller's scope): by id, administrative code or
    display name; a display name two towns share cannot be used."""

    def __init__(self, towns: Iterable[tuple[str, str, str]]):
        self._by_key: dict[str, str | None] = {}
        for town_id, code, display_name in towns:
            self._by_key[town_id] = town_id
            self._by_key[code] = town_id
            key = display_name.strip()
            if key in self._by_key and self._by_key[key] != town_id:
                self._by_key[key] = None
            else:
                self._by_key[key] = town_id

    def find(self, text: str) -> str:
        key = text.strip()
        if key not in self._by_key:
            raise ValueError(tr("{key} is not a town you may import into", key=key))
        found = self._by_key[key]
        if found is None:
            raise ValueError(tr("{key} names two towns; use the administrative code", key=key))
        return found


_NO_VILLAGES = VillageIndex([])


@dataclass(frozen=True)
class Places:
    """Where a batch's rows may live: one fixed town, or the towns rows name (`towns`)."""

    villages: dict[str, VillageIndex]
    fixed_town: str | None = None
    towns: TownIndex | None = None


def check_rows(
    rows: Iterable[ImportRow],
    places: Places,
    today: dt.date,
    defaults: ImportDefaults,
) -> Checked:
    """Validates every row; a repeated ID number within the rows is an error on the later row
    (rule R2: one ID, one person)."""
    checked = Checked()
    seen: dict[str, int] = {}
    for row in rows:
        problems: list[Problem] = []
        valid = _check_row(row, places, today, defaults, seen, problems, checked.warnings)
        if problems:
            checked.errors += problems
        elif valid is not None:
            checked.valid.append(valid)
    return checked


def _check_row(
    row: ImportRow,
    places: Places,
    today: dt.date,
    defaults: ImportDefaults,
    seen: dict[str, int],
    problems: list[Problem],
    warnings: list[Problem],
) -> ValidRow | None:
    n = row.row_number

    def bad(field: str, reason: Reason, rule: str = "") -> None:
        problems.append(Problem(n, field, said(reason), rule))

    name = row.display_name.strip()
    if not name:
        bad("display_name", tr("must not be blank"), "R1")
    elif len(name) > 100:
        bad("display_name", tr("is over 100 characters"), "R1")
    resident: ResidentId | None = None
    if not row.id_number.strip():
        bad("id_number", tr("must not be blank"), "R2")
    else:
        try:
            resident = parse_resident_id(row.id_number, today, field="id_number")
        except InvalidArgument as exc:
            for v in exc.violations:
                bad("id_number", v.description, v.rule or "R2")
    if resident is not None:
        first = seen.get(resident.number)
        if first is not None:
            bad(
                "id_number",
                tr("is the same ID number as row {first} (one ID, one person)", first=first),
                "R2",
            )
            resident = None
        else:
            seen[resident.number] = n
            for warning in resident.warnings:
                warnings.append(Problem(n, "id_number", warning, "R2"))
    town_id = places.fixed_town or ""
    if places.towns is not None:
        if not row.town.strip():
            bad("town", tr("must not be blank in a file spanning towns"), "R1")
        else:
            try:
                town_id = places.towns.find(row.town)
            except ValueError as exc:
                bad("town", exc, "R1")
    village_id = ""
    if not row.village.strip():
        bad("village", tr("must not be blank"), "R1")
    elif town_id:
        try:
            village_id = places.villages.get(town_id, _NO_VILLAGES).find(row.village)
        except ValueError as exc:
            bad("village", exc, "R1")
    address = row.address.strip()
    if len(address) > 200:
        bad("address", tr("is over 200 characters"), "R1")
    phone = row.phone.strip()
    if phone:
        try:
            phone = fast_phone(phone)
        except ValueError as exc:
            bad("phone", exc, "R1")
    assessment = _assessment(row, today, defaults, bad)
    if problems or resident is None:
        return None
    return ValidRow(n, resident, name, town_id, village_id, address, phone, assessment)


def _assessment(
    row: ImportRow,
    today: dt.date,
    defaults: ImportDefaults,
    report: Callable[[str, Reason, str], None],
) -> ImportedAssessment | None:
    """Rule R3: the six answers all given or all empty; given, they need an assessor and a
    date (from the row, else the file's defaults); the level is derived, never read."""
    texts = {i: getattr(row, i) for i in INDICATORS}
    if not any(t.strip() for t in texts.values()):
        return None
    answers: dict[str, bool] = {}
    ok = True
    for indicator, text in texts.items():
        try:
            answer = parse_answer(text)
        except ValueError as exc:
            report(indicator, exc, "R3")
            ok = False
            continue
        if answer is None:
            report(indicator, tr("must be answered: the six indicators go together"), "R3")
            ok = False
        else:
            answers[indicator] = answer
    assessor = row.assessor.strip() or defaults.assessor.strip()
    if not assessor:
        report("assessor", tr("must name the third-party assessor (or pass --assessor)"), "R3")
        ok = False
    when: dt.date | None = defaults.assessed_date
    if row.assessed_date.strip():
        try:
            when = parse_date(row.assessed_date)
        except ValueError as exc:
            report("assessed_date", exc, "R3")
            return None
    if when is None:
        report("assessed_date", tr("must give the assessment date (or pass --assessed-on)"), "R3")
        ok = False
    elif when > today:
        report("assessed_date", tr("is in the future"), "R3")
        ok = False
    if not ok or when is None:
        return None
    return ImportedAssessment(assessor, when, answers, care_level_of(answers))
