"""Renewal eligibility at contract end (rules H7, H8, H9, A5) with every reason, and the early
warning of contracts ending soon whose worker has no certificate yet. Pure: no SQL, no gRPC."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from hr_svc.domain.calendar import add_months
from hr_svc.domain.certificates import CHINESE, Certificate, CertificateLevel, best_held_on
from hr_svc.domain.contracts import Contract, article_14
from hr_svc.domain.training import format_hours
from sgz_runtime.i18n import Text, tr


class Eligibility(enum.Enum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    #: The yearly assessment result is not available: HR does not guess it.
    UNDETERMINED = "undetermined"


class ReasonCode(enum.Enum):
    NO_CERTIFICATE = "NO_CERTIFICATE"
    ASSESSMENT_NOT_PASSED = "ASSESSMENT_NOT_PASSED"
    ASSESSMENT_NOT_AVAILABLE = "ASSESSMENT_NOT_AVAILABLE"
    TRAINING_SHORT = "TRAINING_SHORT"
    MUST_BE_OPEN_ENDED = "MUST_BE_OPEN_ENDED"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    rule: str
    blocking: bool
    text: Text


@dataclass(frozen=True)
class YearlyResult:
    """The town's yearly assessment of a worker (rule A5), as the assessment service says."""

    worker: str
    year: int
    passed: bool
    decided_by: str


@dataclass(frozen=True)
class RenewalAssessment:
    contract: Contract
    eligibility: Eligibility
    reasons: tuple[Reason, ...]
    assessment_year: int
    certificate: CertificateLevel | None
    training_tenth_hours: int
    open_ended_required: bool


def assessment_year(end: date) -> int:
    """The last calendar year complete on the contract's end date: its yearly result (A5) is
    the one H7 reads. A contract ending 31 December reads that year's."""
    return end.year if (end.month, end.day) == (12, 31) else end.year - 1


def assess_renewal(
    contract: Contract,
    *,
    all_contracts: list[Contract],
    certificates: list[Certificate],
    training_tenth_hours: int,
    required_tenth_hours: int,
    result: YearlyResult | None,
) -> RenewalAssessment:
    """Every reason for or against renewing a fixed-term contract at its end (rule H7):
    a junior-or-higher certificate obtained on or before the end date, the yearly assessment
    passed (A5), training hours (H9, a warning) and whether the renewal must be open-ended (H8)."""
    if contract.end_date is None:
        raise ValueError("an open-ended contract has no renewal")
    end = contract.end_date
    year = assessment_year(end)
    reasons: list[Reason] = []
    level = best_held_on(certificates, end)
    if level is None:
        reasons.append(
            Reason(
                ReasonCode.NO_CERTIFICATE,
                "H7",
                True,
                tr(
                    "no junior-or-higher social-work certificate obtained on or before the "
                    "contract's end date {end}",
                    end=end.isoformat(),
                ),
            )
        )
    undetermined = False
    if result is None:
        undetermined = True
        reasons.append(
            Reason(
                ReasonCode.ASSESSMENT_NOT_AVAILABLE,
                "A5",
                False,
                tr("the {year} assessment result is not available", year=year),
            )
        )
    elif not result.passed:
        reasons.append(
            Reason(
                ReasonCode.ASSESSMENT_NOT_PASSED,
                "H7",
                True,
                tr("did not pass the town's {year} assessment (A5)", year=year),
            )
        )
    if training_tenth_hours < required_tenth_hours:
        reasons.append(
            Reason(
                ReasonCode.TRAINING_SHORT,
                "H9",
                False,
                tr(
                    "training in {year}: {hours} of {required} hours, {short} short",
                    year=year,
                    hours=format_hours(training_tenth_hours),
                    required=format_hours(required_tenth_hours),
                    short=format_hours(required_tenth_hours - training_tenth_hours),
                ),
            )
        )
    art14 = article_14([c for c in all_contracts if c.start_date <= end], end + timedelta(days=1))
    if art14.open_ended_required and art14.because is not None:
        reasons.append(Reason(ReasonCode.MUST_BE_OPEN_ENDED, "H8", False, art14.because))
    if any(r.blocking for r in reasons):
        verdict = Eligibility.NOT_ELIGIBLE
    elif undetermined:
        verdict = Eligibility.UNDETERMINED
    else:
        verdict = Eligibility.ELIGIBLE
    return RenewalAssessment(
        contract,
        verdict,
        tuple(reasons),
        year,
        level,
        training_tenth_hours,
        art14.open_ended_required,
    )


def early_warning(
    contract: Contract, certificates: list[Certificate], on: date, months: int
) -> Text | None:
    """Rule H7's early warning: a fixed-term contract ending within `months` of `on` whose
    worker holds no junior-or-higher certificate on `on`."""
    if contract.end_date is None or not on <= contract.end_date <= add_months(on, months):
        return None
    if best_held_on(certificates, on) is not None:
        return None
    return tr(
        "the contract ends on {end} and no certificate ({junior} or higher) is held yet: "
        "without one it is not renewed (H7)",
        end=contract.end_date.isoformat(),
        junior=CHINESE[CertificateLevel.JUNIOR],
    )
