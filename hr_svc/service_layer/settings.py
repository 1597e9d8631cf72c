"""Use cases on HR's dated settings (rules H3, H6, H7, H9, H10, A1): a new version or a town's
withholding ratio takes effect from a later day than today; history is never rewritten."""

from __future__ import annotations

from datetime import date

from hr_svc.domain.policy import HrPolicy, TownWithholding, check_policy
from hr_svc.service_layer import common
from hr_svc.service_layer.commands import CreateHrPolicy, CreateWithholdingSetting
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import china_time, names
from sgz_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel


def _not_retroactive(day: date, now: common.Clock, rule: str) -> None:
    if day <= china_time.local_date(now()):
        raise FailedPrecondition(
            tr("a setting takes effect from a later day than today; history is not rewritten"),
            rule=rule,
        )


def create_policy(
    cmd: CreateHrPolicy, uow: HrUnitOfWork, *, caller: Caller, clock: common.Clock = china_time.now
) -> HrPolicy:
    if caller.scope_level is not ScopeLevel.CITY or caller.role not in (
        Role.CITY_CIVIL_AFFAIRS,
        Role.SYSTEM,
    ):
        raise PermissionDenied(tr("only the city civil-affairs bureau sets the HR policy"))
    names.check_id("hr_policy_id", cmd.policy.version)
    check_policy(cmd.policy)
    _not_retroactive(cmd.policy.effective_from, clock, "H9")
    with uow:
        existing = uow.settings.policies()
        if any(
            p.version == cmd.policy.version or p.effective_from == cmd.policy.effective_from
            for p in existing
        ):
            raise AlreadyExists(f"hrPolicies/{cmd.policy.version}")
        uow.settings.add_policy(cmd.policy)
        uow.commit()
    return cmd.policy


def list_policies(uow: HrUnitOfWork) -> list[HrPolicy]:
    with uow:
        return sorted(uow.settings.policies(), key=lambda p: p.effective_from)


def create_withholding(
    cmd: CreateWithholdingSetting,
    uow: HrUnitOfWork,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> TownWithholding:
    names.parse("parent", cmd.town, "towns")
    caller.require_role(Role.CITY_CIVIL_AFFAIRS, Role.TOWN_HEAD)
    caller.require_town(cmd.town)
    if not 0 <= cmd.ratio_bp <= 10000:
        raise InvalidArgument.field(
            "withholding_setting.ratio_bp",
            tr("must be {low} to {high}", low=0, high=10000),
            rule="A1",
        )
    _not_retroactive(cmd.effective_from, clock, "A1")
    setting = TownWithholding(cmd.town, cmd.effective_from, cmd.ratio_bp)
    with uow:
        if any(
            s.effective_from == cmd.effective_from for s in uow.settings.withholding([cmd.town])
        ):
            raise AlreadyExists(f"{cmd.town}/withholdingSettings/{cmd.effective_from.isoformat()}")
        uow.settings.add_withholding(setting, caller.subject)
        uow.commit()
    return setting
