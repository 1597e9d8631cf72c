"""Social-work certificates (rule H7). Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr


class CertificateLevel(enum.IntEnum):
    """Ordered: any of the three is "junior or higher" (rule H7)."""

    #: 助理社会工作师
    JUNIOR = 1
    #: 社会工作师
    INTERMEDIATE = 2
    #: 高级社会工作师
    SENIOR = 3


CHINESE = {
    CertificateLevel.JUNIOR: "助理社会工作师",
    CertificateLevel.INTERMEDIATE: "社会工作师",
    CertificateLevel.SENIOR: "高级社会工作师",
}


@dataclass
class Certificate:
    id: str
    worker_id: str
    level: CertificateLevel
    number: str
    obtained_date: date
    recorded_by: str = ""
    recorded_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"workers/{self.worker_id}/certificates/{self.id}"


def best_held_on(certificates: list[Certificate], day: date) -> CertificateLevel | None:
    """The highest level obtained on or before day: a certificate dated on the day counts,
    one dated the day after does not (rule H7)."""
    held = [c.level for c in certificates if c.obtained_date <= day]
    return max(held) if held else None


def check_certificate(certificate: Certificate, today: date, prefix: str = "certificate.") -> None:
    violations: list[FieldViolation] = []
    if not certificate.number.strip():
        violations.append(FieldViolation(prefix + "number", tr("must not be blank"), "H7"))
    if certificate.obtained_date > today:
        violations.append(
            FieldViolation(
                prefix + "obtained_date",
                tr(
                    "{day} is in the future; record a certificate once it is obtained",
                    day=certificate.obtained_date.isoformat(),
                ),
                "H7",
            )
        )
    if violations:
        raise InvalidArgument.of(violations)
