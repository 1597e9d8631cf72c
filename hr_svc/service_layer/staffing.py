"""Use cases on staffing (rules H1, H2): one town, and the city view."""

from __future__ import annotations

from datetime import date

from hr_svc.adapters.roster_client import RosterClient, VillageCount
from hr_svc.domain.staffing import Staffing, staffing_on
from hr_svc.domain.workers import Worker
from hr_svc.service_layer import commands, common
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime import china_time, names, paging
from sgz_runtime.errors import InvalidArgument, NotFound
from sgz_runtime.i18n import Text, tr
from sgz_runtime.identity import Caller, ScopeLevel


def village_basis(count: VillageCount) -> Text:
    if count.dated:
        return tr("villages in the roster on the date")
    return tr(
        "today's villages in the roster: the roster keeps no history of villages, so earlier "
        "dates use today's count"
    )


def _staffing(town: str, on: date, villages: int, workers: list[Worker]) -> Staffing:
    mine = [w for w in workers if w.town == town]
    return staffing_on(
        town,
        on,
        villages,
        [s for w in mine if not w.is_chief for s in w.spells()],
        [s for w in mine if w.is_chief for s in w.spells()],
    )


def get_town_staffing(
    cmd: commands.GetTownStaffing,
    uow: HrUnitOfWork,
    roster: RosterClient,
    *,
    caller: Caller,
) -> tuple[Staffing, Text]:
    town = cmd.town
    names.parse("name", town, "towns")
    caller.require_town(town)
    on = cmd.on or china_time.today()
    counts = roster.village_counts([town])
    if town not in counts:
        error = NotFound(
            town,
            message=tr(
                "{town} is not a town in the roster: staffing is counted from its villages (H1)",
                town=town,
            ),
        )
        error.rule = "H1"
        raise error
    with uow:
        workers = uow.workers.in_towns([town])
    return _staffing(town, on, counts[town].villages, workers), village_basis(counts[town])


def list_town_staffing(
    cmd: commands.ListTownStaffing,
    uow: HrUnitOfWork,
    roster: RosterClient,
    *,
    caller: Caller,
) -> tuple[list[tuple[Staffing, Text]], str]:
    """Every town the caller sees, in order of the town's name (H1, H2)."""
    on = cmd.on or china_time.today()
    query = {"on": on.isoformat(), "shortfall_only": str(cmd.shortfall_only)}
    page = paging.parse(cmd.page_size, cmd.page_token, query)
    if page.after is not None and not page.after.startswith("towns/"):
        raise InvalidArgument.field("page_token", "is not a token this method issued")
    towns = None if caller.scope_level is ScopeLevel.CITY else [common.own_town(caller)]
    counts = roster.village_counts(towns)
    ordered = sorted(t for t in counts if page.after is None or t > page.after)
    with uow:
        workers = uow.workers.in_towns(towns)
    out: list[tuple[Staffing, Text]] = []
    more = False
    for town in ordered:
        got = _staffing(town, on, counts[town].villages, workers)
        if cmd.shortfall_only and got.shortfall == 0:
            continue
        if len(out) == page.size:
            more = True
            break
        out.append((got, village_basis(counts[town])))
    return out, paging.next_token(out[-1][0].town if more and out else None, query)
