"""Visits of a town or village, optionally one worker's and one week's (ListVisits with a
parent), and the week a weekly-due view shows when none is asked: the current one in CST."""

from __future__ import annotations

from dataclasses import dataclass

from sgz_runtime import china_time, paging
from sgz_runtime.errors import FieldViolation, InvalidArgument, NotFound
from sgz_runtime.i18n import tr
from sgz_runtime.identity import Caller, ScopeLevel
from visit_svc.adapters.visit_queries import VisitFilter, VisitQueries
from visit_svc.domain.visits import Visit
from visit_svc.domain.weeks import IsoWeek
from visit_svc.service_layer import common


@dataclass(frozen=True, kw_only=True)
class ListVisitsIn:
    parent: str
    worker: str = ""
    week: str = ""
    page_size: int = 0
    page_token: str = ""


def current_week() -> IsoWeek:
    """The ISO week of today in China Standard Time."""
    return IsoWeek.of(china_time.today())


def _place(parent: str) -> tuple[str, str | None] | None:
    parts = parent.split("/")
    if len(parts) == 2 and parts[0] == "towns" and parts[1]:
        return parent, None
    if len(parts) == 4 and parts[0] == "towns" and parts[2] == "villages" and all(parts[1::2]):
        return "/".join(parts[:2]), parent
    return None


def list_visits_in(
    cmd: ListVisitsIn, queries: VisitQueries, *, caller: Caller
) -> tuple[list[Visit], str]:
    """The visits recorded in a town or village, oldest first; a worker sees their own."""
    violations: list[FieldViolation] = []
    place = _place(cmd.parent)
    if place is None:
        violations.append(
            FieldViolation(
                "parent", tr("must be a town such as towns/chengdong, or one of its villages")
            )
        )
    worker = cmd.worker.strip()
    if worker and (not worker.startswith("workers/") or worker.count("/") != 1):
        violations.append(FieldViolation("worker", tr("must be a worker such as workers/w1")))
    week: IsoWeek | None = None
    if cmd.week:
        try:
            week = IsoWeek.parse(cmd.week)
        except ValueError:
            violations.append(
                FieldViolation("week", tr("must be an ISO week such as 2026-W48"), "V1")
            )
    if violations or place is None:
        raise InvalidArgument.of(violations)
    town, village = place
    if caller.scope_level is ScopeLevel.CASELOAD:
        if worker and worker != caller.scope:
            return [], ""
        worker = caller.scope
    elif caller.scope_level is ScopeLevel.VILLAGE:
        if village is not None and village != caller.scope:
            raise NotFound(cmd.parent)
        if not caller.scope.startswith(town + "/"):
            raise NotFound(cmd.parent)
        village = caller.scope
    elif not caller.sees_town(town):
        raise NotFound(cmd.parent)
    key = {"parent": cmd.parent, "worker": worker, "week": str(week or "")}
    page = paging.parse(cmd.page_size, cmd.page_token, key)
    try:
        after = int(page.after) if page.after is not None else None
    except ValueError:
        raise InvalidArgument.field("page_token", "is not a token this method issued") from None
    where = VisitFilter(town, village, worker or None, week.monday if week else None)
    rows = queries.list_in(where, after, page.size + 1)
    more = len(rows) > page.size
    rows = rows[: page.size]
    token = paging.next_token(str(rows[-1][0]) if more else None, key)
    return [v for _, v in rows if common.sees(caller, v.town, v.village, v.worker)], token
