"""Alembic environment of the assessment database."""

from assessment_svc.adapters.orm import metadata
from sgz_runtime.alembic_env import run

run(metadata)
