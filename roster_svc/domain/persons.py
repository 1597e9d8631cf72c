"""Persons served (rule R1) and their effective-dated history (rule R6). Pure: no SQL, no gRPC.

History is kept as append-only events (a status change, an assessment, an assignment), each
holding from its effective date until the next event of the same kind: nothing is overwritten,
and the spans "as of D" and "during P" are derived from the events.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import Text, tr
from sgz_runtime.pii.phones import normalise_phone
from sgz_runtime.pii.resident_id import Gender


class PersonStatus(enum.Enum):
    DISPERSED = "dispersed"
    IN_INSTITUTION = "in_institution"
    HOSPITALISED = "hospitalised"
    DECEASED = "deceased"
    EXITED = "exited"


class CareLevel(enum.Enum):
    SELF_CARE = "self_care"
    PARTIAL = "partial"
    FULL_LOSS = "full_loss"


#: How a status is named in messages (rule R6).
STATUS_TEXT: dict[PersonStatus, Text] = {
    PersonStatus.DISPERSED: tr("supported at home (dispersed)"),
    PersonStatus.IN_INSTITUTION: tr("in a care institution"),
    PersonStatus.HOSPITALISED: tr("in hospital"),
    PersonStatus.DECEASED: tr("deceased"),
    PersonStatus.EXITED: tr("no longer supported"),
}


@dataclass
class Person:
    """A person on the roster. The ID number itself is never held here in clear: `id_hash`
    (keyed HMAC) matches it, `id_cipher` keeps it encrypted, `id_masked` shows it."""

    id: str
    town_id: str
    village_id: str
    display_name: str
    id_hash: str
    id_cipher: str
    id_masked: str
    gender: Gender
    birth_date: dt.date
    address: str = ""
    phone: str = ""
    version: int = 0

    @property
    def name(self) -> str:
        return f"persons/{self.id}"

    @property
    def town(self) -> str:
        return f"towns/{self.town_id}"

    @property
    def village(self) -> str:
        return f"towns/{self.town_id}/villages/{self.village_id}"


@dataclass
class StatusChange:
    """From effective_date on, the person is in status (R6). Append-only."""

    person_id: str
    status: PersonStatus
    effective_date: dt.date
    reason: str = ""
    request_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Facts:
    """What holds for a person on one day."""

    status: PersonStatus | None = None
    care_level: CareLevel | None = None
    worker: str = ""


def check_person(person: Person, prefix: str = "person.") -> None:
    """Checks the free fields (R1) and normalises the phone in place."""
    violations: list[FieldViolation] = []
    if not person.display_name.strip():
        violations.append(FieldViolation(prefix + "display_name", tr("must not be blank"), "R1"))
    elif len(person.display_name) > 100:
        violations.append(
            FieldViolation(prefix + "display_name", tr("is over 100 characters"), "R1")
        )
    if len(person.address) > 200:
        violations.append(FieldViolation(prefix + "address", tr("is over 200 characters"), "R1"))
    if person.phone:
        try:
            person.phone = normalise_phone(person.phone)
        except ValueError as exc:
            violations.append(FieldViolation(prefix + "phone", str(exc), "R1"))
    if violations:
        rule = violations[0].rule
        raise InvalidArgument(tr("the person is not valid"), violations, rule=rule)


def check_status_change(history: Sequence[StatusChange], change: StatusChange) -> None:
    """Rule R6: a change appends after the latest one; it never rewrites or overlaps history."""
    if not history:
        return
    latest = max(history, key=lambda c: c.effective_date)
    if change.effective_date <= latest.effective_date:
        raise FailedPrecondition(
            tr(
                "the status is recorded from {effective_date}; a change must take "
                "effect after it (history is never rewritten, and periods may not "
                "overlap)",
                effective_date=latest.effective_date,
            ),
            rule="R6",
        )
    if latest.status is PersonStatus.DECEASED:
        raise FailedPrecondition(tr("the person is deceased; no later status applies"), rule="R6")
    if latest.status is change.status:
        raise FailedPrecondition(
            tr(
                "the person is already {status} from {effective_date}; record only a change",
                status=STATUS_TEXT[change.status],
                effective_date=latest.effective_date,
            ),
            rule="R6",
        )


T = TypeVar("T")


@dataclass(frozen=True)
class Span(Generic[T]):
    """A value holding from start (inclusive) to end (exclusive; None while open)."""

    value: T
    start: dt.date
    end: dt.date | None = None

    def overlaps(self, start: dt.date, end: dt.date) -> bool:
        return self.start < end and (self.end is None or self.end > start)

    def days_within(self, start: dt.date, end: dt.date) -> int:
        lo = max(self.start, start)
        hi = end if self.end is None else min(self.end, end)
        return max(0, (hi - lo).days)


@dataclass(frozen=True)
class Period:
    """Days from start (inclusive) to end (exclusive)."""

    start: dt.date
    end: dt.date

    @classmethod
    def closed(cls, first: dt.date, last: dt.date) -> Period:
        return cls(first, last + dt.timedelta(days=1))


def spans(events: Iterable[T], start_of: Callable[[T], dt.date]) -> list[Span[T]]:
    """Each event holds from its date until the next event's (rule R6)."""
    ordered = sorted(events, key=start_of)
    found: list[Span[T]] = []
    for i, event in enumerate(ordered):
        end = start_of(ordered[i + 1]) if i + 1 < len(ordered) else None
        found.append(Span(event, start_of(event), end))
    return found


def clip(found: Iterable[Span[T]], period: Period) -> list[Span[T]]:
    """The spans overlapping period, cut to it: a span going on past the period (open or
    not) ends at the period's end, so every clipped span has an end."""
    clipped: list[Span[T]] = []
    for s in found:
        if not s.overlaps(period.start, period.end):
            continue
        end = period.end if s.end is None else min(s.end, period.end)
        clipped.append(Span(s.value, max(s.start, period.start), end))
    return clipped


def as_of(found: Iterable[Span[T]], day: dt.date) -> T | None:
    for s in found:
        if s.start <= day and (s.end is None or day < s.end):
            return s.value
    return None


@dataclass
class Timeline:
    """A person's history over a period: every span clipped to it."""

    person: Person
    statuses: list[Span[PersonStatus]] = field(default_factory=list)
    care_levels: list[Span[CareLevel]] = field(default_factory=list)
    assignments: list[Span[str]] = field(default_factory=list)
    #: (absent worker, substitute) spans naming a worker in `assignments`.
    substitutes: list[Span[tuple[str, str]]] = field(default_factory=list)
