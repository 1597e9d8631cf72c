"""UpdateWorker (AIP-134) through a real gRPC server on a real database (SQLite and PostgreSQL):
the etag moves on, a stale one is aborted, town and role are refused (rule H2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.rpc import error_details_pb2
from sgz.hr.v1 import hr_pb2 as pb
from sgz.hr.v1 import hr_pb2_grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from hr_svc.app import build as build_hr
from roster_svc.app import build as build_roster
from sgz_runtime import status
from sgz_runtime.identity import Role, ScopeLevel
from tests.conftest import CITY, as_caller

TOWN_HR = as_caller(role=Role.HR, level=ScopeLevel.TOWN, scope="towns/chengdong")
XICHENG_HEAD = as_caller(role=Role.TOWN_HEAD, level=ScopeLevel.TOWN, scope="towns/xicheng")


def test_update_worker_changes_the_fields_named_and_refuses_stale_etags_and_town(
    start_service: Callable[..., tuple[Any, grpc.Channel]],
) -> None:
    roster_server, roster_channel = start_service("roster", build_roster)
    _, hr_channel = start_service("hr", build_hr, roster=roster_server.port)
    roster: Any = roster_pb2_grpc.RosterServiceStub(roster_channel)
    roster.CreateTown(
        roster_pb2.CreateTownRequest(
            town=roster_pb2.Town(
                display_name="城东镇",
                administrative_code="320621100",
                kind=roster_pb2.TOWN_KIND_TOWN,
            ),
            town_id="chengdong",
        ),
        metadata=CITY,
    )
    hr: Any = hr_pb2_grpc.HrServiceStub(hr_channel)
    made = hr.CreateWorker(
        pb.CreateWorkerRequest(
            worker=pb.Worker(
                display_name="王芳",
                town="towns/chengdong",
                role=pb.WORKER_ROLE_STATION_WORKER,
                phone="13812345678",
            )
        ),
        metadata=TOWN_HR,
    )
    updated = hr.UpdateWorker(
        pb.UpdateWorkerRequest(
            worker=pb.Worker(
                name=made.name, display_name="王方", phone="13912345670", etag=made.etag
            ),
            update_mask=FieldMask(paths=["display_name", "phone"]),
        ),
        metadata=TOWN_HR,
    )
    assert (updated.display_name, updated.phone_masked, updated.phone) == (
        "王方",
        "+86*******5670",
        "",
    )
    assert updated.etag != made.etag and updated.town == "towns/chengdong"
    got = hr.GetWorker(pb.GetWorkerRequest(name=made.name), metadata=TOWN_HR)
    assert (got.display_name, got.etag) == ("王方", updated.etag)

    with pytest.raises(grpc.RpcError) as info:
        hr.UpdateWorker(
            pb.UpdateWorkerRequest(
                worker=pb.Worker(name=made.name, display_name="王五", etag=made.etag),
                update_mask=FieldMask(paths=["display_name"]),
            ),
            metadata=TOWN_HR,
        )
    assert info.value.code() is grpc.StatusCode.ABORTED
    with pytest.raises(grpc.RpcError) as info:
        hr.UpdateWorker(
            pb.UpdateWorkerRequest(
                worker=pb.Worker(name=made.name, town="towns/xicheng"),
                update_mask=FieldMask(paths=["town"]),
            ),
            metadata=TOWN_HR,
        )
    assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    localized = error_details_pb2.LocalizedMessage()
    assert any(d.Unpack(localized) for d in status.rich_status(info.value).details)
    assert localized.message.startswith("update_mask：不能修改工作人员的 town：")
    with pytest.raises(grpc.RpcError) as info:
        hr.UpdateWorker(
            pb.UpdateWorkerRequest(
                worker=pb.Worker(name=made.name, display_name="王五"),
                update_mask=FieldMask(paths=["display_name"]),
            ),
            metadata=XICHENG_HEAD,
        )
    assert info.value.code() is grpc.StatusCode.NOT_FOUND
    after = hr.GetWorker(pb.GetWorkerRequest(name=made.name), metadata=TOWN_HR)
    assert (after.display_name, after.town, after.etag) == ("王方", "towns/chengdong", updated.etag)
