"""Use cases on self-care: assessments (rule R3), re-assessments (rule R4), and the
person-months by care level finance reads (rule F2)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from roster_svc.adapters.person_repository import ReassessmentQuery
from roster_svc.domain import history
from roster_svc.domain.assessments import Assessment, Reassessment, check_assessment
from roster_svc.domain.persons import CareLevel, Period, PersonStatus
from roster_svc.domain.workdays import WorkdayCalendar
from roster_svc.service_layer.persons import (
    STATUS_WRITERS,
    WRITERS,
    Deps,
    load_for_write,
    load_person,
)
from roster_svc.service_layer.unit_of_work import RosterUnitOfWork
from sgz_runtime import names, paging
from sgz_runtime.deadlines import check_deadline
from sgz_runtime.errors import FailedPrecondition, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, ScopeLevel

#: Re-assessment ids derived from request ids (uuid5), so a retried report finds its own.
_REQUEST_IDS = uuid.UUID("6f1c1d0e-2b1a-4c55-9a51-7d0c3e5a4b21")


@dataclass(frozen=True)
class CareDeps:
    calendar: WorkdayCalendar
    #: Rule R4: working days within which a reported change is re-assessed (a setting).
    reassessment_working_days: int = 10


def create_assessment(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, parent: str, assessment: Assessment
) -> Assessment:
    """Rule R3: the level is derived from the six answers; rule R6: dated after the latest.
    It answers the open re-assessments reported on or before its date (rule R4)."""
    assessment.care_level = check_assessment(assessment, deps.today)
    with uow:
        view = load_for_write(uow, caller, parent, deps.today, WRITERS)
        assessment.person_id = view.person.id
        earlier = uow.history.assessments([view.person.id])
        if earlier:
            latest = max(a.assessment_date for a in earlier)
            if assessment.assessment_date <= latest:
                raise FailedPrecondition(
                    f"the person was assessed on {latest}; a new assessment must be dated "
                    "after it (history is never rewritten)",
                    rule="R6",
                )
        assessment.id = uuid.uuid4().hex
        uow.history.add_assessment(assessment)
        for opened in uow.history.open_reassessments(view.person.id):
            if opened.reported_date <= assessment.assessment_date:
                opened.assessment_id = assessment.id
        uow.commit()
    return assessment


def list_assessments(
    uow: RosterUnitOfWork, deps: Deps, caller: Caller, parent: str, page_size: int, token: str
) -> tuple[list[Assessment], str]:
    page = paging.parse(page_size, token, {"parent": parent})
    with uow:
        view = load_person(uow, caller, parent, deps.today)
        found = uow.history.list_assessments(view.person.id, page.after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    last = f"{found[-1].assessment_date}/{found[-1].id}" if more else None
    return found, paging.next_token(last, {"parent": parent})


def create_reassessment(
    uow: RosterUnitOfWork,
    deps: Deps,
    care: CareDeps,
    caller: Caller,
    parent: str,
    reported_date: dt.date,
    description: str,
    request_id: str = "",
) -> Reassessment:
    """Rule R4: due the configured number of working days after the report, on the Chinese
    working-day calendar; the basis says when it fell back to Monday-Friday. A request id
    (a visit's, issue 7) names the re-assessment, so a retry returns the one it opened."""
    due, basis = care.calendar.add_working_days(reported_date, care.reassessment_working_days)
    if len(request_id) > 100:
        raise InvalidArgument.field("request_id", tr("must be at most 100 characters"))
    with uow:
        view = load_for_write(uow, caller, parent, deps.today, STATUS_WRITERS)
        new_id = uuid.uuid5(_REQUEST_IDS, request_id).hex if request_id else uuid.uuid4().hex
        if request_id:
            mine = ReassessmentQuery(person_id=view.person.id, open_only=False)
            for done in uow.history.list_reassessments(mine, None, 10_000):
                if done.id != new_id:
                    continue
                if (done.reported_date, done.description) != (reported_date, description):
                    raise InvalidArgument.field(
                        "request_id",
                        tr("was already used for a different report; use a new request id"),
                    )
                return done
        reassessment = Reassessment(
            id=new_id,
            person_id=view.person.id,
            reported_date=reported_date,
            due_date=due,
            due_date_basis=basis,
            description=description,
        )
        uow.history.add_reassessment(reassessment)
        uow.commit()
    return reassessment


def list_reassessments(
    uow: RosterUnitOfWork,
    deps: Deps,
    caller: Caller,
    parent: str,
    open_only: bool,
    page_size: int,
    token: str,
) -> tuple[list[Reassessment], str]:
    """The re-assessments of a person, or of a town's persons, by due date (rule R4)."""
    query_key = {"parent": parent, "open_only": str(open_only)}
    page = paging.parse(page_size, token, query_key)
    with uow:
        if parent.startswith("towns/"):
            (town_id,) = names.parse("parent", parent, "towns")
            if caller.scope_level is ScopeLevel.CASELOAD or not caller.sees_town(parent):
                raise NotFound(parent)
            if uow.towns.get(town_id) is None:
                raise NotFound(parent)
            query = ReassessmentQuery(town_id=town_id, open_only=open_only)
        else:
            view = load_person(uow, caller, parent, deps.today)
            query = ReassessmentQuery(person_id=view.person.id, open_only=open_only)
        found = uow.history.list_reassessments(query, page.after, page.size + 1)
    more = len(found) > page.size
    found = found[: page.size]
    last = f"{found[-1].due_date}/{found[-1].id}" if more else None
    return found, paging.next_token(last, query_key)


@dataclass(frozen=True)
class CareMonth:
    town: str
    month: dt.date
    care_level: CareLevel | None
    person_months: int
    person_days: int


def summarize_care_months(
    uow: RosterUnitOfWork,
    caller: Caller,
    parent: str,
    period: Period,
    page_size: int,
    token: str,
) -> tuple[list[CareMonth], str]:
    """Per town, month and care level of period: person-months and person-days dispersed.
    A page is a page of towns, read with three queries whatever their size."""
    query_key = {"parent": parent, "period": f"{period.start}/{period.end}"}
    page = paging.parse(page_size, token, query_key)
    (town_id,) = names.parse("parent", parent, "towns")
    with uow:
        if town_id == "-":
            if caller.scope_level is ScopeLevel.CITY:
                towns = [t.id for t in uow.towns.list(page.after, page.size + 1)]
            else:
                own = caller.scope.split("/")[1] if caller.scope.startswith("towns/") else ""
                towns = [own] if own and page.after is None else []
        else:
            if uow.towns.get(town_id) is None or not caller.sees_town(parent):
                raise NotFound(parent)
            if caller.scope_level is ScopeLevel.CASELOAD:
                raise NotFound(parent)
            towns = [town_id] if page.after is None else []
        more = len(towns) > page.size
        towns = towns[: page.size]
        events = uow.history.town_events(towns)
    by_status: dict[str, list[tuple[dt.date, PersonStatus]]] = defaultdict(list)
    by_care: dict[str, list[tuple[dt.date, CareLevel]]] = defaultdict(list)
    for person_id, day, status in events.statuses:
        by_status[person_id].append((day, status))
    for person_id, day, assessed_level in events.levels:
        by_care[person_id].append((day, assessed_level))
    months = history.month_windows(period)
    totals: dict[tuple[str, dt.date, CareLevel | None], list[int]] = defaultdict(lambda: [0, 0])
    # Persons with the same dated events count the same (a roster imported on one day, an
    # assessment campaign): each distinct history is worked out once (issue 9's benchmark).
    known: dict[tuple[tuple[Any, ...], tuple[Any, ...]], Any] = {}
    for person_id, person_town in events.people:
        check_deadline()  # a long period over many persons stops with its call (issue 11)
        statuses = tuple(sorted(by_status[person_id], key=_first))
        levels = tuple(sorted(by_care[person_id], key=_first))
        counted = known.get((statuses, levels))
        if counted is None:
            counted = history.care_months(statuses, levels, months)
            known[(statuses, levels)] = counted
        for (month, level), (person_months, days) in counted.items():
            cell = totals[(person_town, month, level)]
            cell[0] += person_months
            cell[1] += days
    order = {None: 0, CareLevel.SELF_CARE: 1, CareLevel.PARTIAL: 2, CareLevel.FULL_LOSS: 3}
    rows = [
        CareMonth(f"towns/{t}", month, level, counted_months, days)
        for (t, month, level), (counted_months, days) in sorted(
            totals.items(), key=lambda kv: (kv[0][0], kv[0][1], order[kv[0][2]])
        )
        if days > 0
    ]
    return rows, paging.next_token(towns[-1] if more and town_id == "-" else None, query_key)


def _first(event: tuple[dt.date, Any]) -> dt.date:
    return event[0]
