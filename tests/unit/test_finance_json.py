"""Money in JSON is integer fen (rule F5, DOMAIN.md "Money"): the gateway's transcoder refuses a
fraction of a fen before any finance code runs, and every finance RPC declares who may call it."""

from __future__ import annotations

import json

import pytest
from sgz.finance.v1 import finance_pb2

from gateway.descriptors import load_backends
from gateway.transcoding import Route, build_request, routes_of
from sgz_runtime.errors import InvalidArgument

CREATE_EXPENSE = "/sgz.finance.v1.FinanceService/CreateExpense"


def _route(path: str) -> Route:
    routes, _ = routes_of(load_backends())
    return next(r for r in routes if r.grpc_path == path)


def _expense(fen: object) -> bytes:
    return json.dumps(
        {
            "expense": {
                "category": "EXPENSE_CATEGORY_PERFORMANCE_PAY",
                "payee": "workers/w1",
                "amount": {"fen": fen},
                "evidence": "payRuns/r1",
            },
            "requestId": "payRuns/r1/workers/w1",
        }
    ).encode()


@pytest.mark.parametrize("fen", ["12.5", 12.5, "0.01e1", "1e-2"])
def test_a_fraction_of_a_fen_is_refused_by_the_transcoder(fen: object) -> None:
    with pytest.raises(InvalidArgument) as refused:
        build_request(
            _route(CREATE_EXPENSE), {"parent": "towns/a/periods/2026H1"}, [], _expense(fen)
        )
    assert any("amount" in v.field for v in refused.value.violations)


@pytest.mark.parametrize("fen", ["1250", 1250])
def test_whole_fen_as_a_string_or_a_number_are_accepted(fen: object) -> None:
    request = build_request(
        _route(CREATE_EXPENSE), {"parent": "towns/a/periods/2026H1"}, [], _expense(fen)
    )
    assert isinstance(request, finance_pb2.CreateExpenseRequest)
    assert request.expense.amount.fen == 1250


def test_every_finance_rpc_is_routed_and_declares_its_roles() -> None:
    from sgz.common.v1 import access_pb2

    service = finance_pb2.DESCRIPTOR.services_by_name["FinanceService"]
    routed = {r.grpc_path for r in routes_of(load_backends())[0]}
    for method in service.methods:
        assert f"/{service.full_name}/{method.name}" in routed
        access = method.GetOptions().Extensions[access_pb2.access]
        assert list(access.roles), method.name
        if access_pb2.ACCESS_ROLE_AUDITOR in access.roles:
            assert access.read_only, method.name
