"""Tables of the visit database. Visits, their checks, escalations and the dated visit policy
live here; the work ledger's tables (visit_svc.adapters.ledger_orm) share this `metadata`."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: One dated version of the visit policy: the weekly frequency (rule V1) and, in
#: visit_policy_rules, the escalation table (rules V3-V6). A version applies from its date.
visit_policies = Table(
    "visit_policies",
    metadata,
    Column("version", String(63), primary_key=True),
    Column("effective_from", Date, nullable=False, unique=True),
    Column("visits_per_week", Integer, nullable=False),
    Column("due_soon_minutes", Integer, nullable=False),
    #: Rule V2: the checks asked besides the text's five, comma-separated CheckItem values.
    Column("extra_checks", String(400), nullable=False, server_default=""),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: finding -> urgency -> required action -> deadlines, per policy version (rules V3-V6).
visit_policy_rules = Table(
    "visit_policy_rules",
    metadata,
    Column("version", String(63), ForeignKey("visit_policies.version"), primary_key=True),
    Column("finding", String(40), primary_key=True),
    Column("urgency", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("contact_within_minutes", Integer, nullable=False),
    Column("action_within_minutes", Integer, nullable=False),
    Column("assistance_required", Boolean, nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("person", String(80), nullable=False),
    Column("town", String(80), nullable=False),
    Column("village", String(160), nullable=False),
    Column("worker", String(80), nullable=False),
    #: The absent worker this visit stood in for, when made by a named substitute (rule V9).
    Column("substitute_for", String(80), nullable=True),
    Column("visited_at", DateTime(timezone=True), nullable=False),
    #: Monday of the visit's ISO week in China Standard Time (rule V1), for weekly queries.
    Column("week_start", Date, nullable=False),
    Column("notes", Text, nullable=False),
    Column("recorded_by", String(120), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_visits_person_time", "person", "visited_at"),
    Index("ix_visits_town_week", "town", "week_start"),
)

#: One row per check of a visit (rule V2): FINE, PROBLEM or NOT_CHECKED, with a note.
visit_checks = Table(
    "visit_checks",
    metadata,
    Column("visit_id", String(32), ForeignKey("visits.id"), primary_key=True),
    Column("item", String(40), primary_key=True),
    Column("result", String(20), nullable=False),
    Column("note", Text, nullable=False),
)

escalations = Table(
    "escalations",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("visit_id", String(32), ForeignKey("visits.id"), nullable=False),
    Column("person", String(80), nullable=False),
    Column("town", String(80), nullable=False),
    Column("village", String(160), nullable=False),
    Column("worker", String(80), nullable=False),
    #: Comma-separated check items whose PROBLEM opened this escalation.
    Column("findings", String(400), nullable=False),
    Column("urgency", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    #: The policy version and deadlines as they were when opened: later policies never
    #: touch them (rule V6).
    Column("policy_version", String(63), nullable=False),
    Column("assistance_required", Boolean, nullable=False),
    Column("visit_at", DateTime(timezone=True), nullable=False),
    Column("contact_deadline", DateTime(timezone=True), nullable=False),
    Column("action_deadline", DateTime(timezone=True), nullable=False),
    Column("state", String(30), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("contact_name", String(100), nullable=True),
    Column("contact_channel", String(20), nullable=True),
    Column("contact_at", DateTime(timezone=True), nullable=True),
    Column("contact_note", Text, nullable=True),
    Column("arranged_action", String(40), nullable=True),
    Column("arranged_at", DateTime(timezone=True), nullable=True),
    Column("action_date", Date, nullable=True),
    Column("arrangement_note", Text, nullable=True),
    Column("assisted_at", DateTime(timezone=True), nullable=True),
    Column("assistance_note", Text, nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("outcome", String(40), nullable=True),
    Column("outcome_date", Date, nullable=True),
    Column("outcome_note", Text, nullable=True),
    Column("roster_request_id", String(80), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("cancel_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_escalations_town_state", "town", "state"),
    Index("ix_escalations_person_action", "person", "action", "state"),
)

#: AIP-155 request ids already served: a retry returns the same resource, a different body
#: under the same id is refused.
request_ids = Table(
    "request_ids",
    metadata,
    Column("request_id", String(80), primary_key=True),
    Column("method", String(60), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("resource", String(120), nullable=False),
)
