"""The town's dated pay policy (rules A1, A4): add a version, list them."""

from __future__ import annotations

from assessment_svc.domain.pay_runs import require_town
from assessment_svc.domain.policy import (
    ONE,
    PayPolicy,
    default_policy,
    validate,
    weights_from_fractions,
)
from assessment_svc.service_layer import commands
from assessment_svc.service_layer.pay_runs import Clock, refuse_worker, system_clock
from assessment_svc.service_layer.unit_of_work import AssessmentUnitOfWork
from sgz_runtime import names
from sgz_runtime.errors import AlreadyExists
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller


def create_pay_policy(
    cmd: commands.CreatePayPolicy,
    uow: AssessmentUnitOfWork,
    *,
    caller: Caller,
    clock: Clock = system_clock,
) -> PayPolicy:
    require_town(caller, cmd.town)
    refuse_worker(caller, tr("set the pay policy"))
    names.check_id("policy_id", cmd.policy_id)
    default = default_policy()
    name = f"{cmd.town}/payPolicies/{cmd.policy_id}"
    policy = PayPolicy(
        version=name,
        town=cmd.town,
        effective_from=cmd.effective_from,
        weights_bp=weights_from_fractions(cmd.weights, "policy.weights"),
        payout_rule=cmd.payout_rule,
        curve=tuple((round(s * 100), round(b * ONE)) for s, b in cmd.curve) or default.curve,
        max_prior_strength=cmd.max_prior_strength or default.max_prior_strength,
        pass_mark=round(cmd.pass_mark * 100) if cmd.pass_mark else default.pass_mark,
    )
    validate(policy)
    with uow:
        taken = uow.repo.policies(cmd.town)
        if any(
            p.version == name or (p.town == cmd.town and p.effective_from == cmd.effective_from)
            for p in taken
        ):
            raise AlreadyExists(name)
        uow.repo.add_policy(policy, caller.subject, clock())
        uow.commit()
    return policy


def list_pay_policies(town: str, uow: AssessmentUnitOfWork, *, caller: Caller) -> list[PayPolicy]:
    require_town(caller, town)
    with uow:
        return uow.repo.policies(town)
