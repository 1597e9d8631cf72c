"""The roster's audit trail and checkpoint RPCs (docs/privacy.md): proto in, use case, proto
out. A mixin of the RosterService servicer; `configure_audit` wires it."""

from __future__ import annotations

import grpc
from sgz.common.v1 import audit_pb2
from sgz.roster.v1 import roster_pb2 as pb

from sgz_runtime import audit, checkpoints
from sgz_runtime.audit import SqlAuditLog
from sgz_runtime.chain import Checkpoint
from sgz_runtime.checkpoints import CheckpointClient, SqlCheckpointStore
from sgz_runtime.errors import Unavailable
from sgz_runtime.identity import current_caller


class AuditMethods:
    _audit_log: SqlAuditLog | None = None
    _checkpoints: SqlCheckpointStore | None = None
    _kept_elsewhere: CheckpointClient | None = None

    def configure_audit(
        self,
        log: SqlAuditLog,
        store: SqlCheckpointStore,
        kept_elsewhere: CheckpointClient | None = None,
    ) -> None:
        """`store`: the other services' heads the roster keeps; `kept_elsewhere`: where the
        roster's own trail head is kept (the visit service)."""
        self._audit_log = log
        self._checkpoints = store
        self._kept_elsewhere = kept_elsewhere

    def _kept_audit(self) -> Checkpoint | None:
        """The latest checkpoint of the trail kept by the visit service; None when none was
        kept or it cannot be reached (the keyed chain is then checked alone)."""
        if self._kept_elsewhere is None:
            return None
        try:
            return self._kept_elsewhere.latest("roster", "audit")
        except Unavailable:
            return None

    def _log(self) -> SqlAuditLog:
        assert self._audit_log is not None, "configure_audit first"
        return self._audit_log

    def _store(self) -> SqlCheckpointStore:
        assert self._checkpoints is not None, "configure_audit first"
        return self._checkpoints

    def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        found = audit.list_entries(
            self._log(), current_caller(), audit.command_from_pb(request), self._kept_audit
        )
        return pb.ListAuditEntriesResponse(
            audit_entries=[audit.entry_to_pb(e) for e in found.entries],
            next_page_token=found.next_page_token,
            verification=audit.verification_to_pb(found.verification),
        )

    def CreateChainCheckpoint(
        self, request: pb.CreateChainCheckpointRequest, context: grpc.ServicerContext
    ) -> audit_pb2.ChainCheckpoint:
        kept = checkpoints.keep(
            self._store(), current_caller(), checkpoints.from_pb(request.chain_checkpoint)
        )
        return checkpoints.to_pb(kept)

    def GetLatestChainCheckpoint(
        self, request: pb.GetLatestChainCheckpointRequest, context: grpc.ServicerContext
    ) -> audit_pb2.ChainCheckpoint:
        found = checkpoints.latest(self._store(), current_caller(), request.service, request.chain)
        return checkpoints.to_pb(found)
