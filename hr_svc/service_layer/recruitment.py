"""Recruitment rounds (rules H3, H4): created with their applicants, ranked in tiers with
reasons; an accepted offer creates the worker and the first contract (H6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from hr_svc.adapters.repository import RoundRow
from hr_svc.adapters.roster_client import RosterClient
from hr_svc.domain.certificates import CertificateLevel
from hr_svc.domain.contracts import ContractKind
from hr_svc.domain.policy import policy_on
from hr_svc.domain.recruitment import Applicant, Education, Ranked, rank
from hr_svc.domain.workers import Worker, WorkerRole, join
from hr_svc.service_layer import commands, common
from hr_svc.service_layer.contracts import build_contract
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import china_time, names
from sgz_runtime.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller


@dataclass(frozen=True)
class RoundView:
    name: str
    town: str
    round_date: date
    posts: int
    written_weight_percent: int
    applicants: list[Applicant]
    ranking: list[Ranked]
    accepted: dict[str, str]
    creator: str


def _to_json(a: Applicant) -> dict[str, Any]:
    return {
        "applicant_id": a.applicant_id,
        "display_name": a.display_name,
        "education": a.education.name,
        "graduation_date": a.graduation_date.isoformat() if a.graduation_date else None,
        "household_town": a.household_town,
        "residence_town": a.residence_town,
        "former_welfare_post": a.former_welfare_post,
        "certificate": a.certificate.name if a.certificate else None,
        "straight_to_interview": a.straight_to_interview,
        "written_score": a.written_score,
        "interview_score": a.interview_score,
    }


def _from_json(d: dict[str, Any]) -> Applicant:
    return Applicant(
        applicant_id=d["applicant_id"],
        display_name=d["display_name"],
        education=Education[d["education"]],
        graduation_date=date.fromisoformat(d["graduation_date"]) if d["graduation_date"] else None,
        household_town=d["household_town"],
        residence_town=d["residence_town"],
        former_welfare_post=d["former_welfare_post"],
        certificate=CertificateLevel[d["certificate"]] if d["certificate"] else None,
        straight_to_interview=d["straight_to_interview"],
        written_score=d["written_score"],
        interview_score=d["interview_score"],
    )


def _view(row: RoundRow, accepted: dict[str, str]) -> RoundView:
    applicants = [_from_json(a) for a in row.applicants]
    ranking = rank(
        applicants,
        town=row.town,
        round_date=row.round_date,
        posts=row.posts,
        written_weight_percent=row.written_weight_percent,
    )
    return RoundView(
        f"{row.town}/recruitmentRounds/{row.id}",
        row.town,
        row.round_date,
        row.posts,
        row.written_weight_percent,
        applicants,
        ranking,
        accepted,
        row.creator,
    )


def create_round(
    cmd: commands.CreateRecruitmentRound,
    uow: HrUnitOfWork,
    roster: RosterClient,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> RoundView:
    names.parse("parent", cmd.town, "towns")
    names.check_id("recruitment_round_id", cmd.round_id)
    common.require_writer(caller, cmd.town, common.RECRUITERS)
    if cmd.posts < 1:
        raise InvalidArgument.field("recruitment_round.posts", tr("must be at least 1"), rule="H3")
    if not cmd.applicants:
        raise InvalidArgument.field(
            "recruitment_round.applicants", tr("must not be empty"), rule="H3"
        )
    with uow:
        weight = policy_on(uow.settings.policies(), cmd.round_date).written_weight_percent
    # Validates every applicant before anything is written (H3, H4).
    rank(
        cmd.applicants,
        town=cmd.town,
        round_date=cmd.round_date,
        posts=cmd.posts,
        written_weight_percent=weight,
    )
    if not roster.town_exists(cmd.town):
        raise NotFound(cmd.town)
    row = RoundRow(
        town=cmd.town,
        id=cmd.round_id,
        round_date=cmd.round_date,
        posts=cmd.posts,
        written_weight_percent=weight,
        applicants=[_to_json(a) for a in cmd.applicants],
        creator=caller.subject,
        create_time=clock(),
    )
    with uow:
        if uow.rounds.get(cmd.town, cmd.round_id) is not None:
            raise AlreadyExists(f"{cmd.town}/recruitmentRounds/{cmd.round_id}")
        uow.rounds.add(row)
        uow.commit()
    return _view(row, {})


def _parse_round(name: str) -> tuple[str, str]:
    town_id, round_id = names.parse("name", name, "towns", "recruitmentRounds")
    return f"towns/{town_id}", round_id


def get_round(uow: HrUnitOfWork, caller: Caller, name: str) -> RoundView:
    town, round_id = _parse_round(name)
    with uow:
        row = uow.rounds.get(town, round_id)
        if row is None or not caller.sees_town(town):
            raise NotFound(name)
        return _view(row, uow.rounds.accepted(town, round_id))


def accept_offer(
    cmd: commands.AcceptOffer,
    uow: HrUnitOfWork,
    *,
    caller: Caller,
    clock: common.Clock = china_time.now,
) -> Worker:
    """The offered applicant becomes a worker from start_date with a first contract of the
    policy's term (3 years, H6) and at most art. 19's probation; all in one transaction."""
    town, round_id = _parse_round(cmd.round)
    common.require_writer(caller, town, common.RECRUITERS)
    now = clock()
    with uow:
        row = uow.rounds.get(town, round_id)
        if row is None:
            raise NotFound(cmd.round)
        view = _view(row, uow.rounds.accepted(town, round_id))
        ranked = next(
            (r for r in view.ranking if r.applicant.applicant_id == cmd.applicant_id), None
        )
        if ranked is None:
            raise NotFound(f"{cmd.round}/applicants/{cmd.applicant_id}")
        if not ranked.offered:
            raise FailedPrecondition(
                tr(
                    "{applicant} ranks {rank} of {posts} posts and holds no offer",
                    applicant=cmd.applicant_id,
                    rank=ranked.rank,
                    posts=view.posts,
                ),
                rule="H3",
            )
        if cmd.applicant_id in view.accepted:
            raise FailedPrecondition(
                tr("{applicant} already accepted the offer", applicant=cmd.applicant_id),
                rule="H3",
            )
        worker = Worker(
            id=uuid.uuid4().hex,
            display_name=ranked.applicant.display_name,
            town=town,
            role=WorkerRole.STATION_WORKER,
            creator=caller.subject,
            create_time=now,
        )
        join(worker, cmd.start_date, caller.subject, now)
        contract = build_contract(
            worker_id=worker.id,
            existing=[],
            kind=ContractKind.FIXED_TERM,
            start=cmd.start_date,
            end=None,
            probation_months=cmd.probation_months,
            monthly_base_fen=cmd.monthly_base_fen,
            worker_asked_fixed_term=False,
            first_contract_months=policy_on(
                uow.settings.policies(), cmd.start_date
            ).first_contract_months,
            by=caller.subject,
            at=now,
        )
        uow.workers.add(worker)
        uow.contracts.add(contract)
        uow.rounds.accept(town, round_id, cmd.applicant_id, worker.id)
        uow.commit()
        return worker
