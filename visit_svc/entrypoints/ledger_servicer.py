"""The work ledger's and the assessment facts' RPCs of VisitService (rules V7, A2), and their
proto conversions: proto in, use case, proto out. A mixin of the VisitService servicer, so the
two areas of the service edit different files; `configure_ledger` gives it what it needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import grpc
from sgz.visit.v1 import ledger_pb2, visit_pb2

from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.identity import current_caller
from sgz_runtime.proto_values import date_from_pb, date_to_pb, duration_to_pb, timestamp_to_pb
from visit_svc.adapters.facts_queries import FactsUnitOfWork
from visit_svc.adapters.roster_client import RosterClient
from visit_svc.domain.ledger import EntryKind, LedgerEntry, Verification, canonical_payload
from visit_svc.entrypoints.audit_servicer import VisitAuditMethods
from visit_svc.service_layer import facts, ledger

_KINDS = {
    kind: ledger_pb2.LedgerEntryKind.Value(f"LEDGER_ENTRY_KIND_{kind.name}") for kind in EntryKind
}
_OUTCOMES = {
    o: visit_pb2.DeadlineOutcome.Value(f"DEADLINE_OUTCOME_{o.name}") for o in facts.DeadlineOutcome
}


def entry_to_pb(entry: LedgerEntry) -> ledger_pb2.LedgerEntry:
    return ledger_pb2.LedgerEntry(
        name=entry.name,
        sequence=entry.seq,
        kind=_KINDS[entry.kind],
        subject=entry.subject,
        actor=entry.actor,
        occur_time=timestamp_to_pb(entry.at),
        create_time=timestamp_to_pb(entry.recorded_at),
        payload_json=entry.payload_json or canonical_payload(entry.payload),
        corrects=f"{entry.town}/ledgerEntries/{entry.corrects}" if entry.corrects else "",
        correction_reason=entry.reason,
        previous_hash=entry.prev_hash,
        hash=entry.hash,
    )


def verification_to_pb(result: Verification, at: datetime) -> ledger_pb2.LedgerVerification:
    broken = result.first_broken_seq
    return ledger_pb2.LedgerVerification(
        town=result.town,
        holds=result.holds,
        entries_checked=result.entries_checked,
        head_sequence=result.head_seq,
        head_hash=result.head_hash,
        first_broken_entry=f"{result.town}/ledgerEntries/{broken}" if broken else "",
        problem=result.problem,
        verify_time=timestamp_to_pb(at),
    )


def _enum_value(enum: object, prefix: str, text: str) -> int:
    try:
        return int(enum.Value(f"{prefix}{text.upper()}"))  # type: ignore[attr-defined]
    except ValueError:
        return 0


def escalation_facts_to_pb(item: facts.EscalationFacts) -> visit_pb2.EscalationFacts:
    row = item.row
    message = visit_pb2.EscalationFacts(
        escalation=row.escalation,
        urgency=_enum_value(visit_pb2.Urgency, "URGENCY_", row.urgency),  # type: ignore[arg-type]
        action=_enum_value(visit_pb2.EscalationAction, "ESCALATION_ACTION_", row.action),  # type: ignore[arg-type]
        visit_time=timestamp_to_pb(row.visit_at),
        contact_deadline=timestamp_to_pb(row.contact_deadline),
        contact_outcome=_OUTCOMES[item.contact],
        action_deadline=timestamp_to_pb(row.action_deadline),
        action_outcome=_OUTCOMES[item.action],
    )
    if item.contact_delay is not None:
        message.contact_delay.CopyFrom(duration_to_pb(item.contact_delay))
    if item.action_delay is not None:
        message.action_delay.CopyFrom(duration_to_pb(item.action_delay))
    return message


def worker_facts_to_pb(worker: facts.WorkerFacts) -> visit_pb2.WorkerFacts:
    return visit_pb2.WorkerFacts(
        worker=worker.worker,
        weeks=[
            visit_pb2.WorkerWeekFacts(
                week=str(w.week),
                week_start=date_to_pb(w.week.monday),
                persons_due=w.persons_due,
                persons_visited=w.persons_visited,
                persons_covered=w.persons_covered,
                visits=w.visits,
                escalations=[escalation_facts_to_pb(e) for e in w.escalations],
            )
            for w in worker.weeks
        ],
    )


class LedgerMethods(VisitAuditMethods):
    """The ledger's and the facts' RPCs; mixed into the VisitService servicer. Reads of
    entries (health findings) are audited, verification compares with the checkpoints."""

    _ledger_uow: Callable[[], ledger.LedgerUnitOfWork]
    _facts_uow: Callable[[], FactsUnitOfWork]
    _facts_roster: RosterClient

    def configure_ledger(
        self,
        ledger_uow: Callable[[], ledger.LedgerUnitOfWork],
        facts_uow: Callable[[], FactsUnitOfWork],
        roster: RosterClient,
    ) -> None:
        self._ledger_uow = ledger_uow
        self._facts_uow = facts_uow
        self._facts_roster = roster

    def ListLedgerEntries(
        self, request: ledger_pb2.ListLedgerEntriesRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.ListLedgerEntriesResponse:
        found, token = ledger.list_entries(
            self._ledger_uow(),
            current_caller(),
            request.parent,
            start_date=date_from_pb(request.start_date, "start_date"),
            end_date=date_from_pb(request.end_date, "end_date"),
            subject=request.subject,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        self._audit_health_read(request.parent, len(found), "ledger_entries")
        return ledger_pb2.ListLedgerEntriesResponse(
            ledger_entries=[entry_to_pb(e) for e in found], next_page_token=token
        )

    def GetLedgerEntry(
        self, request: ledger_pb2.GetLedgerEntryRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.LedgerEntry:
        entry = ledger.get_entry(self._ledger_uow(), current_caller(), request.name)
        self._audit_health_read(request.name, 1, "ledger_entries")
        return entry_to_pb(entry)

    def CorrectLedgerEntry(
        self, request: ledger_pb2.CorrectLedgerEntryRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.LedgerEntry:
        entry = ledger.correct_entry(
            self._ledger_uow(), current_caller(), request.name, request.payload_json, request.reason
        )
        return entry_to_pb(entry)

    def VerifyLedger(
        self, request: ledger_pb2.VerifyLedgerRequest, context: grpc.ServicerContext
    ) -> ledger_pb2.LedgerVerification:
        result = ledger.verify_ledger(
            self._ledger_uow(), current_caller(), request.town, self._checkpoints
        )
        return verification_to_pb(result, datetime.now(UTC))

    def ListWorkerWeekFacts(
        self, request: visit_pb2.ListWorkerWeekFactsRequest, context: grpc.ServicerContext
    ) -> visit_pb2.ListWorkerWeekFactsResponse:
        first = date_from_pb(request.period.start_date, "period.start_date")
        last = date_from_pb(request.period.end_date, "period.end_date")
        if first is None or last is None:
            raise InvalidArgument.field(
                "period", tr("give the period's start and end dates, e.g. 2026-07-01")
            )
        found, token = facts.worker_week_facts(
            self._facts_uow(),
            self._facts_roster,
            current_caller(),
            request.parent,
            first,
            last,
            request.page_size,
            request.page_token,
        )
        return visit_pb2.ListWorkerWeekFactsResponse(
            worker_facts=[worker_facts_to_pb(w) for w in found], next_page_token=token
        )
