"""A recruitment round of twelve applicants (rules H3, H4): the ranking, every tier, every score
and every reason written out by hand. Weights 40% written / 60% interview (the v1 setting)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hr_svc.domain.certificates import CertificateLevel
from hr_svc.domain.recruitment import Applicant, Education, Tier, rank
from hr_svc.service_layer import commands, recruitment
from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import FakeRosterClient, FakeUnitOfWork

TOWN = "towns/chengdong"
OTHER = "towns/xicheng"
ROUND = date(2026, 6, 15)
HR = Caller("users/hr", Role.HR, ScopeLevel.TOWN, TOWN)


def _a(
    applicant_id: str,
    name: str,
    education: Education = Education.BACHELOR,
    graduated: date | None = None,
    household: str = TOWN,
    residence: str = "",
    welfare: bool = False,
    certificate: CertificateLevel | None = None,
    straight: bool = False,
    written: int = 0,
    interview: int = 0,
) -> Applicant:
    return Applicant(
        applicant_id,
        name,
        education,
        graduated,
        household,
        residence,
        welfare,
        certificate,
        straight,
        written,
        interview,
    )


APPLICANTS = [
    _a(
        "A01",
        "张伟",
        Education.COLLEGE,
        date(2010, 7, 1),
        welfare=True,
        certificate=CertificateLevel.JUNIOR,
        straight=True,
        interview=8000,
    ),
    _a(
        "A02",
        "李娜",
        Education.SECONDARY,
        None,
        household=OTHER,
        welfare=True,
        certificate=CertificateLevel.INTERMEDIATE,
        straight=True,
        written=9900,
        interview=7550,
    ),
    _a(
        "A03",
        "王强",
        Education.COLLEGE,
        date(2019, 7, 1),
        welfare=True,
        straight=True,
        written=7000,
        interview=8000,
    ),
    _a("A04", "刘洋", graduated=date(2021, 6, 15), written=8150, interview=7725),
    _a("A05", "陈静", graduated=date(2021, 6, 14), written=9000, interview=9000),
    _a(
        "A06",
        "杨帆",
        Education.COLLEGE,
        date(2024, 7, 1),
        household=OTHER,
        residence=TOWN,
        written=7533,
        interview=8011,
    ),
    _a(
        "A07",
        "赵敏",
        Education.POSTGRADUATE,
        date(2025, 6, 30),
        household=OTHER,
        residence=OTHER,
        written=9500,
        interview=9200,
    ),
    _a("A08", "黄磊", Education.SECONDARY, None, written=6000, interview=7000),
    _a("A09", "周婷", graduated=date(2023, 7, 1), written=8000, interview=7800),
    _a("A10", "吴昊", graduated=date(2022, 7, 1), written=7700, interview=8000),
    _a("A11", "徐丽", graduated=date(2022, 6, 30), written=8300, interview=7500),
    _a("A12", "孙浩", graduated=date(2023, 6, 30), written=8300, interview=7500),
]

TIER_1 = (
    "tier 1: former public-welfare post holder with a junior-or-higher certificate who chose "
    "to go straight to interview (H4)"
)

# (rank, id, tier, combined score in hundredths, offered, reasons in English)
EXPECTED = [
    (1, "A01", Tier.WELFARE_POST, 8000, True, [
        TIER_1,
        "combined score 80.00: the interview alone",
        "offered a post (1 of 4)",
    ]),
    (2, "A02", Tier.WELFARE_POST, 7550, True, [
        TIER_1,
        "combined score 75.50: the interview alone",
        "offered a post (2 of 4)",
    ]),
    # 40 x 81.50 + 60 x 77.25 = 78.95; graduated exactly five years before the round: inside
    (3, "A04", Tier.LOCAL_GRADUATE, 7895, True, [
        "tier 2: graduated on 2021-06-15, within five years of the round (2026-06-15), "
        "registered or living in the town (H3)",
        "combined score 78.95: written 81.50 x 40% + interview 77.25 x 60%",
        "offered a post (3 of 4)",
    ]),
    # 30.80 + 48.00 = 78.80
    (4, "A10", Tier.LOCAL_GRADUATE, 7880, True, [
        "tier 2: graduated on 2022-07-01, within five years of the round (2026-06-15), "
        "registered or living in the town (H3)",
        "combined score 78.80: written 77.00 x 40% + interview 80.00 x 60%",
        "offered a post (4 of 4)",
    ]),
    # 32.00 + 46.80 = 78.80: tied with A10, lower interview
    (5, "A09", Tier.LOCAL_GRADUATE, 7880, False, [
        "tier 2: graduated on 2023-07-01, within five years of the round (2026-06-15), "
        "registered or living in the town (H3)",
        "combined score 78.80: written 80.00 x 40% + interview 78.00 x 60%",
        "tied with A10 on the combined score; placed after on the lower interview score",
        "not offered: 4 posts",
    ]),
    # 30.132 + 48.066 = 78.198 -> 78.20 (half up); lives in the town, registered elsewhere
    (6, "A06", Tier.LOCAL_GRADUATE, 7820, False, [
        "tier 2: graduated on 2024-07-01, within five years of the round (2026-06-15), "
        "registered or living in the town (H3)",
        "combined score 78.20: written 75.33 x 40% + interview 80.11 x 60%",
        "not offered: 4 posts",
    ]),
    # 33.20 + 45.00 = 78.20: tied with A06, lower interview
    (7, "A11", Tier.LOCAL_GRADUATE, 7820, False, [
        "tier 2: graduated on 2022-06-30, within five years of the round (2026-06-15), "
        "registered or living in the town (H3)",
        "combined score 78.20: written 83.00 x 40% + interview 75.00 x 60%",
        "tied with A06 on the combined score; placed after on the lower interview score",
        "not offered: 4 posts",
    ]),
    # the same scores as A11: placed by applicant id
    (8, "A12", Tier.LOCAL_GRADUATE, 7820, False, [
        "tier 2: graduated on 2023-06-30, within five years of the round (2026-06-15), "
        "registered or living in the town (H3)",
        "combined score 78.20: written 83.00 x 40% + interview 75.00 x 60%",
        "tied with A11 on the combined and interview scores; placed after by applicant id",
        "not offered: 4 posts",
    ]),
    # 38.00 + 55.20 = 93.20: the best score, but no priority
    (9, "A07", Tier.OPEN, 9320, False, [
        "tier 3: neither registered nor living in the town (H3)",
        "combined score 93.20: written 95.00 x 40% + interview 92.00 x 60%",
        "not offered: 4 posts",
    ]),
    # graduated one day more than five years before the round
    (10, "A05", Tier.OPEN, 9000, False, [
        "tier 3: graduated on 2021-06-14, more than five years before the round (H3)",
        "combined score 90.00: written 90.00 x 40% + interview 90.00 x 60%",
        "not offered: 4 posts",
    ]),
    # a former post holder without a certificate: no straight-to-interview; 28.00 + 48.00
    (11, "A03", Tier.OPEN, 7600, False, [
        "asked to go straight to interview, but that is only for former public-welfare post "
        "holders with a junior-or-higher certificate (H4): takes the written exam",
        "tier 3: graduated on 2019-07-01, more than five years before the round (H3)",
        "combined score 76.00: written 70.00 x 40% + interview 80.00 x 60%",
        "not offered: 4 posts",
    ]),
    # 24.00 + 42.00 = 66.00
    (12, "A08", Tier.OPEN, 6600, False, [
        "tier 3: no college degree (H3)",
        "combined score 66.00: written 60.00 x 40% + interview 70.00 x 60%",
        "not offered: 4 posts",
    ]),
]  # fmt: skip


def test_h3_h4_a_round_of_twelve_is_ranked_in_tiers_with_every_reason() -> None:
    ranked = rank(APPLICANTS, town=TOWN, round_date=ROUND, posts=4, written_weight_percent=40)
    got = [
        (r.rank, r.applicant.applicant_id, r.tier, r.combined, r.offered,
         [t.render("en") for t in r.reasons])
        for r in ranked
    ]  # fmt: skip
    assert got == EXPECTED


def test_h3_the_ranking_does_not_depend_on_the_order_applicants_were_given() -> None:
    forward = rank(APPLICANTS, town=TOWN, round_date=ROUND, posts=4, written_weight_percent=40)
    backward = rank(
        list(reversed(APPLICANTS)), town=TOWN, round_date=ROUND, posts=4, written_weight_percent=40
    )
    assert [r.applicant.applicant_id for r in forward] == [
        r.applicant.applicant_id for r in backward
    ]


def test_h3_a_graduate_tier_applicant_without_a_graduation_date_is_refused() -> None:
    bad = _a("B01", "钱多", Education.BACHELOR, None, written=8000, interview=8000)
    with pytest.raises(InvalidArgument) as info:
        rank([*APPLICANTS, bad], town=TOWN, round_date=ROUND, posts=4, written_weight_percent=40)
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("applicants[12].graduation_date", "H3")
    ]


def test_a_round_is_stored_and_an_accepted_offer_creates_the_worker_and_first_contract() -> None:
    uow = FakeUnitOfWork()
    roster = FakeRosterClient({TOWN: 12})
    now = datetime(2026, 6, 20, 1, 0, tzinfo=UTC)
    view = recruitment.create_round(
        commands.CreateRecruitmentRound(
            town=TOWN, round_id="r2026", round_date=ROUND, posts=4, applicants=APPLICANTS
        ),
        uow,
        roster,
        caller=HR,
        clock=lambda: now,
    )
    assert view.written_weight_percent == 40
    assert [r.applicant.applicant_id for r in view.ranking if r.offered] == [
        "A01", "A02", "A04", "A10"
    ]  # fmt: skip
    accept = commands.AcceptOffer(
        round="towns/chengdong/recruitmentRounds/r2026",
        applicant_id="A04",
        start_date=date(2026, 7, 1),
        monthly_base_fen=420000,
        probation_months=6,
    )
    worker = recruitment.accept_offer(accept, uow, caller=HR, clock=lambda: now)
    assert (worker.display_name, worker.town) == ("刘洋", TOWN)
    (contract,) = uow.contracts.rows
    assert (contract.start_date, contract.end_date, contract.probation_months) == (
        date(2026, 7, 1),
        date(2029, 6, 30),
        6,
    )
    with pytest.raises(FailedPrecondition) as info:
        recruitment.accept_offer(accept, uow, caller=HR, clock=lambda: now)
    assert info.value.rule == "H3"
    with pytest.raises(FailedPrecondition):  # ranked 5th of 4 posts
        recruitment.accept_offer(
            commands.AcceptOffer(
                round=accept.round,
                applicant_id="A09",
                start_date=date(2026, 7, 1),
                monthly_base_fen=420000,
            ),
            uow,
            caller=HR,
        )
    assert len(uow.workers.rows) == 1
