"""UpdateWorker (AIP-134) against fakes: the fields named change, personal data validated,
masked and sealed as CreateWorker does it; town, role and employment refused (rule H2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from sgz.hr.v1 import hr_pb2 as pb

from hr_svc.domain.workers import Worker, WorkerRole
from hr_svc.entrypoints import convert
from hr_svc.service_layer import commands, workers
from sgz_runtime.errors import Aborted, AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from sgz_runtime.i18n import as_text, use_locale
from sgz_runtime.identity import Caller, Role, ScopeLevel
from tests.unit.hr_fakes import TEST_VAULT, FakeRosterClient, FakeUnitOfWork

CITY = Caller("users/a", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
CHENGDONG_HR = Caller("users/h", Role.HR, ScopeLevel.TOWN, "towns/chengdong")
XICHENG_HEAD = Caller("users/x", Role.TOWN_HEAD, ScopeLevel.TOWN, "towns/xicheng")
CITY_FINANCE = Caller("users/f", Role.CITY_FINANCE, ScopeLevel.CITY)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ID = "11010519491231002X"


def _create(uow: FakeUnitOfWork, id_number: str = "", phone: str = "") -> Worker:
    cmd = commands.CreateWorker(
        display_name="李四",
        town="towns/chengdong",
        role=WorkerRole.STATION_WORKER,
        id_number=id_number,
        phone=phone,
    )
    roster = FakeRosterClient({"towns/chengdong": 12})
    return workers.create_worker(cmd, uow, roster, TEST_VAULT, caller=CITY, clock=lambda: NOW)


def _update(
    uow: FakeUnitOfWork, caller: Caller = CHENGDONG_HR, **values: str | frozenset[str]
) -> Worker:
    cmd = commands.UpdateWorker(**values)  # type: ignore[arg-type]
    return workers.update_worker(cmd, uow, TEST_VAULT, caller=caller)


def test_display_name_and_phone_change_masked_and_sealed_the_id_number_kept() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow, ID, "13812345678")
    commits = uow.commits
    updated = _update(
        uow,
        worker=worker.name,
        fields=frozenset({"display_name", "phone"}),
        display_name="李思",
        phone="13912345670",
    )
    assert (updated.display_name, updated.phone_masked) == ("李思", "+86*******5670")
    assert TEST_VAULT.reveal(updated.phone_sealed or "") == "+8613912345670"
    assert updated.id_masked == "110105************"
    assert TEST_VAULT.reveal(updated.id_sealed or "") == ID
    assert uow.commits == commits + 1
    assert uow.workers.rows[0].display_name == "李思"


def test_a_blank_phone_named_in_the_mask_clears_it() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow, phone="13812345678")
    updated = _update(uow, worker=worker.name, fields=frozenset({"phone"}))
    assert (updated.phone_sealed, updated.phone_masked, updated.display_name) == (None, "", "李四")


def test_a_stale_etag_is_aborted_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow)
    worker.version = 3
    with pytest.raises(Aborted):
        _update(
            uow, worker=worker.name, fields=frozenset({"display_name"}), display_name="X", etag="2"
        )
    assert uow.workers.rows[0].display_name == "李四"
    same = _update(
        uow, worker=worker.name, fields=frozenset({"display_name"}), display_name="X", etag="3"
    )
    assert same.display_name == "X"


def test_a_bad_phone_and_a_blank_name_are_refused_and_nothing_written() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow, phone="13812345678")
    commits = uow.commits
    with pytest.raises(InvalidArgument) as info:
        _update(
            uow,
            worker=worker.name,
            fields=frozenset({"display_name"}),
            display_name="  ",
        )
    assert [v.field for v in info.value.violations] == ["worker.display_name"]
    with pytest.raises(InvalidArgument) as info:
        _update(uow, worker=worker.name, fields=frozenset({"phone"}), phone="12345")
    assert [v.field for v in info.value.violations] == ["worker.phone"]
    assert uow.commits == commits
    assert (uow.workers.rows[0].display_name, uow.workers.rows[0].phone_masked) == (
        "李四",
        "+86*******5678",
    )


def test_an_id_number_another_worker_has_is_refused_its_own_is_not() -> None:
    uow = FakeUnitOfWork()
    first = _create(uow, ID)
    second = _create(uow)
    with pytest.raises(AlreadyExists):
        _update(uow, worker=second.name, fields=frozenset({"id_number"}), id_number=ID)
    assert uow.workers.rows[1].id_digest is None
    again = _update(uow, worker=first.name, fields=frozenset({"id_number"}), id_number=ID.lower())
    assert again.id_masked == "110105************"


def test_scope_another_towns_head_does_not_see_the_worker_and_a_reader_may_not_write() -> None:
    uow = FakeUnitOfWork()
    worker = _create(uow)
    with pytest.raises(NotFound):
        _update(uow, XICHENG_HEAD, worker=worker.name, fields=frozenset({"display_name"}))
    with pytest.raises(PermissionDenied):
        _update(
            uow,
            CITY_FINANCE,
            worker=worker.name,
            fields=frozenset({"display_name"}),
            display_name="X",
        )
    by_city = _update(
        uow, CITY, worker=worker.name, fields=frozenset({"display_name"}), display_name="王五"
    )
    assert by_city.display_name == "王五"
    with pytest.raises(NotFound):
        _update(uow, worker="workers/nobody", fields=frozenset({"display_name"}), display_name="X")


def _request(*paths: str, **values: str) -> pb.UpdateWorkerRequest:
    return pb.UpdateWorkerRequest(
        worker=pb.Worker(name="workers/w1", **values),  # type: ignore[arg-type]
        update_mask=FieldMask(paths=list(paths)),
    )


def test_an_empty_mask_names_the_updatable_fields_the_request_sets() -> None:
    cmd = convert.update_worker(_request(display_name="李思", phone="13912345670", etag="4"))
    assert cmd == commands.UpdateWorker(
        worker="workers/w1",
        fields=frozenset({"display_name", "phone"}),
        display_name="李思",
        phone="13912345670",
        etag="4",
    )


def test_town_role_and_employment_in_the_mask_are_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidArgument) as info:
        convert.update_worker(_request("display_name", "role", "town"))
    assert [(v.field, v.rule) for v in info.value.violations] == [("update_mask", "H2")]
    with use_locale("en"):
        assert as_text(info.value.violations[0].description).render() == (
            "cannot update role, town of a worker: the town, role and employment keep their "
            "history (rule H2); end the employment and record the worker anew instead"
        )
    assert (
        as_text(info.value.violations[0].description)
        .render()
        .startswith("不能修改工作人员的 role, town")
    )
    with pytest.raises(InvalidArgument) as info:
        convert.update_worker(_request("creator"))
    with use_locale("en"):
        assert as_text(info.value.violations[0].description).render() == (
            "cannot update creator: name only display_name, id_number, phone in update_mask"
        )
