"""The one place finance protos become plain values and back."""

from __future__ import annotations

from sgz.common.v1 import types_pb2
from sgz.finance.v1 import finance_pb2 as pb

from finance_svc.adapters.repository import PeriodRecord
from finance_svc.domain.allocation import Allocation, AllocationState
from finance_svc.domain.categories import CategorySetting, ExpenseCategory
from finance_svc.domain.closing import Flows
from finance_svc.domain.ledger import Account, AccountKey, Leg, Line, Posting, PostingKind
from finance_svc.domain.periods import PeriodState, disbursement_period
from finance_svc.domain.standards import LEVEL_ORDER, CareLevel, CareStandard, MinimumWage
from finance_svc.service_layer import commands
from finance_svc.service_layer.closing import PeriodView
from finance_svc.service_layer.settings import CheckedStandard
from sgz_runtime import names
from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.money import Fen
from sgz_runtime.periods import Period
from sgz_runtime.proto_values import date_to_pb, required_date, timestamp_to_pb

LEVELS = {
    CareLevel.SELF_CARE: pb.CARE_LEVEL_SELF_CARE,
    CareLevel.PARTIAL: pb.CARE_LEVEL_PARTIAL,
    CareLevel.FULL_LOSS: pb.CARE_LEVEL_FULL_LOSS,
}
LEVELS_BACK: dict[int, CareLevel] = {int(v): k for k, v in LEVELS.items()}
CATEGORIES = {
    ExpenseCategory.WORKER_PAY: pb.EXPENSE_CATEGORY_WORKER_PAY,
    ExpenseCategory.PERFORMANCE_PAY: pb.EXPENSE_CATEGORY_PERFORMANCE_PAY,
    ExpenseCategory.TRAINING: pb.EXPENSE_CATEGORY_TRAINING,
    ExpenseCategory.VISIT_TRANSPORT: pb.EXPENSE_CATEGORY_VISIT_TRANSPORT,
    ExpenseCategory.CLEANING_ASSISTANCE: pb.EXPENSE_CATEGORY_CLEANING_ASSISTANCE,
    ExpenseCategory.OTHER: pb.EXPENSE_CATEGORY_OTHER,
}
CATEGORIES_BACK: dict[int, ExpenseCategory] = {int(v): k for k, v in CATEGORIES.items()}
STATES = {
    PeriodState.OPEN: pb.PERIOD_STATE_OPEN,
    PeriodState.ALLOCATED: pb.PERIOD_STATE_ALLOCATED,
    PeriodState.DISBURSED: pb.PERIOD_STATE_DISBURSED,
    PeriodState.CLOSED: pb.PERIOD_STATE_CLOSED,
}
ALLOCATION_STATES = {
    AllocationState.DRAFT: pb.ALLOCATION_STATE_DRAFT,
    AllocationState.APPROVED: pb.ALLOCATION_STATE_APPROVED,
    AllocationState.SUPERSEDED: pb.ALLOCATION_STATE_SUPERSEDED,
}
LEGS = {
    Leg.CITY_TO_TOWN: pb.DISBURSEMENT_LEG_CITY_TO_TOWN,
    Leg.TOWN_TO_STATION: pb.DISBURSEMENT_LEG_TOWN_TO_STATION,
}
LEGS_BACK: dict[int, Leg] = {int(v): k for k, v in LEGS.items()}
KINDS = {
    PostingKind.DISBURSEMENT: pb.POSTING_KIND_DISBURSEMENT,
    PostingKind.EXPENSE: pb.POSTING_KIND_EXPENSE,
    PostingKind.RETURN: pb.POSTING_KIND_RETURN,
    PostingKind.ADJUSTMENT: pb.POSTING_KIND_ADJUSTMENT,
}
ACCOUNTS = {
    Account.CITY_FUND: pb.ACCOUNT_CITY_FUND,
    Account.TOWN: pb.ACCOUNT_TOWN,
    Account.STATION: pb.ACCOUNT_STATION,
    Account.EXPENSE: pb.ACCOUNT_EXPENSE,
}
ACCOUNTS_BACK: dict[int, Account] = {int(v): k for k, v in ACCOUNTS.items()}


