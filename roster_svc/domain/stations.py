"""The town's social work station (rules S1, S2): its registration, premises and the "six
haves" (六有), checked when asked against the standards in force. Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field
from datetime import date

from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import Text, tr

# 统一社会信用代码 (GB 32100-2015): 18 characters, no I, O, S, V or Z.
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_WORKER = re.compile(r"^workers/[^/]+$")


@dataclass(frozen=True)
class StationStandard:
    """The standards a station is held to from `effective_from` on (rule S1, S2).

    The policy's values are the defaults of `roster_svc.station_settings`; a city that changes
    them adds a standard dated by when it takes effect, so past checks keep their answer.
    """

    effective_from: date
    #: S1: registered as a private non-enterprise unit (民非) by this day.
    registration_deadline: date = date(2022, 8, 31)
    #: S2: the office is at least this many square metres ...
    office_min_m2: float = 80.0
    #: ... and at most this many.
    office_max_m2: float = 120.0


def standard_on(standards: list[StationStandard], day: date) -> StationStandard:
    """The standard in force on day: the latest one effective by then (the earliest before)."""
    ordered = sorted(standards, key=lambda s: s.effective_from)
    found = ordered[0]
    for standard in ordered:
        if standard.effective_from <= day:
            found = standard
    return found


class Equipment(enum.Enum):
    """The office equipment of rule S2, in the order the policy lists it."""

    DESKS = "desks"
    COMPUTERS = "computers"
    NETWORK = "network"
    PRINTER = "printer"
    FILE_CABINETS = "file_cabinets"
    AIR_CONDITIONING = "air_conditioning"
    RULES_ON_WALL = "rules_on_wall"


#: What a gap calls each item, in the reader's language.
EQUIPMENT_NAMES: dict[Equipment, Text] = {
    Equipment.DESKS: tr("desks and chairs"),
    Equipment.COMPUTERS: tr("computers"),
    Equipment.NETWORK: tr("network access"),
    Equipment.PRINTER: tr("printer"),
    Equipment.FILE_CABINETS: tr("file cabinets"),
    Equipment.AIR_CONDITIONING: tr("air conditioning"),
    Equipment.RULES_ON_WALL: tr("rules on the wall"),
}


@dataclass
class Station:
    """The station of town `town_id`: a singleton that exists with its town (AIP-156).

    Only facts are stored; whether the station complies is computed when asked.
    """

    town_id: str
    display_name: str = ""
    #: S1: the day it was registered as 民非; None while not registered.
    registered_date: date | None = None
    #: S1: the 统一社会信用代码 of the registration.
    registration_number: str = ""
    #: S1, H5: the legal representative, the station chief: `workers/{w}` in HR.
    legal_representative: str = ""
    #: S1: the plate of the town charity association (慈善会) is hung.
    charity_plate_hung: bool = False
    #: S2: the office area in square metres; None when not recorded.
    office_area_m2: float | None = None
    #: S2: the equipment items present.
    equipment: set[Equipment] = field(default_factory=set)
    #: S2 (项目): the service projects the station runs.
    projects: list[str] = field(default_factory=list)
    #: S2 (经费): the account the town passes the subsidy on to (F1).
    funding_account: str = ""
    version: int = 0

    @property
    def name(self) -> str:
        return f"towns/{self.town_id}/station"

    @property
    def town(self) -> str:
        return f"towns/{self.town_id}"


def check_station(station: Station, today: date, prefix: str = "station.") -> None:
    """Refuses malformed facts with the fields at fault; compliance gaps are not refusals."""
    violations: list[FieldViolation] = []
    if station.registered_date is not None and station.registered_date > today:
        violations.append(
            FieldViolation(
                prefix + "registration.registered_date", tr("must not be in the future"), "S1"
            )
        )
    if station.registration_number and not _CREDIT_CODE.match(station.registration_number):
        violations.append(
            FieldViolation(
                prefix + "registration.registration_number",
                tr("must be an 18-character unified social credit code (统一社会信用代码)"),
                "S1",
            )
        )
    if station.legal_representative and not _WORKER.match(station.legal_representative):
        violations.append(
            FieldViolation(
                prefix + "registration.legal_representative",
                tr("must be a worker name such as workers/w1"),
                "S1",
            )
        )
    if station.registered_date is not None and not station.legal_representative:
        violations.append(
            FieldViolation(
                prefix + "registration.legal_representative",
                tr("a registered station has a legal representative, the station chief"),
                "S1",
            )
        )
    area = station.office_area_m2
    if area is not None and (math.isnan(area) or area <= 0 or area > 100_000):
        violations.append(
            FieldViolation(
                prefix + "office_area_square_metres", tr("must be a positive area"), "S2"
            )
        )
    if any(not p.strip() for p in station.projects):
        violations.append(FieldViolation(prefix + "projects", tr("must not hold blank names")))
    if violations:
        raise InvalidArgument(tr("the station is not valid"), violations)


class Timeliness(enum.Enum):
    """Where the station stands against the S1 registration deadline."""

    #: Not registered, and the deadline has not passed yet.
    PENDING = "pending"
    #: Not registered, and the deadline has passed.
    OVERDUE = "overdue"
    ON_TIME = "on_time"
    LATE = "late"


def registration_timeliness(station: Station, standard: StationStandard, today: date) -> Timeliness:
    """Rule S1: registered by the deadline (on time), after it (late), or not yet."""
    deadline = standard.registration_deadline
    if station.registered_date is None:
        return Timeliness.OVERDUE if today > deadline else Timeliness.PENDING
    return Timeliness.ON_TIME if station.registered_date <= deadline else Timeliness.LATE


class Have(enum.Enum):
    """The six haves (六有) of rule S2."""

    PREMISES = "premises"  # 有固定场所
    ORGANISATION = "organisation"  # 有组织机构
    STAFF = "staff"  # 有专业人员
    PROJECTS = "projects"  # 有服务项目
    FUNDING = "funding"  # 有工作经费
    RULES = "rules"  # 有规章制度


class HaveState(enum.Enum):
    MET = "met"
    NOT_MET = "not_met"
    #: What decides it lives in another service that could not be asked.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class HaveCheck:
    have: Have
    state: HaveState
    #: Why it is not met, one short sentence per gap, citing the rule (rendered in the reader's
    #: language where it is shown).
    gaps: tuple[Text, ...] = ()


@dataclass(frozen=True)
class Staffing:
    """What HR says about the station's staff: full-time workers, the chief not counted."""

    workers: int


