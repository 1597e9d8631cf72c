"""Use cases on the dated visit policy (rules V1, V3-V6)."""

from __future__ import annotations

from sgz_runtime import names, paging
from sgz_runtime.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
)
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, Role, ScopeLevel
from visit_svc.domain.policy import VisitPolicy, check_policy
from visit_svc.domain.weeks import local_date
from visit_svc.service_layer import common
from visit_svc.service_layer.unit_of_work import VisitUnitOfWork


def create_policy(
    uow: VisitUnitOfWork, caller: Caller, policy: VisitPolicy, clock: common.Clock
) -> VisitPolicy:
    """A new version, from its date on. Never retroactive: visits already recorded keep the
    version of their day, and open escalations keep the deadlines they were opened with."""
    if caller.scope_level is not ScopeLevel.CITY or caller.role not in (
        Role.CITY_CIVIL_AFFAIRS,
        Role.SYSTEM,
    ):
        raise PermissionDenied(tr("only the city civil-affairs bureau sets the visit policy"))
    names.check_id("policy_id", policy.version)
    check_policy(policy)
    now = clock()
    if policy.effective_from <= local_date(now):
        raise FailedPrecondition(
            tr("a policy takes effect from a later day than today; history is not rewritten"),
            rule="V6",
        )
    with uow:
        existing = uow.policies.list()
        if any(p.version == policy.version for p in existing):
            raise AlreadyExists(f"visitPolicies/{policy.version}")
        if any(p.effective_from == policy.effective_from for p in existing):
            raise AlreadyExists(
                f"visitPolicies/{policy.version}",
                message=tr(
                    "a policy already takes effect on {effective_from}",
                    effective_from=policy.effective_from.isoformat(),
                ),
            )
        uow.policies.add(policy, caller.subject, now)
        uow.commit()
    return policy


def list_policies(
    uow: VisitUnitOfWork, caller: Caller, page_size: int, page_token: str
) -> tuple[list[VisitPolicy], str]:
    """Every version, oldest effective date first; readable by any caller."""
    page = paging.parse(page_size, page_token)
    with uow:
        found = uow.policies.list()
    start = 0
    if page.after is not None:
        versions = [p.version for p in found]
        if page.after not in versions:
            raise InvalidArgument.field("page_token", tr("is not a token this method issued"))
        start = versions.index(page.after) + 1
    chunk = found[start : start + page.size]
    more = start + page.size < len(found)
    return chunk, paging.next_token(chunk[-1].version if more else None)
