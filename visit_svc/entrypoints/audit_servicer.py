"""The visit service's audit trail (docs/privacy.md): reads of health findings (visit checks and
notes, ledger entries, escalations) by anyone outside the person's caseload are recorded in the
service's keyed, append-only trail; the auditor lists it. A mixin of the VisitService servicer;
`configure_audit` wires it."""

from __future__ import annotations

import grpc
from sgz.common.v1 import audit_pb2
from sgz.visit.v1 import visit_pb2 as pb

from sgz_runtime import audit, checkpoints
from sgz_runtime.audit import Action, AuditRecord, SqlAuditLog
from sgz_runtime.chain import Checkpoint
from sgz_runtime.checkpoints import CheckpointClient, SqlCheckpointStore
from sgz_runtime.errors import Unavailable
from sgz_runtime.identity import Caller, Role, ScopeLevel, current_caller, current_request_id


def reads_outside_caseload(caller: Caller) -> bool:
    """A worker reads their own caseload (their scope allows nothing else); every other reader,
    but the system itself, is outside it and is audited (issue 11 item 4)."""
    return caller.scope_level is not ScopeLevel.CASELOAD and caller.role is not Role.SYSTEM


class VisitAuditMethods:
    _audit_log: SqlAuditLog | None = None
    _checkpoints: CheckpointClient | None = None
    _kept_here: SqlCheckpointStore | None = None

    def configure_audit(
        self,
        log: SqlAuditLog,
        checkpoints: CheckpointClient | None,
        kept_here: SqlCheckpointStore | None = None,
    ) -> None:
        """`checkpoints`: where this service's heads are kept (the roster); `kept_here`: the
        roster's heads this service keeps."""
        self._audit_log = log
        self._checkpoints = checkpoints
        self._kept_here = kept_here

    def _store(self) -> SqlCheckpointStore:
        assert self._kept_here is not None, "configure_audit first"
        return self._kept_here

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

    def _kept_audit(self) -> Checkpoint | None:
        """The latest checkpoint of the trail kept by the roster; None when none was kept or
        the roster cannot be reached (the keyed chain is then checked alone)."""
        if self._checkpoints is None:
            return None
        try:
            return self._checkpoints.latest("visit", "audit")
        except Unavailable:
            return None

    def _audit_health_read(self, resource: str, count: int, what: str) -> None:
        """Records a read of health findings, once per call, before it is answered."""
        caller = current_caller()
        if self._audit_log is None or count == 0 or not reads_outside_caseload(caller):
            return
        self._audit_log.record(
            AuditRecord(
                caller,
                Action.HEALTH_FINDINGS_READ,
                resource,
                request_id=current_request_id(),
                detail=f"{what}={count}",
            )
        )

    def ListAuditEntries(
        self, request: pb.ListAuditEntriesRequest, context: grpc.ServicerContext
    ) -> pb.ListAuditEntriesResponse:
        assert self._audit_log is not None, "configure_audit first"
        found = audit.list_entries(
            self._audit_log, current_caller(), audit.command_from_pb(request), self._kept_audit
        )
        return pb.ListAuditEntriesResponse(
            audit_entries=[audit.entry_to_pb(e) for e in found.entries],
            next_page_token=found.next_page_token,
            verification=audit.verification_to_pb(found.verification),
        )