@dataclass(frozen=True)
class Compliance:
    station: Station
    as_of: date
    timeliness: Timeliness
    haves: tuple[HaveCheck, ...]

    @property
    def compliant(self) -> bool:
        return all(h.state is HaveState.MET for h in self.haves)

    @property
    def haves_met(self) -> int:
        return sum(1 for h in self.haves if h.state is HaveState.MET)


def required_workers(villages: int) -> int:
    """Rule H1: max(3, ceil(villages / 6)) full-time workers, the chief not counted."""
    return max(3, math.ceil(villages / 6))


def _check(have: Have, gaps: list[Text]) -> HaveCheck:
    return HaveCheck(have, HaveState.NOT_MET if gaps else HaveState.MET, tuple(gaps))


def compliance(
    station: Station,
    standard: StationStandard,
    today: date,
    villages: int,
    staffing: Staffing | None,
) -> Compliance:
    """The six haves of rule S2 and the registration of rule S1, as of today.

    `staffing` is None when HR could not be asked: the staff have is then UNKNOWN, not failed.
    """
    premises: list[Text] = []
    area = station.office_area_m2
    if area is None:
        premises.append(tr("office area not recorded (S2)"))
    elif not standard.office_min_m2 <= area <= standard.office_max_m2:
        premises.append(
            tr(
                "office area {area} m² is outside {low}-{high} m² (S2)",
                area=f"{area:g}",
                low=f"{standard.office_min_m2:g}",
                high=f"{standard.office_max_m2:g}",
            )
        )
    for item in Equipment:
        if item is not Equipment.RULES_ON_WALL and item not in station.equipment:
            premises.append(tr("no {item} (S2)", item=EQUIPMENT_NAMES[item]))

    organisation: list[Text] = []
    timeliness = registration_timeliness(station, standard, today)
    if station.registered_date is None:
        organisation.append(tr("not registered as a private non-enterprise unit (S1)"))
    if not station.legal_representative:
        organisation.append(tr("no legal representative (the station chief) (S1)"))
    if not station.charity_plate_hung:
        organisation.append(tr("the charity association plate is not hung (S1)"))

    if staffing is None:
        staff = HaveCheck(
            Have.STAFF, HaveState.UNKNOWN, (tr("HR could not be asked for the station's staff"),)
        )
    else:
        needed = required_workers(villages)
        gaps: list[Text] = []
        if staffing.workers < needed:
            gaps.append(
                tr(
                    "{workers} full-time workers for {villages} villages; {needed} needed (H1)",
                    workers=staffing.workers,
                    villages=villages,
                    needed=needed,
                )
            )
        staff = _check(Have.STAFF, gaps)

    projects = [] if station.projects else [tr("no service project recorded (S2)")]
    funding = [] if station.funding_account.strip() else [tr("no funding account recorded (S2)")]
    rules = (
        [] if Equipment.RULES_ON_WALL in station.equipment else [tr("rules not on the wall (S2)")]
    )
    return Compliance(
        station=station,
        as_of=today,
        timeliness=timeliness,
        haves=(
            _check(Have.PREMISES, premises),
            _check(Have.ORGANISATION, organisation),
            staff,
            _check(Have.PROJECTS, projects),
            _check(Have.FUNDING, funding),
            _check(Have.RULES, rules),
        ),
    )


@dataclass(frozen=True)
class ComplianceSummary:
    """City-wide (or the caller's towns): how many stations meet each have and S1."""

    towns: int
    compliant: int
    have_met: dict[Have, int]
    have_unknown: dict[Have, int]
    timeliness: dict[Timeliness, int]


def summarise(checks: list[Compliance]) -> ComplianceSummary:
    met = dict.fromkeys(Have, 0)
    unknown = dict.fromkeys(Have, 0)
    timeliness = dict.fromkeys(Timeliness, 0)
    for check in checks:
        timeliness[check.timeliness] += 1
        for have in check.haves:
            if have.state is HaveState.MET:
                met[have.have] += 1
            elif have.state is HaveState.UNKNOWN:
                unknown[have.have] += 1
    return ComplianceSummary(
        towns=len(checks),
        compliant=sum(1 for c in checks if c.compliant),
        have_met=met,
        have_unknown=unknown,
        timeliness=timeliness,
    )
