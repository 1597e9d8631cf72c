"""Alembic environment of the finance database."""

from finance_svc.adapters.orm import metadata
from sgz_runtime.alembic_env import run

run(metadata)
