"""Settings of the visit service, read from the environment in one place (`SGZ_VISIT_*`).

The weekly frequency (V1) and the escalation table (V3-V6) are dated data in the database
(`visit_policies`, seeded by migration 0002 with DOMAIN.md's defaults, changed by
CreateVisitPolicy), not settings here: each escalation must keep the version it was opened under.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class VisitSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SGZ_VISIT_", extra="ignore")

    #: How far ahead of the server's clock a visit time may be before it is "in the future"
    #: (rule V9): phones in the field drift.
    clock_skew_s: float = Field(default=120.0, ge=0)
    #: Group commit on SQLite (visit_svc/adapters/group_commit.py): commits share one fsync of
    #: the WAL, and a call is answered only once its commit is on disk. False: FULL per commit.
    group_commit: bool = True
    #: Seconds a person's timeline from the roster is reused for reads (a person's weeks).
    #: The checks of rule V9 always ask the roster afresh, so a roster change reaches them at
    #: once (issue 7).
    timeline_cache_s: float = Field(default=10.0, ge=0)
    #: Seconds between publications of the chains' heads to the roster (docs/privacy.md); a
    #: head that has not moved is not published again.
    checkpoint_interval_s: float = Field(default=300.0, gt=0)
