"""A person's history as the roster tells it (rule R6): status, assignment and substitutes,
each an effective-dated span. Pure values: the visit service never stores them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class PersonStatus(enum.Enum):
    DISPERSED = "dispersed"
    IN_INSTITUTION = "in_institution"
    HOSPITALISED = "hospitalised"
    DECEASED = "deceased"
    EXITED = "exited"


@dataclass(frozen=True)
class Span:
    """Days from start (included) to end (excluded; None = still open)."""

    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class StatusSpan(Span):
    status: PersonStatus = PersonStatus.DISPERSED


@dataclass(frozen=True)
class AssignmentSpan(Span):
    worker: str = ""


@dataclass(frozen=True)
class SubstituteSpan(Span):
    #: The absent worker, and the one the chief named to stand in (rule V9).
    worker: str = ""
    substitute: str = ""


@dataclass(frozen=True)
class PersonTimeline:
    person: str
    town: str
    village: str
    display_name: str = ""
    statuses: tuple[StatusSpan, ...] = field(default_factory=tuple)
    assignments: tuple[AssignmentSpan, ...] = field(default_factory=tuple)
    substitutes: tuple[SubstituteSpan, ...] = field(default_factory=tuple)

    def status_on(self, day: date) -> PersonStatus | None:
        for span in self.statuses:
            if span.covers(day):
                return span.status
        return None

    def dispersed_on(self, day: date) -> bool:
        """Rule V1/V8: only a person supported at home (R1) is visited at home."""
        return self.status_on(day) is PersonStatus.DISPERSED

    def worker_on(self, day: date) -> str | None:
        for span in self.assignments:
            if span.covers(day):
                return span.worker
        return None

    def substitutes_on(self, day: date) -> dict[str, str]:
        """The substitutes named for that day, each mapped to the absent worker."""
        return {s.substitute: s.worker for s in self.substitutes if s.covers(day)}

    def standing_of(self, worker: str, day: date) -> tuple[bool, str | None]:
        """Whether worker may visit on day (rule V9), and the absent worker they stand in for."""
        assigned = self.worker_on(day)
        if assigned is not None and assigned == worker:
            return True, None
        absent = self.substitutes_on(day).get(worker)
        if absent is not None and absent == assigned:
            return True, absent
        return False, None
