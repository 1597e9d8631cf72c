"""The dated visit policy (rules V1, V3-V6) through a real visit server and database: the
seeded version is DOMAIN.md's defaults, a later version is added from a future date, and a
backdated one or a caller other than the city is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import grpc
import pytest
from google.protobuf import duration_pb2
from google.type import date_pb2
from sgz.visit.v1 import visit_pb2 as pb
from sgz.visit.v1 import visit_pb2_grpc

from sgz_runtime.identity import Role, ScopeLevel
from sgz_runtime.server import RunningServer
from tests.conftest import CITY, as_caller
from visit_svc.app import build
from visit_svc.domain.policy import default_policy
from visit_svc.entrypoints.convert import policy_from_pb


@pytest.fixture
def visits(
    start_service: Callable[..., tuple[RunningServer, grpc.Channel]],
) -> visit_pb2_grpc.VisitServiceStub:
    _, channel = start_service("visit", build)
    return visit_pb2_grpc.VisitServiceStub(channel)


def _d(day: dt.date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _hours(n: int) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=n * 3600)


def test_the_seeded_policy_is_the_domain_default(visits) -> None:  # type: ignore[no-untyped-def]
    """Rules V1, V6: migration 0002 seeds exactly DOMAIN.md's table as version v1."""
    (seeded,) = visits.ListVisitPolicies(pb.ListVisitPoliciesRequest(), metadata=CITY).policies
    assert seeded.name == "visitPolicies/v1"
    found = policy_from_pb(seeded, "v1")
    expected = default_policy(dt.date(2022, 1, 1))
    assert found.visits_per_week == expected.visits_per_week == 1
    assert found.due_soon == expected.due_soon
    # Rule V2 (issue 7, bug 5): the extra checks are the seeded version's setting.
    assert list(seeded.extra_checks) == [pb.CHECK_ITEM_FOOD_SOURCE, pb.CHECK_ITEM_ABLE_TO_FEED_SELF]
    assert found.extra_checks == expected.extra_checks
    assert sorted(found.rules, key=lambda r: r.finding.value) == sorted(
        expected.rules, key=lambda r: r.finding.value
    )


def _policy(day: dt.date) -> pb.VisitPolicy:
    return pb.VisitPolicy(
        effective_date=_d(day),
        visits_per_week=2,
        due_soon=_hours(12),
        rules=[
            pb.EscalationRule(
                finding=pb.CHECK_ITEM_ILLNESS,
                urgency=pb.URGENCY_IMMEDIATE,
                action=pb.ESCALATION_ACTION_HOSPITAL_ADMISSION,
                contact_within=_hours(1),
                action_within=_hours(12),
                assistance_required=True,
            )
        ],
    )


def test_a_later_version_is_added_and_listed_after_the_first(visits) -> None:  # type: ignore[no-untyped-def]
    later = dt.date.today() + dt.timedelta(days=10)
    made = visits.CreateVisitPolicy(
        pb.CreateVisitPolicyRequest(policy=_policy(later), policy_id="v2"), metadata=CITY
    )
    assert made.name == "visitPolicies/v2"
    listed = visits.ListVisitPolicies(pb.ListVisitPoliciesRequest(page_size=1), metadata=CITY)
    assert [p.name for p in listed.policies] == ["visitPolicies/v1"]
    rest = visits.ListVisitPolicies(
        pb.ListVisitPoliciesRequest(page_size=1, page_token=listed.next_page_token),
        metadata=CITY,
    )
    assert [p.name for p in rest.policies] == ["visitPolicies/v2"]
    assert rest.next_page_token == ""


def test_a_backdated_version_is_refused_citing_v6(visits) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as info:
        visits.CreateVisitPolicy(
            pb.CreateVisitPolicyRequest(policy=_policy(dt.date(2025, 1, 1)), policy_id="old"),
            metadata=CITY,
        )
    assert info.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert len(visits.ListVisitPolicies(pb.ListVisitPoliciesRequest(), metadata=CITY).policies) == 1


def test_a_rule_with_an_unknown_finding_is_refused(visits) -> None:  # type: ignore[no-untyped-def]
    policy = _policy(dt.date.today() + dt.timedelta(days=10))
    policy.rules[0].finding = 77  # type: ignore[assignment]
    with pytest.raises(grpc.RpcError) as info:
        visits.CreateVisitPolicy(
            pb.CreateVisitPolicyRequest(policy=policy, policy_id="v2"), metadata=CITY
        )
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_only_the_city_sets_the_policy(visits) -> None:  # type: ignore[no-untyped-def]
    chief = as_caller(role=Role.STATION_CHIEF, level=ScopeLevel.TOWN, scope="towns/chengdong")
    with pytest.raises(grpc.RpcError) as info:
        visits.CreateVisitPolicy(
            pb.CreateVisitPolicyRequest(
                policy=_policy(dt.date.today() + dt.timedelta(days=10)), policy_id="v2"
            ),
            metadata=chief,
        )
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