def money(amount: Fen) -> types_pb2.Money:
    return types_pb2.Money(fen=amount.fen)


def fen(message: types_pb2.Money) -> Fen:
    return Fen(int(message.fen))


def period_name(name: str, field: str = "name", *, suffix: str | None = None) -> tuple[str, Period]:
    """`towns/{town}/periods/{2026H1}` (and an optional last segment) -> town and period."""
    parts = name.split("/")
    if suffix is not None:
        if len(parts) != 5 or parts[4] != suffix:
            raise InvalidArgument.field(
                field,
                tr("must be a name like towns/{{town}}/periods/{{period}}/{suffix}", suffix=suffix),
            )
        name = "/".join(parts[:4])
    town_id, period_text = names.parse(field, name, "towns", "periods")
    return f"towns/{town_id}", disbursement_period(period_text, field)


def category(value: int, field: str) -> ExpenseCategory | None:
    if value == pb.EXPENSE_CATEGORY_UNSPECIFIED:
        return None
    found = CATEGORIES_BACK.get(value)
    if found is None:
        raise InvalidArgument.field(field, tr("is not a known category"), rule="F3")
    return found


def leg(value: int) -> Leg:
    found = LEGS_BACK.get(value)
    if found is None:
        raise InvalidArgument.field("leg", tr("is required: city to town, or town to station"))
    return found


def account(value: int, field: str) -> Account:
    found = ACCOUNTS_BACK.get(value)
    if found is None:
        raise InvalidArgument.field(field, tr("is required"))
    return found


def line_from_pb(message: pb.PostingLine, field: str) -> Line:
    which = account(message.account, f"{field}.account")
    cat = category(message.category, f"{field}.category")
    return Line(AccountKey(which, cat), fen(message.amount))


def line_to_pb(line: Line) -> pb.PostingLine:
    return pb.PostingLine(
        account=ACCOUNTS[line.key.account],
        category=CATEGORIES[line.key.category]
        if line.key.category
        else pb.EXPENSE_CATEGORY_UNSPECIFIED,
        amount=money(line.amount),
    )


def wage_from_pb(message: pb.MinimumWage) -> commands.CreateMinimumWage:
    return commands.CreateMinimumWage(
        effective_from=required_date(message.effective_date, "minimum_wage.effective_date"),
        monthly=fen(message.monthly),
    )


def wage_to_pb(wage: MinimumWage) -> pb.MinimumWage:
    return pb.MinimumWage(
        name=wage.name,
        effective_date=date_to_pb(wage.effective_from),
        monthly=money(wage.monthly),
        recorded_by=wage.recorded_by,
    )


def standard_from_pb(message: pb.CareStandard) -> commands.CreateCareStandard:
    amounts: dict[CareLevel, Fen] = {}
    for i, item in enumerate(message.amounts):
        level = LEVELS_BACK.get(item.care_level)
        if level is None:
            raise InvalidArgument.field(
                f"care_standard.amounts[{i}].care_level", tr("is required"), rule="F2"
            )
        amounts[level] = fen(item.monthly)
    return commands.CreateCareStandard(
        effective_from=required_date(message.effective_date, "care_standard.effective_date"),
        amounts=amounts,
        below_floor_reason=message.below_floor_reason,
    )


def standard_to_pb(checked: CheckedStandard) -> pb.CareStandard:
    standard: CareStandard = checked.standard
    check = checked.check
    warning = check.warning(standard) if check is not None else None
    return pb.CareStandard(
        name=standard.name,
        effective_date=date_to_pb(standard.effective_from),
        amounts=[
            pb.CareLevelAmount(
                care_level=LEVELS[level],
                monthly=money(standard.amounts[level]),
                floor=money(check.floors[level]) if check is not None else None,
                below_floor=check is not None and level in check.below,
            )
            for level in LEVEL_ORDER
        ],
        below_floor_reason=standard.below_floor_reason,
        warning=warning.render() if warning is not None else "",
        recorded_by=standard.recorded_by,
    )


