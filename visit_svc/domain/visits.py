"""A home visit and its checks (rule V2), and who may record it when (rule V9). Pure."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import Text, tr
from visit_svc.domain.timeline import PersonStatus, PersonTimeline
from visit_svc.domain.weeks import local_date


class CheckItem(enum.Enum):
    """What a visit checks (rule V2). The first seven are asked at every visit."""

    RESIDENCE_HYGIENE = "residence_hygiene"
    PERSONAL_HYGIENE = "personal_hygiene"
    REGULAR_DIET = "regular_diet"
    FOOD_SOURCE = "food_source"
    ABLE_TO_FEED_SELF = "able_to_feed_self"
    HOUSE_SAFETY = "house_safety"
    ILLNESS = "illness"
    FIRE_ELECTRICITY_SAFETY = "fire_electricity_safety"
    SUBSIDY_ARRIVED = "subsidy_arrived"
    MENTAL_STATE = "mental_state"


#: Rule V2: the five checks the policy text names, asked at every visit under any version.
TEXT_CHECKS: tuple[CheckItem, ...] = (
    CheckItem.RESIDENCE_HYGIENE,
    CheckItem.PERSONAL_HYGIENE,
    CheckItem.REGULAR_DIET,
    CheckItem.HOUSE_SAFETY,
    CheckItem.ILLNESS,
)

#: Rule V2 (Default): our extra checks, seeded into the first policy version; later versions
#: name their own (VisitPolicy.extra_checks).
DEFAULT_EXTRA_CHECKS: tuple[CheckItem, ...] = (CheckItem.FOOD_SOURCE, CheckItem.ABLE_TO_FEED_SELF)

#: What the first policy version asks at every visit, in the order of CheckItem.
REQUIRED_CHECKS: tuple[CheckItem, ...] = tuple(
    i for i in CheckItem if i in TEXT_CHECKS or i in DEFAULT_EXTRA_CHECKS
)


#: How a roster status is named in messages.
STATUS_TEXT: dict[PersonStatus, Text] = {
    PersonStatus.DISPERSED: tr("supported at home (dispersed)"),
    PersonStatus.IN_INSTITUTION: tr("in a care institution"),
    PersonStatus.HOSPITALISED: tr("in hospital"),
    PersonStatus.DECEASED: tr("deceased"),
    PersonStatus.EXITED: tr("no longer supported"),
}


class CheckResult(enum.Enum):
    FINE = "fine"
    PROBLEM = "problem"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class Check:
    result: CheckResult
    note: str = ""


@dataclass
class Visit:
    id: str
    person: str
    town: str
    village: str
    worker: str
    visited_at: datetime
    checks: dict[CheckItem, Check]
    notes: str = ""
    substitute_for: str | None = None
    recorded_by: str = ""
    recorded_at: datetime | None = None
    escalations: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"visits/{self.id}"

    def findings(self) -> list[CheckItem]:
        """The checks found a problem, in the order of CheckItem."""
        return [
            i
            for i in CheckItem
            if i in self.checks and self.checks[i].result is CheckResult.PROBLEM
        ]


def check_checks(
    checks: dict[CheckItem, Check],
    extra: tuple[CheckItem, ...] = DEFAULT_EXTRA_CHECKS,
    prefix: str = "visit.checks.",
) -> None:
    """Rule V2: the text's checks and the policy's extra ones each have a result; a problem or
    a skipped check says why."""
    violations: list[FieldViolation] = []
    for item in CheckItem:
        if (item in TEXT_CHECKS or item in extra) and item not in checks:
            violations.append(
                FieldViolation(
                    prefix + item.value, tr("must be FINE, PROBLEM or NOT_CHECKED"), "V2"
                )
            )
    for item, check in checks.items():
        if check.result is not CheckResult.FINE and not check.note.strip():
            violations.append(
                FieldViolation(
                    prefix + item.value + ".note",
                    tr("must say what the problem is, or why it was not checked"),
                    "V2",
                )
            )
    if violations:
        raise InvalidArgument(tr("the visit's checks are not complete"), violations, rule="V2")


def admit_visit(
    timeline: PersonTimeline, worker: str, visited_at: datetime, now: datetime, *, skew: timedelta
) -> str | None:
    """Rule V9: refuses a visit in the future, for a person not dispersed that day, or by a
    worker neither assigned nor a named substitute that day. Returns the absent worker when
    the visitor is a substitute."""
    if visited_at > now + skew:
        raise FailedPrecondition(tr("the visit time is in the future"), rule="V9")
    day = local_date(visited_at)
    if not timeline.dispersed_on(day):
        status = timeline.status_on(day)
        what = STATUS_TEXT[status] if status is not None else tr("not on the roster")
        raise FailedPrecondition(
            tr(
                "{person} was not supported at home on {day} ({what}); a visit is recorded only "
                "for days of care at home (rule V9)",
                person=timeline.person,
                day=day.isoformat(),
                what=what,
            ),
            rule="V9",
        )
    allowed, absent = timeline.standing_of(worker, day)
    if not allowed:
        raise FailedPrecondition(
            tr(
                "{worker} was neither assigned to {person} nor a named substitute on {day}",
                worker=worker,
                person=timeline.person,
                day=day.isoformat(),
            ),
            rule="V9",
        )
    return absent


def body_hash(payload: dict[str, object]) -> str:
    """A stable fingerprint of a request body, for AIP-155 retries."""
    encoded = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()


def visit_fingerprint(visit: Visit) -> str:
    return body_hash(
        {
            "person": visit.person,
            "worker": visit.worker,
            "visited_at": visit.visited_at.isoformat(),
            "notes": visit.notes,
            "checks": {i.value: [c.result.value, c.note] for i, c in visit.checks.items()},
        }
    )
