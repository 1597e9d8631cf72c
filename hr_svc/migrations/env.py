"""Alembic environment of the HR database."""

from hr_svc.adapters.orm import metadata
from sgz_runtime.alembic_env import run

run(metadata)
