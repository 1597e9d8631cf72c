"""Alembic environment of the visit database."""

from sgz_runtime.alembic_env import run
from visit_svc.adapters import ledger_orm  # noqa: F401  (declares the ledger tables on metadata)
from visit_svc.adapters.orm import metadata

run(metadata)
