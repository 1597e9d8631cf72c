"""The one error map: every domain error class has a gRPC status, and details survive the trip."""

from __future__ import annotations

import importlib
import pkgutil

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from sgz_runtime import errors, status

SERVICE_PACKAGES = ["roster_svc", "hr_svc", "visit_svc", "finance_svc", "assessment_svc", "gateway"]


def _all_subclasses(klass: type[object]) -> set[type]:
    found: set[type] = set()
    for sub in klass.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def _import_everything() -> None:
    """Loads every module of every service, so their own error classes are seen too."""
    for name in SERVICE_PACKAGES:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)


def test_every_domain_error_class_maps_to_a_status() -> None:
    _import_everything()
    classes = _all_subclasses(errors.DomainError)
    assert errors.InvalidArgument in classes
    for klass in classes:
        assert any(base in status.CODES for base in klass.__mro__), f"{klass} is unmapped"


def test_an_unmapped_error_class_is_detected() -> None:
    class Stray(errors.DomainError):
        pass

    with pytest.raises(KeyError, match="Stray"):
        status.code_of(Stray("x"))


def test_each_code_is_distinct_and_not_ok() -> None:
    codes = list(status.CODES.values())
    assert len(codes) == len(set(codes))
    assert grpc.StatusCode.OK not in codes


def test_invalid_argument_carries_field_violations_and_rule() -> None:
    error = errors.InvalidArgument.field("person.id_number", "checksum is wrong", rule="R2")
    rich = status.to_status(error, service="roster")
    assert rich.code == grpc.StatusCode.INVALID_ARGUMENT
    proto = status_pb2.Status.FromString(dict(rich.trailing_metadata)["grpc-status-details-bin"])
    bad, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
    assert proto.details[0].Unpack(bad) and proto.details[-1].Unpack(info)
    assert [(v.field, v.description) for v in bad.field_violations] == [
        ("person.id_number", "checksum is wrong")
    ]
    assert info.metadata["rule"] == "R2"
    assert info.domain == "sgz"


def test_failed_precondition_says_which_rule_refused() -> None:
    rich = status.to_status(errors.FailedPrecondition("not assigned", rule="V9"), service="visit")
    proto = status_pb2.Status.FromString(dict(rich.trailing_metadata)["grpc-status-details-bin"])
    info = error_details_pb2.ErrorInfo()
    assert proto.details[-1].Unpack(info)
    assert (rich.code, info.reason, info.metadata["rule"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "RULE_REFUSED",
        "V9",
    )
