"""Assignments of persons to workers, substitutes, and four-party agreements (rule R5).
Pure: no SQL, no gRPC."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr


@dataclass
class Assignment:
    """From start_date the person is in the worker's caseload, until the next assignment."""

    id: str
    person_id: str
    worker: str
    start_date: dt.date

    @property
    def name(self) -> str:
        return f"persons/{self.person_id}/assignments/{self.id}"


@dataclass
class Substitution:
    """The chief names `substitute` to stand in for `worker` from start to end (exclusive)."""

    id: str
    town_id: str
    worker: str
    substitute: str
    start_date: dt.date
    end_date: dt.date
    reason: str = ""

    @property
    def name(self) -> str:
        return f"towns/{self.town_id}/substitutions/{self.id}"


@dataclass
class Agreement:
    """A four-party service agreement (R5): the town, the village, the worker, the person."""

    id: str
    person_id: str
    town_id: str
    village_id: str
    worker: str
    signed_date: dt.date
    document_reference: str

    @property
    def name(self) -> str:
        return f"persons/{self.person_id}/agreements/{self.id}"


class MissingReason(enum.Enum):
    NONE = "none"
    WORKER_CHANGED = "worker_changed"


def check_worker_name(field: str, worker: str) -> None:
    parts = worker.split("/")
    if len(parts) != 2 or parts[0] != "workers" or not parts[1]:
        raise InvalidArgument.field(field, tr("must be a worker name such as workers/w1"))


def check_worker_town(field: str, worker: str, worker_town: str | None, town: str) -> None:
    """Rule R5: the worker party of a person's agreement is a worker of the person's town."""
    if worker_town is None:
        # HR hides workers outside the caller's scope: unknown, or of another town.
        raise InvalidArgument.field(
            field,
            tr("{worker} is not a worker HR knows in {town}", worker=worker, town=town),
            rule="R5",
        )
    if worker_town != town:
        raise FailedPrecondition(
            tr(
                "{field}: {worker} works for {worker_town}, not {town}",
                field=field,
                worker=worker,
                worker_town=worker_town,
                town=town,
            ),
            rule="R5",
        )


def check_assignment_order(history: Sequence[Assignment], assignment: Assignment) -> None:
    """Rule R6: a new assignment starts after the latest; history is never rewritten."""
    if history:
        latest = max(history, key=lambda a: a.start_date)
        if assignment.start_date <= latest.start_date:
            raise FailedPrecondition(
                tr(
                    "the person is assigned from {start_date}; a new assignment must start "
                    "after it",
                    start_date=latest.start_date,
                ),
                rule="R6",
            )


def check_substitution(substitution: Substitution, prefix: str = "substitution.") -> None:
    violations: list[FieldViolation] = []
    if substitution.end_date <= substitution.start_date:
        violations.append(FieldViolation(prefix + "end_date", tr("must be after start_date")))
    if substitution.substitute == substitution.worker:
        violations.append(
            FieldViolation(prefix + "substitute", tr("must be another worker than the absent one"))
        )
    if violations:
        raise InvalidArgument(tr("the substitution is not valid"), violations)


def check_substitution_overlap(existing: Sequence[Substitution], new: Substitution) -> None:
    """One substitute at a time per absent worker (R6: periods may not overlap)."""
    for s in existing:
        if s.start_date < new.end_date and new.start_date < s.end_date:
            raise FailedPrecondition(
                tr(
                    "{worker} already has a substitute from {start_date} to {end_date}",
                    worker=new.worker,
                    start_date=s.start_date,
                    end_date=s.end_date,
                ),
                rule="R6",
            )


def missing_reason(
    current_worker: str, latest_agreement_worker: str | None
) -> MissingReason | None:
    """Rule R5: none signed, or signed with a worker other than the one assigned now ("" when
    none is). The roster's list query (missing_agreements) says the same in SQL; the property
    test tests/integration/test_roster_agreements_property.py holds the two equal."""
    if latest_agreement_worker is None:
        return MissingReason.NONE
    if latest_agreement_worker != current_worker:
        return MissingReason.WORKER_CHANGED
    return None
