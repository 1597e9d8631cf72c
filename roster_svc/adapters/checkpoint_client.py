"""Where the roster's chain checkpoints (its audit trail's head) are kept: the visit service's
database, reached through VisitService (docs/privacy.md), as the roster keeps the visit
service's. A port (sgz_runtime.checkpoints.CheckpointClient) with this gRPC adapter; tests use
MemoryCheckpointClient."""

from __future__ import annotations

import grpc
from sgz.visit.v1 import visit_pb2, visit_pb2_grpc

from sgz_runtime import checkpoints, identity, status
from sgz_runtime.chain import Checkpoint
from sgz_runtime.errors import NotFound
from sgz_runtime.identity import Caller, Role, ScopeLevel

#: Who the roster is when it publishes on its own (no user's call behind it).
SUBJECT = "services/roster"


class GrpcCheckpointClient:
    def __init__(self, channel: grpc.Channel, secret: bytes):
        self._stub = visit_pb2_grpc.VisitServiceStub(channel)
        self._secret = secret

    def _metadata(self) -> tuple[tuple[str, str | bytes], ...]:
        token = identity.sign(Caller(SUBJECT, Role.SYSTEM, ScopeLevel.CITY), self._secret)
        return ((identity.CALLER_METADATA_KEY, token),)

    def publish(self, checkpoint: Checkpoint) -> None:
        request = visit_pb2.CreateChainCheckpointRequest(
            chain_checkpoint=checkpoints.to_pb(checkpoint)
        )
        try:
            self._stub.CreateChainCheckpoint(request, metadata=self._metadata(), timeout=10)
        except grpc.RpcError as exc:
            raise status.from_rpc_error(exc) from None

    def latest(self, service: str, chain: str) -> Checkpoint | None:
        request = visit_pb2.GetLatestChainCheckpointRequest(service=service, chain=chain)
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
