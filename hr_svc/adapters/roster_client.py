"""What HR asks the roster: the port and its gRPC adapter (the fake is in tests/unit/hr_fakes.py).

The roster keeps villages without dates, so a village count "as of D" is today's count; the
answer says so (`VillageCount.dated`), as the staffing report does.
"""

from __future__ import annotations

import contextvars
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from sgz_runtime import errors, status

#: ListVillages calls in flight for the city view.
_IN_FLIGHT = 8


@dataclass(frozen=True)
class VillageCount:
    town: str
    villages: int
    #: False while the roster keeps no history of villages: the count is today's.
    dated: bool = False


class RosterClient(Protocol):
    def town_exists(self, town: str) -> bool:
        """Whether `towns/{town}` is in the roster; Unavailable when it cannot be asked."""
        ...

    def village_counts(self, towns: list[str] | None) -> dict[str, VillageCount]:
        """Villages and communities per town, for the towns named or every town (None);
        a town the roster does not know is absent. Unavailable when it cannot be asked."""
        ...


class GrpcRosterClient:
    def __init__(self, channel: grpc.Channel):
        self._stub = roster_pb2_grpc.RosterServiceStub(channel)

    def town_exists(self, town: str) -> bool:
        try:
            self._stub.GetTown(roster_pb2.GetTownRequest(name=town))
        except grpc.RpcError as exc:
            error = status.from_rpc_error(exc)
            if isinstance(error, errors.NotFound):
                return False
            if isinstance(error, errors.InvalidArgument):
                return False
            raise error from None
        return True

    def _all_towns(self) -> list[str]:
        found: list[str] = []
        token = ""
        while True:
            try:
                page = self._stub.ListTowns(
                    roster_pb2.ListTownsRequest(page_size=1000, page_token=token)
                )
            except grpc.RpcError as exc:
                raise status.from_rpc_error(exc) from None
            found.extend(t.name for t in page.towns)
            token = page.next_page_token
            if not token:
                return found

    def _count(self, town: str) -> int | None:
        count = 0
        token = ""
        while True:
            try:
                page = self._stub.ListVillages(
                    roster_pb2.ListVillagesRequest(parent=town, page_size=1000, page_token=token)
                )
            except grpc.RpcError as exc:
                error = status.from_rpc_error(exc)
                if isinstance(error, errors.NotFound | errors.InvalidArgument):
                    return None
                raise error from None
            count += len(page.villages)
            token = page.next_page_token
            if not token:
                return count

    def village_counts(self, towns: list[str] | None) -> dict[str, VillageCount]:
        """One ListVillages per town (the roster has no count of its own), a few in flight:
        the city view asks for some 1,240 towns. Each task runs in a copy of the caller's
        context, so the caller, request id and deadline go with every call."""
        names = self._all_towns() if towns is None else towns
        with ThreadPoolExecutor(max_workers=_IN_FLIGHT) as pool:
            # One copy of this thread's context per task, taken here (a context is entered
            # by one thread at a time).
            tasks = [pool.submit(contextvars.copy_context().run, self._count, t) for t in names]
            counts = [task.result() for task in tasks]
        return {
            town: VillageCount(town, count)
            for town, count in zip(names, counts, strict=True)
            if count is not None
        }
