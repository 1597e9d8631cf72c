"""The roster's Alembic revisions form one linear chain (core 0002.., import 0100..)."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from roster_svc.app import MIGRATIONS


def test_roster_migrations_have_a_single_head_and_no_branches() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, script.get_heads()
    revisions = list(script.walk_revisions())
    assert all(not r.is_merge_point and not r.is_branch_point for r in revisions)
    assert {"0001", "0002", "0100"} <= {r.revision for r in revisions}
