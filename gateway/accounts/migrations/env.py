"""Alembic environment of the gateway's accounts database."""

from gateway.accounts.store import metadata
from sgz_runtime.alembic_env import run

run(metadata)
