"""What HR asks the roster: the port, its gRPC adapter and a fake for unit tests."""

from __future__ import annotations

from typing import Protocol

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from sgz_runtime import errors, status


class RosterClient(Protocol):
    def town_exists(self, town: str) -> bool:
        """Whether `towns/{town}` is in the roster; Unavailable when it cannot be asked."""
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


class FakeRosterClient:
    def __init__(self, towns: set[str] | None = None, *, down: bool = False):
        self.towns = set(towns or ())
        self.down = down

    def town_exists(self, town: str) -> bool:
        if self.down:
            raise errors.Unavailable("the roster service is unreachable")
        return town in self.towns
