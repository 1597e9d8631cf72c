"""The body of every service's migrations/env.py: run online on the connection given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, create_engine


def run(target_metadata: MetaData) -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # the alembic command line: use -x url=...
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///var/dev.db")
        with create_engine(url).begin() as conn:
            _run(conn, target_metadata)
    else:
        _run(connection, target_metadata)


def _run(connection: object, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()
