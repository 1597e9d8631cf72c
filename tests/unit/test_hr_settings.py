"""HR's dated settings (rules H3, H6, H7, H9, H10, A1): a version applies from a later day,
never retroactively; a town's withholding ratio overrides the city's from its date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hr_svc.domain.policy import HrPolicy, TownWithholding, default_policy, withholding_ratio_on
from hr_svc.service_layer import commands, settings
from sgz_runtime.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import FakeUnitOfWork

CITY = Caller("users/city", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
HEAD = Caller("users/head", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/chengdong")
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def _v2(day: date, **changes: int) -> HrPolicy:
    v1 = default_policy(day)
    fields = {**v1.__dict__, "version": "v2", **changes}
    return HrPolicy(**fields)


def test_a_policy_from_a_later_day_is_kept_and_earlier_days_keep_v1() -> None:
    uow = FakeUnitOfWork()
    made = settings.create_policy(
        commands.CreateHrPolicy(policy=_v2(date(2027, 1, 1), training_tenth_hours_per_year=400)),
        uow,
        caller=CITY,
        clock=lambda: NOW,
    )
    assert made.version == "v2"
    assert [(p.version, p.training_tenth_hours_per_year) for p in settings.list_policies(uow)] == [
        ("v1", 300),
        ("v2", 400),
    ]


def test_a_policy_from_today_is_refused_and_only_the_city_sets_it() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(FailedPrecondition):
        settings.create_policy(
            commands.CreateHrPolicy(policy=_v2(date(2026, 11, 29))), uow, caller=CITY,
            clock=lambda: NOW,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        settings.create_policy(
            commands.CreateHrPolicy(policy=_v2(date(2027, 1, 1))), uow, caller=HEAD,
            clock=lambda: NOW,
        )  # fmt: skip
    assert len(uow.settings.rows) == 1


def test_every_figure_out_of_range_is_reported_at_once() -> None:
    bad = _v2(date(2027, 1, 1), written_weight_percent=120, withholding_ratio_bp=-1)
    with pytest.raises(InvalidArgument) as info:
        settings.create_policy(
            commands.CreateHrPolicy(policy=bad), FakeUnitOfWork(), caller=CITY, clock=lambda: NOW
        )
    assert [(v.field, v.rule) for v in info.value.violations] == [
        ("hr_policy.written_weight_percent", "H3"),
        ("hr_policy.withholding_ratio_bp", "A1"),
    ]


def test_a1_a_town_ratio_applies_from_its_date() -> None:
    uow = FakeUnitOfWork()
    settings.create_withholding(
        commands.CreateWithholdingSetting(
            town="towns/chengdong", effective_from=date(2027, 1, 1), ratio_bp=1500
        ),
        uow,
        caller=HEAD,
        clock=lambda: NOW,
    )
    policy = default_policy(date(2000, 1, 1))
    towns = uow.settings.towns
    assert towns == [TownWithholding("towns/chengdong", date(2027, 1, 1), 1500)]
    assert withholding_ratio_on(policy, towns, "towns/chengdong", date(2026, 12, 31)) == 1000
    assert withholding_ratio_on(policy, towns, "towns/chengdong", date(2027, 1, 1)) == 1500
    assert withholding_ratio_on(policy, towns, "towns/xicheng", date(2027, 1, 1)) == 1000
    with pytest.raises(InvalidArgument):
        settings.create_withholding(
            commands.CreateWithholdingSetting(
                town="towns/chengdong", effective_from=date(2027, 7, 1), ratio_bp=10001
            ),
            uow,
            caller=HEAD,
            clock=lambda: NOW,
        )