def categories_from_pb(message: pb.ExpenseCategories) -> commands.CreateExpenseCategories:
    found = frozenset(
        c
        for i, value in enumerate(message.categories)
        if (c := category(value, f"expense_categories.categories[{i}]")) is not None
    )
    return commands.CreateExpenseCategories(
        effective_from=required_date(message.effective_date, "expense_categories.effective_date"),
        categories=found,
    )


def categories_to_pb(setting: CategorySetting) -> pb.ExpenseCategories:
    return pb.ExpenseCategories(
        name=setting.name,
        effective_date=date_to_pb(setting.effective_from),
        categories=sorted(CATEGORIES[c] for c in setting.categories),
    )


def period_to_pb(view: PeriodView) -> pb.DisbursementPeriod:
    record: PeriodRecord = view.record
    found: Flows = view.flows
    return pb.DisbursementPeriod(
        name=record.name,
        state=STATES[record.state],
        allocated=money(record.allocated or Fen(0)),
        disbursed_to_town=money(found.received),
        disbursed_to_station=money(found.disbursed_to_station),
        town_balance=money(found.town_balance),
        station_balance=money(found.station_balance),
        spent=money(found.spent_total),
        returned=money(found.returned),
        close_time=timestamp_to_pb(record.closed_at),
        closed_by=record.closed_by,
    )


def allocation_to_pb(allocation: Allocation) -> pb.Allocation:
    e = allocation.explanation
    return pb.Allocation(
        name=allocation.name,
        state=ALLOCATION_STATES[allocation.state],
        amount=money(allocation.amount),
        lines=[
            pb.AllocationLine(
                month=date_to_pb(x.month),
                care_level=LEVELS[x.level],
                person_months=x.person_months,
                standard=money(x.standard),
                amount=money(x.amount),
                care_standard=x.care_standard,
            )
            for x in e.lines
        ],
        unassessed_person_months=e.unassessed_person_months,
        warnings=list(e.warnings),
        computed_by=allocation.computed_by,
        compute_time=timestamp_to_pb(allocation.computed_at),
        approved_by=allocation.approved_by,
        approve_time=timestamp_to_pb(allocation.approved_at),
        supersedes=(
            f"{allocation.town}/periods/{allocation.period}/allocations/{allocation.supersedes}"
            if allocation.supersedes is not None
            else ""
        ),
        reason=allocation.reason,
        unassessed_override_reason=allocation.unassessed_override_reason,
        unassessed_persons=list(e.unassessed_persons),
    )


def allocation_name(name: str) -> commands.ApproveAllocation:
    parts = name.split("/")
    if len(parts) != 6 or parts[4] != "allocations" or not parts[5].isdigit():
        raise InvalidArgument.field(
            "name", tr("must be a name like towns/{{town}}/periods/{{period}}/allocations/{{n}}")
        )
    town, period = period_name("/".join(parts[:4]))
    return commands.ApproveAllocation(town=town, period=period, version=int(parts[5]))


def posting_to_pb(posting: Posting) -> pb.Posting:
    return pb.Posting(
        name=posting.name,
        kind=KINDS[posting.kind],
        lines=[line_to_pb(x) for x in posting.lines],
        amount=money(posting.amount),
        leg=LEGS[posting.leg] if posting.leg else pb.DISBURSEMENT_LEG_UNSPECIFIED,
        category=CATEGORIES[posting.category]
        if posting.category
        else pb.EXPENSE_CATEGORY_UNSPECIFIED,
        payee=posting.payee,
        evidence=posting.evidence,
        adjusts=posting.adjusts,
        reason=posting.reason,
        posted_by=posting.posted_by,
        post_time=timestamp_to_pb(posting.posted_at),
        request_id=posting.request_id,
        previous_hash=posting.prev_hash,
        hash=posting.hash,
    )


def expense_to_pb(posting: Posting) -> pb.Expense:
    return pb.Expense(
        name=posting.expense_name,
        category=CATEGORIES[posting.category]
        if posting.category
        else pb.EXPENSE_CATEGORY_UNSPECIFIED,
        payee=posting.payee,
        amount=money(posting.amount),
        evidence=posting.evidence,
        recorded_by=posting.posted_by,
        record_time=timestamp_to_pb(posting.posted_at),
    )
