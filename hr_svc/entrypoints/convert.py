"""Conversions between HR protos and commands / domain values, all in one place."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from sgz.common.v1 import types_pb2
from sgz.hr.v1 import hr_pb2 as pb

from hr_svc.domain.certificates import Certificate, CertificateLevel
from hr_svc.domain.contracts import Contract, ContractKind
from hr_svc.domain.pay import PayTerms
from hr_svc.domain.policy import HrPolicy, TownWithholding
from hr_svc.domain.recruitment import Applicant, Education, Tier
from hr_svc.domain.renewal import Eligibility, Reason
from hr_svc.domain.staffing import Staffing
from hr_svc.domain.training import TrainingKind, TrainingRecord
from hr_svc.domain.workers import Worker, WorkerRole
from hr_svc.service_layer import commands, workers
from hr_svc.service_layer.recruitment import RoundView
from hr_svc.service_layer.renewals import Decision, RenewalReport
from hr_svc.service_layer.reports import TrainingHours
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import Text, tr
from sgz_runtime.proto_values import date_from_pb, date_to_pb, required_date, timestamp_to_pb

_ROLES = {
    pb.WORKER_ROLE_STATION_WORKER: WorkerRole.STATION_WORKER,
    pb.WORKER_ROLE_STATION_CHIEF: WorkerRole.STATION_CHIEF,
}
_ROLES_PB = {v: k for k, v in _ROLES.items()}
_KINDS = {
    pb.CONTRACT_KIND_FIXED_TERM: ContractKind.FIXED_TERM,
    pb.CONTRACT_KIND_OPEN_ENDED: ContractKind.OPEN_ENDED,
}
_KINDS_PB = {v: k for k, v in _KINDS.items()}
_LEVELS = {
    pb.CERTIFICATE_LEVEL_JUNIOR: CertificateLevel.JUNIOR,
    pb.CERTIFICATE_LEVEL_INTERMEDIATE: CertificateLevel.INTERMEDIATE,
    pb.CERTIFICATE_LEVEL_SENIOR: CertificateLevel.SENIOR,
}
_LEVELS_PB = {v: k for k, v in _LEVELS.items()}
_TRAINING = {
    pb.TRAINING_KIND_TRAINING: TrainingKind.TRAINING,
    pb.TRAINING_KIND_CONTINUING_EDUCATION: TrainingKind.CONTINUING_EDUCATION,
}
_TRAINING_PB = {v: k for k, v in _TRAINING.items()}
_ELIGIBILITY_PB = {
    Eligibility.ELIGIBLE: pb.ELIGIBILITY_ELIGIBLE,
    Eligibility.NOT_ELIGIBLE: pb.ELIGIBILITY_NOT_ELIGIBLE,
    Eligibility.UNDETERMINED: pb.ELIGIBILITY_UNDETERMINED,
}
_EDUCATION = {
    pb.EDUCATION_SECONDARY: Education.SECONDARY,
    pb.EDUCATION_COLLEGE: Education.COLLEGE,
    pb.EDUCATION_BACHELOR: Education.BACHELOR,
    pb.EDUCATION_POSTGRADUATE: Education.POSTGRADUATE,
}
_EDUCATION_PB = {v: k for k, v in _EDUCATION.items()}
_TIERS_PB = {
    Tier.WELFARE_POST: pb.RECRUITMENT_TIER_WELFARE_POST,
    Tier.LOCAL_GRADUATE: pb.RECRUITMENT_TIER_LOCAL_GRADUATE,
    Tier.OPEN: pb.RECRUITMENT_TIER_OPEN,
}

_UNSET = tr("must be set to one of the listed values")


K = TypeVar("K")
V = TypeVar("V")


def _pick(table: dict[K, V], key: K, field: str) -> V:
    value = table.get(key)
    if value is None:
        raise InvalidArgument.field(field, _UNSET)
    return value


def create_worker(request: pb.CreateWorkerRequest) -> commands.CreateWorker:
    w = request.worker
    return commands.CreateWorker(
        display_name=w.display_name,
        town=w.town,
        role=_pick(_ROLES, w.role, "worker.role"),
        start_date=date_from_pb(w.start_date, "worker.start_date"),
        id_number=w.id_number,
        phone=w.phone,
    )


def worker_to_pb(worker: Worker) -> pb.Worker:
    spell = worker.current_spell()
    left = [e for e in worker.employment if e.change.value == "left"]
    return pb.Worker(
        name=worker.name,
        display_name=worker.display_name,
        town=worker.town,
        role=_ROLES_PB[worker.role],
        etag=str(worker.version),
        start_date=date_to_pb(spell.first if spell else None),
        end_date=date_to_pb(spell.last if spell else None),
        end_reason=left[-1].reason if spell and spell.last and left else "",
        id_number_masked=worker.id_masked,
        phone_masked=worker.phone_masked,
        creator=worker.creator,
        create_time=timestamp_to_pb(worker.create_time),
    )


#: Worker fields with rules of their own, refused in an update mask with what to do instead.
_NOT_UPDATABLE = frozenset({"town", "role", "start_date", "end_date", "end_reason"})


def update_worker(request: pb.UpdateWorkerRequest) -> commands.UpdateWorker:
    """The command of AIP-134: the mask's fields, or with an empty mask the updatable fields
    the request sets; every other path is refused."""
    w = request.worker
    paths = {p.split(".")[0] for p in request.update_mask.paths}
    fixed = sorted(paths & _NOT_UPDATABLE)
    if fixed:
        raise InvalidArgument.field(
            "update_mask",
            tr(
                "cannot update {fields} of a worker: the town, role and employment keep their "
                "history (rule H2); end the employment and record the worker anew instead",
                fields=", ".join(fixed),
            ),
            rule="H2",
        )
    unknown = paths - workers.UPDATABLE
    if unknown:
        raise InvalidArgument.field(
            "update_mask",
            tr(
                "cannot update {fields}: name only {allowed} in update_mask",
                fields=", ".join(sorted(unknown)),
                allowed=", ".join(sorted(workers.UPDATABLE)),
            ),
        )
    if not paths:
        given = {"display_name": w.display_name, "phone": w.phone, "id_number": w.id_number}
        paths = {f for f, value in given.items() if value}
    return commands.UpdateWorker(
        worker=w.name,
        fields=frozenset(paths),
        display_name=w.display_name,
        phone=w.phone,
        id_number=w.id_number,
        etag=w.etag,
    )


def employed_on(request: pb.ListWorkersRequest) -> date | None:
    return date_from_pb(request.employed_on, "employed_on")


def end_employment(request: pb.EndEmploymentRequest) -> commands.EndEmployment:
    return commands.EndEmployment(
        worker=request.name,
        last_day=required_date(request.end_date, "end_date"),
        reason=request.reason,
    )


def get_town_staffing(request: pb.GetTownStaffingRequest) -> commands.GetTownStaffing:
    parts = request.name.split("/")
    if len(parts) != 3 or parts[0] != "towns" or not parts[1] or parts[2] != "staffing":
        raise InvalidArgument.field("name", tr("must be a name like towns/chengdong/staffing"))
    return commands.GetTownStaffing(town="/".join(parts[:2]), on=date_from_pb(request.on, "on"))


def staffing_to_pb(staffing: Staffing, basis: Text) -> pb.TownStaffing:
    return pb.TownStaffing(
        name=f"{staffing.town}/staffing",
        town=staffing.town,
        on=date_to_pb(staffing.on),
        villages=staffing.villages,
        required=staffing.required,
        active=staffing.active,
        shortfall=staffing.shortfall,
        since=date_to_pb(staffing.since),
        village_count_basis=basis.render(),
        has_chief=staffing.has_chief,
    )


def list_town_staffing(request: pb.ListTownStaffingRequest) -> commands.ListTownStaffing:
    return commands.ListTownStaffing(
        on=date_from_pb(request.on, "on"),
        page_size=request.page_size,
        page_token=request.page_token,
        shortfall_only=request.shortfall_only,
    )


def create_contract(request: pb.CreateContractRequest) -> commands.CreateContract:
    c = request.contract
    return commands.CreateContract(
        worker=request.parent,
        kind=_pick(_KINDS, c.kind, "contract.kind"),
        start_date=required_date(c.start_date, "contract.start_date"),
        end_date=date_from_pb(c.end_date, "contract.end_date"),
        probation_months=c.probation_months,
        monthly_base_fen=c.monthly_base.fen,
        worker_asked_fixed_term=c.worker_asked_fixed_term,
    )


def contract_to_pb(contract: Contract) -> pb.Contract:
    return pb.Contract(
        name=contract.name,
        kind=_KINDS_PB[contract.kind],
        start_date=date_to_pb(contract.start_date),
        end_date=date_to_pb(contract.end_date),
        probation_months=contract.probation_months,
        monthly_base=types_pb2.Money(fen=contract.monthly_base_fen),
        renewal_of=(
            f"workers/{contract.worker_id}/contracts/{contract.renewal_of}"
            if contract.renewal_of
            else ""
        ),
        consecutive_fixed_terms=contract.consecutive_fixed_terms,
        open_ended_required=contract.open_ended_required,
        worker_asked_fixed_term=contract.worker_asked_fixed_term,
        creator=contract.recorded_by,
        create_time=timestamp_to_pb(contract.recorded_at),
    )


def create_certificate(request: pb.CreateCertificateRequest) -> commands.CreateCertificate:
    c = request.certificate
    return commands.CreateCertificate(
        worker=request.parent,
        level=_pick(_LEVELS, c.level, "certificate.level"),
        number=c.number,
        obtained_date=required_date(c.obtained_date, "certificate.obtained_date"),
    )


def certificate_to_pb(certificate: Certificate) -> pb.Certificate:
    return pb.Certificate(
        name=certificate.name,
        level=_LEVELS_PB[certificate.level],
        number=certificate.number,
        obtained_date=date_to_pb(certificate.obtained_date),
    )


def create_training_record(
    request: pb.CreateTrainingRecordRequest,
) -> commands.CreateTrainingRecord:
    t = request.training_record
    return commands.CreateTrainingRecord(
        worker=request.parent,
        kind=_pick(_TRAINING, t.kind, "training_record.kind"),
        tenth_hours=t.tenth_hours,
        provider=t.provider,
        date=required_date(t.date, "training_record.date"),
    )


def training_record_to_pb(record: TrainingRecord) -> pb.TrainingRecord:
    return pb.TrainingRecord(
        name=record.name,
        kind=_TRAINING_PB[record.kind],
        tenth_hours=record.tenth_hours,
        provider=record.provider,
        date=date_to_pb(record.date),
    )


def list_training_hours(request: pb.ListTrainingHoursRequest) -> commands.ListTrainingHours:
    return commands.ListTrainingHours(
        parent=request.parent, year=request.year, short_only=request.short_only
    )


def training_hours_to_pb(row: TrainingHours) -> pb.TrainingHours:
    return pb.TrainingHours(
        worker=row.worker.name,
        display_name=row.worker.display_name,
        town=row.worker.town,
        tenth_hours=row.tenth_hours,
        required_tenth_hours=row.required_tenth_hours,
        short_tenth_hours=row.short_tenth_hours,
    )


def get_renewal_report(request: pb.GetRenewalReportRequest) -> commands.GetRenewalReport:
    return commands.GetRenewalReport(
        parent=request.parent,
        ending_before=required_date(request.ending_before, "ending_before"),
        ending_after=date_from_pb(request.ending_after, "ending_after"),
        on=date_from_pb(request.on, "on"),
    )


def reason_to_pb(reason: Reason) -> pb.RenewalReason:
    return pb.RenewalReason(
        code=reason.code.value,
        rule=reason.rule,
        blocking=reason.blocking,
        message=reason.text.render(),
    )


def renewal_report_to_pb(report: RenewalReport) -> pb.RenewalReport:
    return pb.RenewalReport(
        parent=report.parent,
        on=date_to_pb(report.on),
        warning_months=report.warning_months,
        rows=[
            pb.RenewalRow(
                worker=row.worker.name,
                display_name=row.worker.display_name,
                town=row.worker.town,
                contract=row.assessment.contract.name,
                end_date=date_to_pb(row.assessment.contract.end_date),
                eligibility=_ELIGIBILITY_PB[row.assessment.eligibility],
                reasons=[reason_to_pb(r) for r in row.assessment.reasons],
                assessment_year=row.assessment.assessment_year,
                certificate_level=(
                    _LEVELS_PB[row.assessment.certificate]
                    if row.assessment.certificate
                    else pb.CERTIFICATE_LEVEL_UNSPECIFIED
                ),
                training_tenth_hours=row.assessment.training_tenth_hours,
                open_ended_required=row.assessment.open_ended_required,
            )
            for row in report.rows
        ],
        warnings=[
            pb.RenewalWarning(
                worker=w.worker.name,
                display_name=w.worker.display_name,
                town=w.worker.town,
                contract=w.contract.name,
                end_date=date_to_pb(w.contract.end_date),
                message=w.text.render(),
            )
            for w in report.warnings
        ],
    )


def decide_renewal(request: pb.DecideRenewalRequest) -> commands.DecideRenewal:
    if request.outcome not in (pb.RENEWAL_OUTCOME_RENEW, pb.RENEWAL_OUTCOME_END):
        raise InvalidArgument.field("outcome", _UNSET)
    return commands.DecideRenewal(
        contract=request.contract,
        renew=request.outcome == pb.RENEWAL_OUTCOME_RENEW,
        reason=request.reason,
        new_end_date=date_from_pb(request.new_end_date, "new_end_date"),
        worker_asked_fixed_term=request.worker_asked_fixed_term,
        monthly_base_fen=request.monthly_base.fen if request.HasField("monthly_base") else None,
    )


def decision_to_pb(decision: Decision) -> pb.RenewalDecision:
    return pb.RenewalDecision(
        contract=decision.contract,
        outcome=pb.RENEWAL_OUTCOME_RENEW if decision.renewed else pb.RENEWAL_OUTCOME_END,
        reason=decision.reason,
        new_contract=decision.new_contract.name if decision.new_contract else "",
        decided_by=decision.decided_by,
        decide_time=timestamp_to_pb(decision.decided_at),
        reasons=[reason_to_pb(r) for r in decision.assessment.reasons],
    )


def list_pay_terms(request: pb.ListPayTermsRequest) -> commands.ListPayTerms:
    return commands.ListPayTerms(parent=request.parent, period=request.period)


def pay_terms_to_pb(terms: PayTerms) -> pb.PayTerms:
    return pb.PayTerms(
        worker=terms.worker,
        display_name=terms.display_name,
        monthly_base=types_pb2.Money(fen=terms.monthly_base_fen),
        withholding_ratio_bp=terms.withholding_ratio_bp,
        months_employed=terms.months_employed,
        employed_from=date_to_pb(terms.employed_from),
        employed_to=date_to_pb(terms.employed_to),
        employer_rates_bp=dict(terms.employer_rates_bp),
        worker_rates_bp=dict(terms.worker_rates_bp),
    )


def applicant_from_pb(a: pb.Applicant, i: int) -> Applicant:
    path = f"recruitment_round.applicants[{i}]."
    return Applicant(
        applicant_id=a.applicant_id,
        display_name=a.display_name,
        education=_pick(_EDUCATION, a.education, path + "education"),
        graduation_date=date_from_pb(a.graduation_date, path + "graduation_date"),
        household_town=a.household_town,
        residence_town=a.residence_town,
        former_welfare_post=a.former_welfare_post,
        certificate=_LEVELS.get(a.certificate_level),
        straight_to_interview=a.straight_to_interview,
        written_score=a.written_score,
        interview_score=a.interview_score,
    )


def applicant_to_pb(a: Applicant) -> pb.Applicant:
    return pb.Applicant(
        applicant_id=a.applicant_id,
        display_name=a.display_name,
        education=_EDUCATION_PB[a.education],
        graduation_date=date_to_pb(a.graduation_date),
        household_town=a.household_town,
        residence_town=a.residence_town,
        former_welfare_post=a.former_welfare_post,
        certificate_level=(
            _LEVELS_PB[a.certificate] if a.certificate else pb.CERTIFICATE_LEVEL_UNSPECIFIED
        ),
        straight_to_interview=a.straight_to_interview,
        written_score=a.written_score,
        interview_score=a.interview_score,
    )


def create_round(request: pb.CreateRecruitmentRoundRequest) -> commands.CreateRecruitmentRound:
    r = request.recruitment_round
    return commands.CreateRecruitmentRound(
        town=request.parent,
        round_id=request.recruitment_round_id,
        round_date=required_date(r.round_date, "recruitment_round.round_date"),
        posts=r.posts,
        applicants=[applicant_from_pb(a, i) for i, a in enumerate(r.applicants)],
    )


def round_to_pb(view: RoundView) -> pb.RecruitmentRound:
    return pb.RecruitmentRound(
        name=view.name,
        round_date=date_to_pb(view.round_date),
        posts=view.posts,
        applicants=[applicant_to_pb(a) for a in view.applicants],
        written_weight_percent=view.written_weight_percent,
        creator=view.creator,
        ranking=[
            pb.RankedApplicant(
                applicant_id=r.applicant.applicant_id,
                display_name=r.applicant.display_name,
                tier=_TIERS_PB[r.tier],
                combined_score=r.combined,
                rank=r.rank,
                reasons=[t.render() for t in r.reasons],
                offered=r.offered,
                worker=(
                    f"workers/{view.accepted[r.applicant.applicant_id]}"
                    if r.applicant.applicant_id in view.accepted
                    else ""
                ),
            )
            for r in view.ranking
        ],
    )


def accept_offer(request: pb.AcceptOfferRequest) -> commands.AcceptOffer:
    return commands.AcceptOffer(
        round=request.name,
        applicant_id=request.applicant_id,
        start_date=required_date(request.start_date, "start_date"),
        monthly_base_fen=request.monthly_base.fen,
        probation_months=request.probation_months,
    )


def policy_from_pb(request: pb.CreateHrPolicyRequest) -> HrPolicy:
    p = request.hr_policy
    return HrPolicy(
        version=request.hr_policy_id,
        effective_from=required_date(p.effective_from, "hr_policy.effective_from"),
        training_tenth_hours_per_year=p.training_tenth_hours_per_year,
        max_tenth_hours_per_record=p.max_tenth_hours_per_record,
        written_weight_percent=p.written_weight_percent,
        first_contract_months=p.first_contract_months,
        early_warning_months=p.early_warning_months,
        withholding_ratio_bp=p.withholding_ratio_bp,
        employer_rates_bp=dict(p.employer_rates_bp),
        worker_rates_bp=dict(p.worker_rates_bp),
    )


def policy_to_pb(policy: HrPolicy) -> pb.HrPolicy:
    return pb.HrPolicy(
        name=f"hrPolicies/{policy.version}",
        effective_from=date_to_pb(policy.effective_from),
        training_tenth_hours_per_year=policy.training_tenth_hours_per_year,
        max_tenth_hours_per_record=policy.max_tenth_hours_per_record,
        written_weight_percent=policy.written_weight_percent,
        first_contract_months=policy.first_contract_months,
        early_warning_months=policy.early_warning_months,
        withholding_ratio_bp=policy.withholding_ratio_bp,
        employer_rates_bp=dict(policy.employer_rates_bp),
        worker_rates_bp=dict(policy.worker_rates_bp),
    )


def withholding_from_pb(
    request: pb.CreateWithholdingSettingRequest,
) -> commands.CreateWithholdingSetting:
    w = request.withholding_setting
    return commands.CreateWithholdingSetting(
        town=request.parent,
        effective_from=required_date(w.effective_from, "withholding_setting.effective_from"),
        ratio_bp=w.ratio_bp,
    )


def withholding_to_pb(setting: TownWithholding) -> pb.WithholdingSetting:
    return pb.WithholdingSetting(
        name=f"{setting.town}/withholdingSettings/{setting.effective_from.isoformat()}",
        effective_from=date_to_pb(setting.effective_from),
        ratio_bp=setting.ratio_bp,
    )
