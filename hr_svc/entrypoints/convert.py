"""Conversions between HR protos and domain values, all in one place."""

from __future__ import annotations

from sgz.hr.v1 import hr_pb2 as pb

from hr_svc.domain.workers import Worker, WorkerRole
from sgz_runtime.errors import InvalidArgument

_ROLES = {
    pb.WORKER_ROLE_STATION_WORKER: WorkerRole.STATION_WORKER,
    pb.WORKER_ROLE_STATION_CHIEF: WorkerRole.STATION_CHIEF,
}
_ROLES_PB = {v: k for k, v in _ROLES.items()}


def worker_from_pb(message: pb.Worker) -> Worker:
    role = _ROLES.get(message.role)
    if role is None:
        raise InvalidArgument.field("worker.role", "must be set to one of the listed values")
    return Worker(id="", display_name=message.display_name, town=message.town, role=role)


def worker_to_pb(worker: Worker) -> pb.Worker:
    return pb.Worker(
        name=worker.name,
        display_name=worker.display_name,
        town=worker.town,
        role=_ROLES_PB[worker.role],
        etag=str(worker.version),
    )
