"""The finance service through real gRPC servers (finance and the roster it reads), on SQLite or
PostgreSQL: a period from standards to statement, with each refusal carrying its rule id and the
Chinese text (rules F1-F5); assessment's performance pay as idempotent expenses."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from google.type import date_pb2
from sgz.common.v1 import types_pb2
from sgz.finance.v1 import finance_pb2 as fpb
from sgz.finance.v1 import finance_pb2_grpc
from sgz.roster.v1 import roster_pb2 as rpb
from sgz.roster.v1 import roster_pb2_grpc

from finance_svc.app import build as build_finance
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import as_caller

Metadata = tuple[tuple[str, str | bytes], ...]


def _as(**kwargs: object) -> Metadata:
    return tuple(as_caller(**kwargs))


CITY = _as()
TOWN = "towns/chengdong"
H1 = f"{TOWN}/periods/2026H1"
MAKER = _as(role=Role.CITY_FINANCE, subject="users/maker")
CHECKER = _as(role=Role.CITY_FINANCE, subject="users/checker")
CHIEF = _as(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope=TOWN, subject="users/c")
OTHER_CHIEF = _as(
    role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/xicheng", subject="users/x"
)
IDS = ("32062119491231000X", "320682195001010011")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _d(value: str) -> date_pb2.Date:
    day = dt.date.fromisoformat(value)
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _fen(value: int) -> types_pb2.Money:
    return types_pb2.Money(fen=value)


def _rule_and_text(error: grpc.RpcError) -> tuple[str, str]:
    rule, text = "", ""
    for detail in status.rich_status(error).details:
        info = error_details_pb2.ErrorInfo()
        localized = error_details_pb2.LocalizedMessage()
        if detail.Unpack(info):
            rule = info.metadata.get("rule", "")
        elif detail.Unpack(localized):
            text = localized.message
    return rule, text


@dataclass
class Stack:
    finance: finance_pb2_grpc.FinanceServiceStub
    roster: roster_pb2_grpc.RosterServiceStub


@pytest.fixture
def stack(start_service) -> Iterator[Stack]:  # type: ignore[no-untyped-def]
    """A town with two persons dispersed all of 2026H1: one full loss (4 indicators failed),
    one self-care; the 2025 minimum wage and a 2026 care standard recorded."""
    roster_server, roster_channel = start_service("roster", build_roster, hr=_free_port())
    _, finance_channel = start_service("finance", build_finance, roster=roster_server.port)
    roster = roster_pb2_grpc.RosterServiceStub(roster_channel)
    roster.CreateTown(
        rpb.CreateTownRequest(
            town=rpb.Town(
                display_name="城东镇", administrative_code="320621100", kind=rpb.TOWN_KIND_TOWN
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    roster.CreateVillage(
        rpb.CreateVillageRequest(
            parent=TOWN,
            village=rpb.Village(display_name="新华村", kind=rpb.VILLAGE_KIND_VILLAGE),
            village_id="xinhua",
        ),
        metadata=CITY,
    )
    indicators = ["eating", "dressing", "transferring", "toileting", "indoor_walking", "bathing"]
    for number, unable in zip(IDS, (4, 0), strict=True):
        person = roster.CreatePerson(
            rpb.CreatePersonRequest(
                person=rpb.Person(
                    display_name="老人", id_number=number, village=f"{TOWN}/villages/xinhua"
                ),
                start_date=_d("2025-06-01"),
            ),
            metadata=CITY,
        )
        answers: dict[str, Any] = {
            name: rpb.INDICATOR_ANSWER_UNABLE if i < unable else rpb.INDICATOR_ANSWER_ABLE
            for i, name in enumerate(indicators)
        }
        roster.CreateAssessment(
            rpb.CreateAssessmentRequest(
                parent=person.name,
                assessment=rpb.Assessment(
                    assessor="评估中心", assessment_date=_d("2025-06-01"), **answers
                ),
            ),
            metadata=CITY,
        )
    # A third person, never assessed: counted nowhere, listed by name (rule F1).
    body = "32068219500101002"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(a) * w for a, w in zip(body, weights, strict=True)) % 11]
    roster.CreatePerson(
        rpb.CreatePersonRequest(
            person=rpb.Person(
                display_name="老人", id_number=body + check, village=f"{TOWN}/villages/xinhua"
            ),
            start_date=_d("2025-06-01"),
        ),
        metadata=CITY,
    )
    finance = finance_pb2_grpc.FinanceServiceStub(finance_channel)
    civil = _as(role=Role.CITY_CIVIL_AFFAIRS)
    finance.CreateMinimumWage(
        fpb.CreateMinimumWageRequest(
            minimum_wage=fpb.MinimumWage(effective_date=_d("2025-01-01"), monthly=_fen(249000))
        ),
        metadata=civil,
    )
    finance.CreateCareStandard(
        fpb.CreateCareStandardRequest(
            care_standard=fpb.CareStandard(
                effective_date=_d("2026-01-01"),
                amounts=[
                    fpb.CareLevelAmount(care_level=fpb.CARE_LEVEL_SELF_CARE, monthly=_fen(15000)),
                    fpb.CareLevelAmount(care_level=fpb.CARE_LEVEL_PARTIAL, monthly=_fen(40000)),
                    fpb.CareLevelAmount(care_level=fpb.CARE_LEVEL_FULL_LOSS, monthly=_fen(80000)),
                ],
            )
        ),
        metadata=civil,
    )
    yield Stack(finance, roster)


def _expense(s: Stack, fen: int, rid: str, metadata: Metadata) -> fpb.Expense:
    made: fpb.Expense = s.finance.CreateExpense(
        fpb.CreateExpenseRequest(
            parent=H1,
            expense=fpb.Expense(
                category=fpb.EXPENSE_CATEGORY_PERFORMANCE_PAY,
                payee="workers/w1",
                amount=_fen(fen),
                evidence="payRuns/r1",
            ),
            request_id=rid,
        ),
        metadata=metadata,
    )
    return made


def test_a_period_from_the_roster_to_the_statement(stack: Stack) -> None:
    """6 months x (1 full loss x 800.00 + 1 self-care x 150.00) = 5,700.00 元 = 570,000 fen."""
    s = stack
    computed = s.finance.ComputeAllocations(
        fpb.ComputeAllocationsRequest(
            parent="towns/-/periods/2026H1", unassessed_override_reason="assessment booked"
        ),
        metadata=MAKER,
    )
    (allocation,) = computed.allocations
    assert allocation.unassessed_person_months == 6
    (unassessed,) = allocation.unassessed_persons
    assert unassessed.startswith("persons/")
    assert (allocation.name, allocation.amount.fen) == (f"{H1}/allocations/1", 570000)
    assert len(allocation.lines) == 12
    with pytest.raises(grpc.RpcError) as own:
        s.finance.ApproveAllocation(
            fpb.ApproveAllocationRequest(name=allocation.name), metadata=MAKER
        )
    assert own.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert _rule_and_text(own.value)[0] == "F1"
    s.finance.ApproveAllocation(
        fpb.ApproveAllocationRequest(name=allocation.name), metadata=CHECKER
    )
    for leg, rid in (
        (fpb.DISBURSEMENT_LEG_CITY_TO_TOWN, "d-1"),
        (fpb.DISBURSEMENT_LEG_TOWN_TO_STATION, "d-2"),
    ):
        s.finance.CreateDisbursement(
            fpb.CreateDisbursementRequest(parent=H1, leg=leg, amount=_fen(570000), request_id=rid),
            metadata=MAKER,
        )
    # Assessment's performance pay: idempotent on the request id (HELPERS.md contract).
    first = _expense(s, 500000, "payRuns/r1/workers/w1", CHIEF)
    again = _expense(s, 500000, "payRuns/r1/workers/w1", CHIEF)
    assert first.name == again.name and first.amount.fen == 500000
    with pytest.raises(grpc.RpcError) as other:
        _expense(s, 500001, "payRuns/r1/workers/w1", CHIEF)
    assert other.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as elsewhere:
        _expense(s, 1, "x-1", OTHER_CHIEF)
    assert elsewhere.value.code() == grpc.StatusCode.NOT_FOUND

    period = s.finance.GetPeriod(fpb.GetPeriodRequest(name=H1), metadata=CHIEF)
    assert period.state == fpb.PERIOD_STATE_DISBURSED
    assert (period.station_balance.fen, period.spent.fen) == (70000, 500000)
    with pytest.raises(grpc.RpcError) as left:
        s.finance.ClosePeriod(fpb.ClosePeriodRequest(name=H1), metadata=MAKER)
    assert left.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    rule, text = _rule_and_text(left.value)
    assert rule == "F4" and text.startswith("尚余 700.00 元")
    s.finance.CreateReturn(
        fpb.CreateReturnRequest(
            parent=H1, account=fpb.ACCOUNT_STATION, amount=_fen(70000), request_id="r-1"
        ),
        metadata=CHIEF,
    )
    closed = s.finance.ClosePeriod(fpb.ClosePeriodRequest(name=H1), metadata=MAKER)
    assert closed.state == fpb.PERIOD_STATE_CLOSED

    statement = s.finance.GetStatement(
        fpb.GetStatementRequest(name=f"{H1}/statement"), metadata=CHIEF
    )
    assert (statement.opening.fen, statement.received.fen, statement.returned.fen) == (
        0,
        570000,
        70000,
    )
    assert [(c.category, c.amount.fen) for c in statement.spent] == [
        (fpb.EXPENSE_CATEGORY_PERFORMANCE_PAY, 500000)
    ]
    assert statement.closing.fen == 0 and json.loads(statement.canonical_json)["closing"] == 0
    disclosure = s.finance.GetDisclosure(
        fpb.GetDisclosureRequest(name=f"{H1}/disclosure"), metadata=CHIEF
    )
    assert disclosure.statement_hash == statement.statement_hash
    assert not any(m in str(disclosure) for m in ("workers/", "users/", "persons/"))
    verified = s.finance.VerifyPostings(fpb.VerifyPostingsRequest(town=TOWN), metadata=CITY)
    assert verified.holds and verified.postings_checked == 4
    with pytest.raises(grpc.RpcError) as late:
        _expense(s, 1, "late", CHIEF)
    assert _rule_and_text(late.value)[0] == "F4"
