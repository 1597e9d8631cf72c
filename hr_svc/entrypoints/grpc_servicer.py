"""The HrService servicer: proto in, use case, proto out. Nothing else lives here."""

from __future__ import annotations

from collections.abc import Callable

import grpc
from sgz.hr.v1 import hr_pb2 as pb
from sgz.hr.v1 import hr_pb2_grpc

from hr_svc.adapters.roster_client import RosterClient
from hr_svc.entrypoints import convert
from hr_svc.service_layer import workers
from hr_svc.service_layer.unit_of_work import HrUnitOfWork
from sgz_runtime.identity import current_caller


class HrServicer(hr_pb2_grpc.HrServiceServicer):
    def __init__(self, uow: Callable[[], HrUnitOfWork], roster: RosterClient):
        self._uow = uow
        self._roster = roster

    def CreateWorker(
        self, request: pb.CreateWorkerRequest, context: grpc.ServicerContext
    ) -> pb.Worker:
        worker = convert.worker_from_pb(request.worker)
        created = workers.create_worker(self._uow(), self._roster, current_caller(), worker)
        return convert.worker_to_pb(created)

    def GetWorker(self, request: pb.GetWorkerRequest, context: grpc.ServicerContext) -> pb.Worker:
        return convert.worker_to_pb(workers.get_worker(self._uow(), current_caller(), request.name))

    def ListWorkers(
        self, request: pb.ListWorkersRequest, context: grpc.ServicerContext
    ) -> pb.ListWorkersResponse:
        found, token = workers.list_workers(
            self._uow(), current_caller(), request.town, request.page_size, request.page_token
        )
        return pb.ListWorkersResponse(
            workers=[convert.worker_to_pb(w) for w in found], next_page_token=token
        )
