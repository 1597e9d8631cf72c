"""Training and continuing education (rule H9): records and each worker's hours per calendar
year against the dated requirement. Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr


class TrainingKind(enum.Enum):
    TRAINING = "training"
    CONTINUING_EDUCATION = "continuing_education"


@dataclass
class TrainingRecord:
    id: str
    worker_id: str
    kind: TrainingKind
    #: Hours in tenths (35 = 3.5 hours): whole numbers, never floats.
    tenth_hours: int
    provider: str
    date: date
    recorded_by: str = ""
    recorded_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"workers/{self.worker_id}/trainingRecords/{self.id}"


def check_training(
    record: TrainingRecord, today: date, max_tenth_hours: int, prefix: str = "training_record."
) -> None:
    violations: list[FieldViolation] = []
    if record.tenth_hours <= 0:
        violations.append(
            FieldViolation(prefix + "tenth_hours", tr("must be more than 0 hours"), "H9")
        )
    elif record.tenth_hours > max_tenth_hours:
        violations.append(
            FieldViolation(
                prefix + "tenth_hours",
                tr(
                    "{hours} hours is more than one record may carry ({limit} hours); "
                    "record a long course as several records",
                    hours=format_hours(record.tenth_hours),
                    limit=format_hours(max_tenth_hours),
                ),
                "H9",
            )
        )
    if not record.provider.strip():
        violations.append(FieldViolation(prefix + "provider", tr("must not be blank"), "H9"))
    if record.date > today:
        violations.append(
            FieldViolation(
                prefix + "date",
                tr("{day} is in the future", day=record.date.isoformat()),
                "H9",
            )
        )
    if violations:
        raise InvalidArgument.of(violations)


def hours_in_year(records: list[TrainingRecord], year: int) -> int:
    """Tenths of an hour recorded in the calendar year (rule H9)."""
    return sum(r.tenth_hours for r in records if r.date.year == year)


def format_hours(tenth_hours: int) -> str:
    """`30`, `27.5`: tenths of an hour as people write hours."""
    whole, tenth = divmod(tenth_hours, 10)
    return f"{whole}" if tenth == 0 else f"{whole}.{tenth}"
