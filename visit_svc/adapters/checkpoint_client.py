"""Where the visit service's chain checkpoints are kept: the roster's database, reached through
RosterService (docs/privacy.md). A port (sgz_runtime.checkpoints.CheckpointClient) with this
gRPC adapter; tests use MemoryCheckpointClient."""

from __future__ import annotations

import grpc
from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

from sgz_runtime import checkpoints, identity, status
from sgz_runtime.chain import Checkpoint
from sgz_runtime.errors import NotFound
from sgz_runtime.identity import Caller, Role, ScopeLevel

#: Who the visit service is when it publishes on its own (no user's call behind it).
SUBJECT = "services/visit"


class GrpcCheckpointClient:
    def __init__(self, channel: grpc.Channel, secret: bytes):
        self._stub = roster_pb2_grpc.RosterServiceStub(channel)
        self._secret = secret

    def _metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        token = identity.sign(Caller(SUBJECT, Role.SYSTEM, ScopeLevel.CITY), self._secret)
        return ((identity.CALLER_METADATA_KEY, token),)

    def publish(self, checkpoint: Checkpoint) -> None:
        request = roster_pb2.CreateChainCheckpointRequest(
            chain_checkpoint=checkpoints.to_pb(checkpoint)
        )
        try:
            self._stub.CreateChainCheckpoint(request, metadata=self._metadata(), timeout=10)
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None

    def latest(self, service: str, chain: str) -> Checkpoint | None:
        request = roster_pb2.GetLatestChainCheckpointRequest(service=service, chain=chain)
        try:
            found = self._stub.GetLatestChainCheckpoint(
                request, metadata=self._metadata(), timeout=10
            )
        except grpc.RpcError as exc:
            error = status.from_rpc_error(exc)
            if isinstance(error, NotFound):
                return None
            raise error from None
        return checkpoints.from_pb(found)
