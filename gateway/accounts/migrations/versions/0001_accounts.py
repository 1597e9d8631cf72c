"""Accounts (never deleted: disabled) and hashed refresh tokens.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_REFUSE = "accounts are disabled, never deleted"


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("username", sa.String(40), primary_key=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scope_level", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sessions_valid_after", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "username", sa.String(40), sa.ForeignKey("accounts.username"), nullable=False
        ),
        sa.Column("issue_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expire_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoke_time", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_refresh_tokens_username", "refresh_tokens", ["username"])
    # The application has no delete path; the database refuses one too.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER accounts_no_delete BEFORE DELETE ON accounts "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END"
        )
    else:
        op.execute(
            "CREATE FUNCTION accounts_no_delete() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{_REFUSE}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER accounts_no_delete BEFORE DELETE OR TRUNCATE ON accounts "
            "FOR EACH STATEMENT EXECUTE FUNCTION accounts_no_delete()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS accounts_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS accounts_no_delete ON accounts")
        op.execute("DROP FUNCTION IF EXISTS accounts_no_delete()")
    op.drop_index("ix_refresh_tokens_username", "refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_table("accounts")
