"""Self-care assessments (rule R3) and re-assessments (rule R4). Pure: no SQL, no gRPC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from roster_svc.domain.persons import CareLevel
from roster_svc.domain.workdays import CalendarBasis
from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr

#: The six indicators of R3, in the order of the 特困人员认定办法.
INDICATORS: tuple[str, ...] = (
    "eating",  # 自主吃饭
    "dressing",  # 自主穿衣
    "transferring",  # 自主上下床
    "toileting",  # 自主如厕
    "indoor_walking",  # 室内自主行走
    "bathing",  # 自主洗澡
)


@dataclass
class Assessment:
    """A third-party assessment; each answer is True when the person can do it unaided,
    None when unanswered (refused by check_assessment)."""

    id: str
    person_id: str
    assessor: str
    assessment_date: dt.date
    eating: bool | None = None
    dressing: bool | None = None
    transferring: bool | None = None
    toileting: bool | None = None
    indoor_walking: bool | None = None
    bathing: bool | None = None
    care_level: CareLevel | None = None

    @property
    def name(self) -> str:
        return f"persons/{self.person_id}/assessments/{self.id}"

    def answers(self) -> dict[str, bool | None]:
        return {i: getattr(self, i) for i in INDICATORS}


def care_level_of(answers: dict[str, bool]) -> CareLevel:
    """Rule R3: 0 indicators failed -> self-care; 1..3 -> partial; 4..6 -> full loss."""
    fails = sum(1 for able in answers.values() if not able)
    if fails == 0:
        return CareLevel.SELF_CARE
    if fails <= 3:
        return CareLevel.PARTIAL
    return CareLevel.FULL_LOSS


def check_assessment(
    assessment: Assessment, today: dt.date, prefix: str = "assessment."
) -> CareLevel:
    """Rule R3: all six answered, a named assessor, a date not in the future; the level it
    derives (never typed in)."""
    violations = [
        FieldViolation(prefix + i, tr("must be answered (one of the six indicators)"), "R3")
        for i, answer in assessment.answers().items()
        if answer is None
    ]
    if not assessment.assessor.strip():
        violations.append(
            FieldViolation(prefix + "assessor", tr("must name the third party"), "R3")
        )
    if assessment.assessment_date > today:
        violations.append(FieldViolation(prefix + "assessment_date", tr("is in the future"), "R3"))
    if violations:
        raise InvalidArgument(tr("the assessment is not valid"), violations, rule="R3")
    answered = {k: bool(v) for k, v in assessment.answers().items()}
    return care_level_of(answered)


@dataclass
class Reassessment:
    """A reported change in self-care ability, due by due_date (rule R4)."""

    id: str
    person_id: str
    reported_date: dt.date
    due_date: dt.date
    due_date_basis: CalendarBasis
    description: str = ""
    assessment_id: str | None = None

    @property
    def name(self) -> str:
        return f"persons/{self.person_id}/reassessments/{self.id}"

    def overdue(self, today: dt.date) -> bool:
        """Rule R4: still unanswered after its due date; computed when asked, never stored."""
        return self.assessment_id is None and today > self.due_date
