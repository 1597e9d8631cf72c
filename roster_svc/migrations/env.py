"""Alembic environment of the roster database."""

from roster_svc.adapters.orm import metadata
from sgz_runtime.alembic_env import run

run(metadata)
