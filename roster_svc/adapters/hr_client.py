"""What the roster asks HR about stations: the port, its gRPC adapter and a fake for tests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import grpc
from sgz.hr.v1 import hr_pb2, hr_pb2_grpc

from sgz_runtime import china_time, errors, status
from sgz_runtime.proto_values import date_to_pb


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    town: str
    is_chief: bool


class HrClient(Protocol):
    def get_worker(self, name: str) -> WorkerInfo | None:
        """The worker `workers/{w}`, None when HR has no such worker; Unavailable when HR
        cannot be asked."""
        ...

    def station_worker_counts(self, town: str | None) -> dict[str, int]:
        """Full-time workers (the chief not counted, rule H1) per `towns/{t}`, for one town or
        all towns the caller sees; Unavailable when HR cannot be asked."""
        ...


class GrpcHrClient:
    def __init__(self, channel: grpc.Channel):
        self._stub = hr_pb2_grpc.HrServiceStub(channel)

    def get_worker(self, name: str) -> WorkerInfo | None:
        try:
            worker = self._stub.GetWorker(hr_pb2.GetWorkerRequest(name=name))
        except grpc.RpcError as exc:
            error = status.from_rpc_error(exc)
            if isinstance(error, errors.NotFound | errors.InvalidArgument):
                return None
            raise error from None
        return WorkerInfo(worker.name, worker.town, worker.role == hr_pb2.WORKER_ROLE_STATION_CHIEF)

    def station_worker_counts(self, town: str | None) -> dict[str, int]:
        counts: Counter[str] = Counter()
        token = ""
        while True:
            try:
                page = self._stub.ListWorkers(
                    hr_pb2.ListWorkersRequest(
                        town=town or "",
                        page_size=1000,
                        page_token=token,
                        employed_on=date_to_pb(china_time.today()),  # leavers do not count
                    )
                )
            except grpc.RpcError as exc:
                raise status.from_rpc_error(exc) from None
            for worker in page.workers:
                if worker.role == hr_pb2.WORKER_ROLE_STATION_WORKER:
                    counts[worker.town] += 1
            token = page.next_page_token
            if not token:
                return dict(counts)


class FakeHrClient:
    def __init__(self, workers: list[WorkerInfo] | None = None, *, down: bool = False):
        self.workers = {w.name: w for w in workers or []}
        self.down = down

    def get_worker(self, name: str) -> WorkerInfo | None:
        if self.down:
            raise errors.Unavailable("the HR service is unreachable")
        return self.workers.get(name)

    def station_worker_counts(self, town: str | None) -> dict[str, int]:
        if self.down:
            raise errors.Unavailable("the HR service is unreachable")
        counts: Counter[str] = Counter(
            w.town for w in self.workers.values() if not w.is_chief and town in (None, w.town)
        )
        return dict(counts)
