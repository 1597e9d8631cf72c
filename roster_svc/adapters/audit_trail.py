"""The roster's exports recorded in its audit trail (docs/privacy.md), not a log file."""

from __future__ import annotations

from sgz_runtime.audit import Action, AuditLog, AuditRecord, check_purpose
from sgz_runtime.identity import Caller, current_request_id


class TrailExportAudit:
    """An export recorded once, with who, what, why and how many, in the keyed trail."""

    def __init__(self, log: AuditLog):
        self._log = log

    def exported(
        self, caller: Caller, parent: str, purpose: str, persons: int, revealed: bool
    ) -> None:
        self._log.record(
            AuditRecord(
                caller,
                Action.ID_NUMBERS_EXPORTED if revealed else "persons_exported",
                parent,
                check_purpose(purpose),
                request_id=current_request_id(),
                detail=f"persons={persons} id_numbers={'full' if revealed else 'masked'}",
            )
        )
