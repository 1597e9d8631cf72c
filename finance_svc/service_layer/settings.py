"""Use cases on the dated settings: minimum wages and care standards (rule F2), expense
categories (rule F3)."""

from __future__ import annotations

from dataclasses import dataclass

from finance_svc.domain.categories import CategorySetting
from finance_svc.domain.standards import (
    CareStandard,
    FloorCheck,
    MinimumWage,
    admit_standard,
    check_floor,
)
from finance_svc.service_layer import commands
from finance_svc.service_layer.common import Clock
from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
from sgz_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role

SETTERS = frozenset({Role.CITY_CIVIL_AFFAIRS, Role.CITY_FINANCE, Role.SYSTEM})
STANDARD_SETTERS = frozenset({Role.CITY_CIVIL_AFFAIRS, Role.SYSTEM})


def _require(caller: Caller, roles: frozenset[Role]) -> None:
    if caller.role not in roles:
        raise PermissionDenied(tr("only the city may change this setting"))


def create_minimum_wage(
    cmd: commands.CreateMinimumWage, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> MinimumWage:
    _require(caller, SETTERS)
    if cmd.monthly.fen <= 0:
        raise InvalidArgument.field("minimum_wage.monthly", tr("must be a positive amount of fen"))
    wage = MinimumWage(cmd.effective_from, cmd.monthly, caller.subject)
    with uow:
        if any(w.effective_from == wage.effective_from for w in uow.repo.wages()):
            raise AlreadyExists(wage.name)
        uow.repo.add_wage(wage, clock())
        uow.commit()
    return wage


@dataclass(frozen=True)
class CheckedStandard:
    standard: CareStandard
    check: FloorCheck | None


def create_care_standard(
    cmd: commands.CreateCareStandard, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> CheckedStandard:
    """Rule F2: below the Jiangsu floor only with a recorded reason."""
    _require(caller, STANDARD_SETTERS)
    standard = CareStandard(
        cmd.effective_from, dict(cmd.amounts), cmd.below_floor_reason.strip(), caller.subject
    )
    with uow:
        if any(s.effective_from == standard.effective_from for s in uow.repo.standards()):
            raise AlreadyExists(standard.name)
        check = admit_standard(standard, uow.repo.wages())
        uow.repo.add_standard(standard, clock())
        uow.commit()
    return CheckedStandard(standard, check)


def list_care_standards(uow: FinanceUnitOfWork) -> list[CheckedStandard]:
    with uow:
        standards, wages = uow.repo.standards(), uow.repo.wages()
    out: list[CheckedStandard] = []
    for s in standards:
        try:
            check: FloorCheck | None = check_floor(s, wages, s.effective_from)
        except FailedPrecondition:
            check = None
        out.append(CheckedStandard(s, check))
    return out


def list_minimum_wages(uow: FinanceUnitOfWork) -> list[MinimumWage]:
    with uow:
        return uow.repo.wages()


def create_expense_categories(
    cmd: commands.CreateExpenseCategories, uow: FinanceUnitOfWork, *, caller: Caller, clock: Clock
) -> CategorySetting:
    _require(caller, SETTERS)
    if not cmd.categories:
        raise InvalidArgument.field(
            "expense_categories.categories", tr("needs at least one category"), rule="F3"
        )
    setting = CategorySetting(cmd.effective_from, cmd.categories)
    with uow:
        if any(s.effective_from == setting.effective_from for s in uow.repo.category_settings()):
            raise AlreadyExists(setting.name)
        uow.repo.add_category_setting(setting, caller.subject, clock())
        uow.commit()
    return setting
