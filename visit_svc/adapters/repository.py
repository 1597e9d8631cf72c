"""Repositories of the visit service: ports (Protocols) and their SQLAlchemy Core adapters.

Core rather than mapped classes: a visit's checks are rows of their own, and the record path
(visit + checks + escalations + ledger in one transaction) stays a handful of statements.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from sgz_runtime.errors import Aborted
from visit_svc.adapters import orm
from visit_svc.adapters.raw_sql import Prepared
from visit_svc.domain.escalations import ContactChannel, Escalation, Outcome, State
from visit_svc.domain.policy import Action, PolicyRule, Urgency, VisitPolicy
from visit_svc.domain.visits import Check, CheckItem, CheckResult, Visit
from visit_svc.domain.weeks import local_date, start_of_day, week_start


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _req_utc(value: datetime) -> datetime:
    result = _utc(value)
    assert result is not None
    return result


# Built once: a statement object reused keeps its cache key, which SQLAlchemy would otherwise
# work out again on every call of the record path.
_GET_REQUEST = select(
    orm.request_ids.c.method, orm.request_ids.c.body_hash, orm.request_ids.c.resource
).where(orm.request_ids.c.request_id == bindparam("request_id"))
_ADD_REQUEST = insert(orm.request_ids)
_ADD_VISIT = insert(orm.visits)
_ADD_CHECKS = insert(orm.visit_checks)
# The record path's statements run on the DB-API cursor (raw_sql.py: half their CPU was
# SQLAlchemy's per-execution work); the same statements, compiled by SQLAlchemy.
_RAW_GET_REQUEST = Prepared(_GET_REQUEST)
_RAW_ADD_REQUEST = Prepared(_ADD_REQUEST, ["request_id", "method", "body_hash", "resource"])
_RAW_ADD_VISIT = Prepared(
    _ADD_VISIT,
    [
        "id",
        "person",
        "town",
        "village",
        "worker",
        "substitute_for",
        "visited_at",
        "week_start",
        "notes",
        "recorded_by",
        "recorded_at",
    ],
)
_RAW_ADD_CHECKS = Prepared(_ADD_CHECKS, ["visit_id", "item", "result", "note"])
_ADD_ESCALATION = insert(orm.escalations)
_OPEN_FOR = (
    select(orm.escalations)
    .where(
        orm.escalations.c.person == bindparam("person"),
        orm.escalations.c.action == bindparam("action"),
        orm.escalations.c.state.notin_([State.RESOLVED.value, State.CANCELLED.value]),
    )
    .order_by(orm.escalations.c.seq)
)


class RequestRecord(NamedTuple):
    method: str
    body_hash: str
    resource: str


class RequestIdRepository(Protocol):
    def get(self, request_id: str) -> RequestRecord | None: ...
    def add(self, request_id: str, record: RequestRecord) -> None: ...


class PolicyRepository(Protocol):
    def list(self) -> list[VisitPolicy]: ...
    def add(self, policy: VisitPolicy, created_by: str, created_at: datetime) -> None: ...


class VisitRepository(Protocol):
    def add(self, visit: Visit) -> None: ...
    def get(self, visit_id: str) -> Visit | None: ...
    def visit_days(
        self, persons: Sequence[str], first: date, last: date
    ) -> dict[str, list[date]]: ...
    def list_for_person(
        self, person: str, after_seq: int | None, limit: int
    ) -> list[tuple[int, Visit]]: ...


class EscalationRepository(Protocol):
    def add(self, escalation: Escalation) -> None: ...
    def get(self, escalation_id: str) -> Escalation | None: ...
    def save(self, escalation: Escalation) -> None: ...
    def open_for(self, person: str, action: Action) -> Escalation | None: ...
    def for_visit(self, visit_id: str) -> list[Escalation]: ...
    def list(
        self,
        town: str,
        village: str | None,
        worker: str | None,
        open_only: bool,
        after_seq: int | None,
        limit: int,
    ) -> list[tuple[int, Escalation]]: ...


class SqlRequestIdRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, request_id: str) -> RequestRecord | None:
        row = _RAW_GET_REQUEST.first(self.session, {"request_id": request_id})
        return RequestRecord(str(row[0]), str(row[1]), str(row[2])) if row else None

    def add(self, request_id: str, record: RequestRecord) -> None:
        _RAW_ADD_REQUEST.execute(self.session, {"request_id": request_id, **record._asdict()})


class PolicyCache:
    """The policy versions, read at most every `ttl_s` seconds per process. Safe to share
    because no version is ever backdated (rule V6): a version created now applies from a
    later day, so a list a few seconds old answers every past or present day the same."""

    def __init__(self, ttl_s: float = 30.0):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._loaded: tuple[float, list[VisitPolicy]] | None = None

    def get(self) -> list[VisitPolicy] | None:
        with self._lock:
            if self._loaded is None or time.monotonic() - self._loaded[0] > self.ttl_s:
                return None
            return list(self._loaded[1])

    def put(self, policies: list[VisitPolicy]) -> None:
        with self._lock:
            self._loaded = (time.monotonic(), list(policies))

    def clear(self) -> None:
        with self._lock:
            self._loaded = None


class SqlPolicyRepository:
    def __init__(self, session: Session, cache: PolicyCache | None = None):
        self.session = session
        self.cache = cache

    def _load(self) -> list[VisitPolicy]:
        p, r = orm.visit_policies, orm.visit_policy_rules
        rules: dict[str, list[PolicyRule]] = {}
        for row in self.session.execute(select(r).order_by(r.c.version, r.c.finding)):
            rules.setdefault(row.version, []).append(
                PolicyRule(
                    finding=CheckItem(row.finding),
                    urgency=Urgency(row.urgency),
                    action=Action(row.action),
                    contact_within=timedelta(minutes=row.contact_within_minutes),
                    action_within=timedelta(minutes=row.action_within_minutes),
                    assistance_required=bool(row.assistance_required),
                )
            )
        return [
            VisitPolicy(
                version=row.version,
                effective_from=row.effective_from,
                visits_per_week=row.visits_per_week,
                due_soon=timedelta(minutes=row.due_soon_minutes),
                rules=tuple(rules.get(row.version, [])),
                extra_checks=tuple(CheckItem(v) for v in row.extra_checks.split(",") if v),
            )
            for row in self.session.execute(select(p).order_by(p.c.effective_from))
        ]

    def list(self) -> list[VisitPolicy]:
        cached = self.cache.get() if self.cache is not None else None
        if cached is not None:
            return cached
        loaded = self._load()
        if self.cache is not None:
            self.cache.put(loaded)
        return loaded

    def add(self, policy: VisitPolicy, created_by: str, created_at: datetime) -> None:
        if self.cache is not None:
            self.cache.clear()
        self.session.execute(
            insert(orm.visit_policies).values(
                version=policy.version,
                effective_from=policy.effective_from,
                visits_per_week=policy.visits_per_week,
                due_soon_minutes=int(policy.due_soon.total_seconds() // 60),
                extra_checks=",".join(c.value for c in policy.extra_checks),
                created_by=created_by,
                created_at=created_at,
            )
        )
        if policy.rules:
            self.session.execute(
                insert(orm.visit_policy_rules),
                [
                    {
                        "version": policy.version,
                        "finding": r.finding.value,
                        "urgency": r.urgency.value,
                        "action": r.action.value,
                        "contact_within_minutes": int(r.contact_within.total_seconds() // 60),
                        "action_within_minutes": int(r.action_within.total_seconds() // 60),
                        "assistance_required": r.assistance_required,
                    }
                    for r in policy.rules
                ],
            )


class SqlVisitRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, visit: Visit) -> None:
        _RAW_ADD_VISIT.execute(
            self.session,
            {
                "id": visit.id,
                "person": visit.person,
                "town": visit.town,
                "village": visit.village,
                "worker": visit.worker,
                "substitute_for": visit.substitute_for,
                "visited_at": visit.visited_at,
                "week_start": week_start(local_date(visit.visited_at)),
                "notes": visit.notes,
                "recorded_by": visit.recorded_by,
                "recorded_at": visit.recorded_at,
            },
        )
        _RAW_ADD_CHECKS.execute_many(
            self.session,
            [
                {"visit_id": visit.id, "item": i.value, "result": c.result.value, "note": c.note}
                for i, c in visit.checks.items()
            ],
        )

    def _load(self, rows: Sequence[Any]) -> list[tuple[int, Visit]]:
        if not rows:
            return []
        c, e = orm.visit_checks, orm.escalations
        ids = [r.id for r in rows]
        checks: dict[str, dict[CheckItem, Check]] = {i: {} for i in ids}
        for row in self.session.execute(select(c).where(c.c.visit_id.in_(ids))):
            checks[row.visit_id][CheckItem(row.item)] = Check(CheckResult(row.result), row.note)
        opened: dict[str, list[str]] = {i: [] for i in ids}
        query = select(e.c.visit_id, e.c.id).where(e.c.visit_id.in_(ids)).order_by(e.c.seq)
        for row in self.session.execute(query):
            opened[row.visit_id].append(f"escalations/{row.id}")
        return [
            (
                r.seq,
                Visit(
                    id=r.id,
                    person=r.person,
                    town=r.town,
                    village=r.village,
                    worker=r.worker,
                    visited_at=_req_utc(r.visited_at),
                    checks=checks[r.id],
                    notes=r.notes,
                    substitute_for=r.substitute_for,
                    recorded_by=r.recorded_by,
                    recorded_at=_utc(r.recorded_at),
                    escalations=opened[r.id],
                ),
            )
            for r in rows
        ]

    def get(self, visit_id: str) -> Visit | None:
        rows = self.session.execute(select(orm.visits).where(orm.visits.c.id == visit_id)).all()
        loaded = self._load(rows)
        return loaded[0][1] if loaded else None

    def visit_days(self, persons: Sequence[str], first: date, last: date) -> dict[str, list[date]]:
        v = orm.visits
        days: dict[str, list[date]] = {p: [] for p in persons}
        if not persons:
            return days
        query = select(v.c.person, v.c.visited_at).where(
            v.c.visited_at >= start_of_day(first),
            v.c.visited_at < start_of_day(last + timedelta(days=1)),
        )
        wanted = set(persons)
        if len(wanted) <= 500:
            query = query.where(v.c.person.in_(wanted))
        for row in self.session.execute(query):
            if row.person in wanted:
                days[row.person].append(local_date(_req_utc(row.visited_at)))
        return days

    def list_for_person(
        self, person: str, after_seq: int | None, limit: int
    ) -> list[tuple[int, Visit]]:
        v = orm.visits
        query = select(v).where(v.c.person == person).order_by(v.c.seq).limit(limit)
        if after_seq is not None:
            query = query.where(v.c.seq > after_seq)
        return self._load(self.session.execute(query).all())


_ESC_ENUMS: dict[str, Any] = {
    "urgency": Urgency,
    "action": Action,
    "state": State,
    "contact_channel": ContactChannel,
    "arranged_action": Action,
    "outcome": Outcome,
}
_ESC_TIMES = (
    "visit_at",
    "contact_deadline",
    "action_deadline",
    "opened_at",
    "contact_at",
    "arranged_at",
    "assisted_at",
    "resolved_at",
    "cancelled_at",
)


def _escalation_row(escalation: Escalation) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in orm.escalations.c:
        if column.name == "seq":
            continue
        value = getattr(escalation, column.name)
        if column.name == "findings":
            value = ",".join(f.value for f in value)
        elif column.name in _ESC_ENUMS and value is not None:
            value = value.value
        row[column.name] = value
    return row


def _escalation(row: Any) -> Escalation:
    values: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if key == "seq":
            continue
        if key == "findings":
            value = tuple(CheckItem(f) for f in value.split(",") if f)
        elif key in _ESC_ENUMS and value is not None:
            value = _ESC_ENUMS[key](value)
        elif key in _ESC_TIMES:
            value = _utc(value)
        elif key == "assistance_required":
            value = bool(value)
        values[key] = value
    return Escalation(**values)


class SqlEscalationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, escalation: Escalation) -> None:
        self.session.execute(_ADD_ESCALATION, _escalation_row(escalation))

    def get(self, escalation_id: str) -> Escalation | None:
        e = orm.escalations
        row = self.session.execute(select(e).where(e.c.id == escalation_id)).first()
        return _escalation(row) if row else None

    def save(self, escalation: Escalation) -> None:
        """Writes the escalation back if nobody changed it since it was read (its version)."""
        e = orm.escalations
        read = escalation.version
        escalation.version = read + 1
        values = _escalation_row(escalation)
        result = self.session.execute(
            update(e).where(and_(e.c.id == escalation.id, e.c.version == read)).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            escalation.version = read
            raise Aborted(f"{escalation.name} changed since it was read; read it again")

    def open_for(self, person: str, action: Action) -> Escalation | None:
        row = self.session.execute(_OPEN_FOR, {"person": person, "action": action.value}).first()
        return _escalation(row) if row else None

    def for_visit(self, visit_id: str) -> list[Escalation]:
        e = orm.escalations
        rows = self.session.execute(select(e).where(e.c.visit_id == visit_id).order_by(e.c.seq))
        return [_escalation(r) for r in rows]

    def list(
        self,
        town: str,
        village: str | None,
        worker: str | None,
        open_only: bool,
        after_seq: int | None,
        limit: int,
    ) -> list[tuple[int, Escalation]]:
        e = orm.escalations
        query = select(e).where(e.c.town == town).order_by(e.c.seq).limit(limit)
        if village:
            query = query.where(e.c.village == village)
        if worker:
            query = query.where(e.c.worker == worker)
        if open_only:
            query = query.where(e.c.state.notin_([State.RESOLVED.value, State.CANCELLED.value]))
        if after_seq is not None:
            query = query.where(e.c.seq > after_seq)
        return [(r.seq, _escalation(r)) for r in self.session.execute(query)]
