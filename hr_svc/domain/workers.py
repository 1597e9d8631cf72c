"""Workers of the stations and their employment (rules H1, H2, H5). Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hr_svc.domain.employment import EmploymentChange, EmploymentEvent, Spell, spells
from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr


class WorkerRole(enum.Enum):
    STATION_WORKER = "station_worker"
    #: The chief (rule H5) holds the post concurrently and does not count towards H1.
    STATION_CHIEF = "station_chief"


@dataclass
class Worker:
    id: str
    display_name: str
    town: str
    role: WorkerRole
    version: int = 0
    seq: int | None = None
    creator: str = ""
    create_time: datetime | None = None
    #: Personal data (R2 for the ID number): a keyed digest to match, the sealed value, the mask.
    id_digest: str | None = None
    id_sealed: str | None = None
    id_masked: str = ""
    phone_sealed: str | None = None
    phone_masked: str = ""
    #: Effective-dated, appended to, never rewritten (H2).
    employment: list[EmploymentEvent] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"workers/{self.id}"

    @property
    def is_chief(self) -> bool:
        return self.role is WorkerRole.STATION_CHIEF

    def spells(self) -> list[Spell]:
        return spells(self.employment)

    def current_spell(self) -> Spell | None:
        found = self.spells()
        return found[-1] if found else None


@dataclass(frozen=True)
class WorkerRef:
    """What reports show of a worker: who and where."""

    id: str
    display_name: str
    town: str

    @property
    def name(self) -> str:
        return f"workers/{self.id}"


def check_worker(worker: Worker, prefix: str = "worker.") -> None:
    violations: list[FieldViolation] = []
    if not worker.display_name.strip():
        violations.append(FieldViolation(prefix + "display_name", tr("must not be blank")))
    parts = worker.town.split("/")
    if len(parts) != 2 or parts[0] != "towns" or not parts[1]:
        violations.append(
            FieldViolation(prefix + "town", tr("must be a town name like towns/chengdong"))
        )
    if violations:
        raise InvalidArgument.of(violations)


def refuse_second_chief(chiefs: list[Worker], town: str, start: date) -> None:
    """Rule H5: one chief per town at a time. A new chief from `start` is refused while another
    chief of the town is in post on or after that day."""
    for other in chiefs:
        if other.town != town:
            continue
        for spell in other.spells():
            if spell.last is None or spell.last >= start:
                raise FailedPrecondition(
                    tr(
                        "{town} already has a station chief, {chief}, in post from {first}; "
                        "end that appointment first (one chief per town at a time)",
                        town=town,
                        chief=other.display_name,
                        first=spell.first.isoformat(),
                    ),
                    rule="H5",
                )


def join(worker: Worker, day: date, by: str, at: datetime) -> None:
    worker.employment.append(EmploymentEvent(worker.id, EmploymentChange.JOINED, day, "", by, at))


def leave(worker: Worker, last_day: date, reason: str, by: str, at: datetime) -> None:
    """Ends the employment after `last_day` (rule H2), appending to the history."""
    if not reason.strip():
        raise InvalidArgument.field("reason", tr("must not be blank"), rule="H2")
    current = worker.current_spell()
    if current is None or current.last is not None or last_day < current.first:
        raise FailedPrecondition(
            tr(
                "{worker} is not employed on {day}",
                worker=worker.name,
                day=last_day.isoformat(),
            ),
            rule="H2",
        )
    worker.employment.append(
        EmploymentEvent(
            worker.id, EmploymentChange.LEFT, last_day + timedelta(days=1), reason, by, at
        )
    )
