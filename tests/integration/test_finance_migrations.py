"""The finance migrations make exactly the tables adapters/orm.py declares, on SQLite and
PostgreSQL, and downgrade cleanly."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from finance_svc.adapters.orm import metadata
from finance_svc.app import MIGRATIONS
from sgz_runtime.db import make_engine, migrate


def test_the_migrated_schema_is_the_declared_one(database_url: Callable[[str], str]) -> None:
    engine = make_engine(database_url("finance"))
    try:
        migrate(engine, MIGRATIONS)
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), metadata)
        assert differences == []
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
