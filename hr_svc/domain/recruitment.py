"""Recruitment (rules H3, H4): applicants ranked in priority tiers, each with its reasons;
offers up to the number of posts. Pure: no SQL, no gRPC.

Tier 1 (H4): former civil-affairs public-welfare post holders with a junior-or-higher
certificate who opted to go straight to interview; their combined score is the interview score.
Tier 2 (H3): college graduates (大专 or above) of the last five years counted to the round's
date, the fifth anniversary itself inside, registered (户籍) or living (常住地) in the town.
Tier 3: everyone else. Within a tier: the combined score, then the interview score, then the
applicant id, so the order never depends on input order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from hr_svc.domain.calendar import add_years
from hr_svc.domain.certificates import CertificateLevel
from sgz_runtime.errors import FieldViolation, InvalidArgument
from sgz_runtime.i18n import Text, tr
from sgz_runtime.money import round_half_up

#: Scores are in hundredths: 0 to 100.00.
MAX_SCORE = 10000


class Education(enum.IntEnum):
    SECONDARY = 1
    COLLEGE = 2
    BACHELOR = 3
    POSTGRADUATE = 4


class Tier(enum.IntEnum):
    WELFARE_POST = 1
    LOCAL_GRADUATE = 2
    OPEN = 3


@dataclass(frozen=True)
class Applicant:
    applicant_id: str
    display_name: str
    education: Education
    graduation_date: date | None
    household_town: str
    residence_town: str
    former_welfare_post: bool
    certificate: CertificateLevel | None
    straight_to_interview: bool
    #: Hundredths (8250 = 82.50); not used in tier 1.
    written_score: int
    interview_score: int


@dataclass(frozen=True)
class Ranked:
    applicant: Applicant
    tier: Tier
    #: Hundredths, rounded half up.
    combined: int
    rank: int
    offered: bool
    reasons: tuple[Text, ...] = field(default_factory=tuple)


def graduated_within_five_years(graduation: date, round_date: date) -> bool:
    """Rule H3: counted to the round's date, the fifth anniversary itself is inside."""
    return graduation <= round_date <= add_years(graduation, 5)


def _score(value: int) -> str:
    whole, cents = divmod(value, 100)
    return f"{whole}.{cents:02d}"


def place(applicant: Applicant, town: str, round_date: date) -> tuple[Tier, list[Text]]:
    """The applicant's tier and why (rules H3, H4)."""
    reasons: list[Text] = []
    certified = applicant.certificate is not None
    if applicant.former_welfare_post and certified and applicant.straight_to_interview:
        return Tier.WELFARE_POST, [
            tr(
                "tier 1: former public-welfare post holder with a junior-or-higher certificate "
                "who chose to go straight to interview (H4)"
            )
        ]
    if applicant.straight_to_interview:
        reasons.append(
            tr(
                "asked to go straight to interview, but that is only for former public-welfare "
                "post holders with a junior-or-higher certificate (H4): takes the written exam"
            )
        )
    local = town in (applicant.household_town, applicant.residence_town)
    graduate = applicant.education >= Education.COLLEGE
    if graduate and local and applicant.graduation_date is not None:
        if graduated_within_five_years(applicant.graduation_date, round_date):
            reasons.append(
                tr(
                    "tier 2: graduated on {graduated}, within five years of the round "
                    "({round}), registered or living in the town (H3)",
                    graduated=applicant.graduation_date.isoformat(),
                    round=round_date.isoformat(),
                )
            )
            return Tier.LOCAL_GRADUATE, reasons
        reasons.append(
            tr(
                "tier 3: graduated on {graduated}, more than five years before the round (H3)",
                graduated=applicant.graduation_date.isoformat(),
            )
        )
    elif graduate and not local:
        reasons.append(tr("tier 3: neither registered nor living in the town (H3)"))
    else:
        reasons.append(tr("tier 3: no college degree (H3)"))
    return Tier.OPEN, reasons


def check_applicants(applicants: list[Applicant], town: str, prefix: str = "applicants") -> None:
    """Every applicant can be placed and scored; all violations at once (rules H3, H4)."""
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    for i, a in enumerate(applicants):
        path = f"{prefix}[{i}]."
        if a.applicant_id in seen or not a.applicant_id.strip():
            violations.append(
                FieldViolation(path + "applicant_id", tr("must be set and unique"), "H3")
            )
        seen.add(a.applicant_id)
        local = town in (a.household_town, a.residence_town)
        tier_1 = a.former_welfare_post and a.certificate is not None and a.straight_to_interview
        if a.education >= Education.COLLEGE and local and not tier_1 and a.graduation_date is None:
            violations.append(
                FieldViolation(
                    path + "graduation_date",
                    tr("a local college graduate is placed by graduation date (H3): give it"),
                    "H3",
                )
            )
        scores = (("written_score", a.written_score), ("interview_score", a.interview_score))
        for name, value in scores:
            if not 0 <= value <= MAX_SCORE:
                violations.append(
                    FieldViolation(path + name, tr("must be 0 to 100.00 (0 to 10000)"), "H3")
                )
    if violations:
        raise InvalidArgument.of(violations)


def rank(
    applicants: list[Applicant],
    *,
    town: str,
    round_date: date,
    posts: int,
    written_weight_percent: int,
) -> list[Ranked]:
    """The ranking, best first, with offers for the first `posts` (rules H3, H4)."""
    check_applicants(applicants, town)
    placed = []
    for a in applicants:
        tier, reasons = place(a, town, round_date)
        if tier is Tier.WELFARE_POST:
            combined = a.interview_score
            reasons.append(
                tr("combined score {score}: the interview alone", score=_score(combined))
            )
        else:
            exact = Fraction(
                written_weight_percent * a.written_score
                + (100 - written_weight_percent) * a.interview_score,
                100,
            )
            combined = round_half_up(exact)
            reasons.append(
                tr(
                    "combined score {score}: written {written} x {w}% + interview {interview} "
                    "x {iw}%",
                    score=_score(combined),
                    written=_score(a.written_score),
                    w=written_weight_percent,
                    interview=_score(a.interview_score),
                    iw=100 - written_weight_percent,
                )
            )
        placed.append((tier, combined, a, reasons))
    placed.sort(key=lambda p: (p[0], -p[1], -p[2].interview_score, p[2].applicant_id))
    out: list[Ranked] = []
    for i, (tier, combined, a, reasons) in enumerate(placed):
        if i > 0:
            prev_tier, prev_combined, prev, _ = placed[i - 1]
            if prev_tier == tier and prev_combined == combined:
                if prev.interview_score != a.interview_score:
                    reasons.append(
                        tr(
                            "tied with {other} on the combined score; placed after on the "
                            "lower interview score",
                            other=prev.applicant_id,
                        )
                    )
                else:
                    reasons.append(
                        tr(
                            "tied with {other} on the combined and interview scores; placed "
                            "after by applicant id",
                            other=prev.applicant_id,
                        )
                    )
        offered = i < posts
        reasons.append(
            tr("offered a post ({rank} of {posts})", rank=i + 1, posts=posts)
            if offered
            else tr("not offered: {posts} posts", posts=posts)
        )
        out.append(Ranked(a, tier, combined, i + 1, offered, tuple(reasons)))
    return out
