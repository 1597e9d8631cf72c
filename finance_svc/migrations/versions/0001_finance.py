"""The finance ledger: settings (F2, F3), periods (F1), allocations, and the append-only,
hash-chained double-entry postings (F5) that a closed period refuses (F4).

Revision ID: 0001
Revises:
"""

import datetime as dt

from alembic import op

from finance_svc.adapters import orm

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY = "postings are immutable (rule F5): record an adjusting entry instead"
_CLOSED = "the period is closed (rule F4): record an adjusting entry in an open period"
_LEDGER_TABLES = ("postings", "posting_lines")

#: Rule F3's DOMAIN.md list, in force from before the first period sgz serves.
_DEFAULT_CATEGORIES = "worker_pay,performance_pay,training,visit_transport,cleaning_assistance"


def upgrade() -> None:
    bind = op.get_bind()
    # The first revision creates the tables as orm.py declares them; later changes to orm.py
    # need a revision of their own that leaves this one as it was.
    orm.metadata.create_all(bind)
    op.bulk_insert(
        orm.expense_categories,
        [
            {
                "effective_from": dt.date(2020, 1, 1),
                "categories": _DEFAULT_CATEGORIES,
                "recorded_by": "migration 0001 (DOMAIN.md F3)",
                "recorded_at": dt.datetime(2026, 11, 29, tzinfo=dt.UTC),
            }
        ],
    )
    # Defence in depth: the application has no update path, and the database refuses one too;
    # the hash chain (VerifyPostings) shows an edit by someone who dropped the triggers.
    if bind.dialect.name == "sqlite":
        for table in _LEDGER_TABLES:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
                )
        op.execute(
            "CREATE TRIGGER postings_not_in_closed BEFORE INSERT ON postings "
            "WHEN (SELECT state FROM periods WHERE town = NEW.town AND period = NEW.period) "
            f"= 'closed' BEGIN SELECT RAISE(ABORT, '{_CLOSED}'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION finance_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
        for table in _LEDGER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION finance_append_only()"
            )
        op.execute(
            "CREATE FUNCTION finance_not_in_closed() RETURNS trigger AS $$ BEGIN "
            "IF (SELECT state FROM periods WHERE town = NEW.town AND period = NEW.period) "
            f"= 'closed' THEN RAISE EXCEPTION '{_CLOSED}'; END IF; RETURN NEW; END; $$ "
            "LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER postings_not_in_closed BEFORE INSERT ON postings "
            "FOR EACH ROW EXECUTE FUNCTION finance_not_in_closed()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in _LEDGER_TABLES:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")
        op.execute("DROP TRIGGER IF EXISTS postings_not_in_closed")
    else:
        for table in _LEDGER_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP TRIGGER IF EXISTS postings_not_in_closed ON postings")
        op.execute("DROP FUNCTION IF EXISTS finance_append_only()")
        op.execute("DROP FUNCTION IF EXISTS finance_not_in_closed()")
    orm.metadata.drop_all(bind)
