"""Personal data at rest (issue 11 item 6): database files, key files and the stack's logs are
readable by their owner only (0600) in folders only the owner enters (0700)."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from deploy.supervisor_conf import Layout, render
from sgz_runtime.chain import chain_key
from sgz_runtime.config import Settings
from sgz_runtime.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_is_0600_in_a_0700_folder(tmp_path: Path) -> None:
    database = tmp_path / "data" / "roster.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()
    assert _mode(database.parent) == 0o700
    assert _mode(database) == 0o600
    for sidecar in (database.with_name("roster.db-wal"), database.with_name("roster.db-shm")):
        assert not sidecar.exists() or _mode(sidecar) == 0o600


def test_an_existing_database_readable_by_others_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "visit.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert _mode(database) == 0o600


def test_chain_keys_are_0600_files_in_a_0700_folder_and_stable(tmp_path: Path) -> None:
    first = chain_key("visit", tmp_path)
    again = chain_key("visit", tmp_path)
    key_file = tmp_path / "keys" / "visit-chain.key"
    assert first == again and len(first.secret) == 64
    assert _mode(key_file) == 0o600 and _mode(key_file.parent) == 0o700
    assert chain_key("roster", tmp_path) != first  # one key per service


def test_supervisord_and_every_service_it_starts_create_files_0600() -> None:
    settings = Settings(data_dir=Path("/srv/sgz"))
    conf = render(settings, Layout.of(settings), python="/usr/bin/python3", directory=Path("/srv"))
    section = conf.split("[supervisord]")[1].split("\n\n")[0]
    assert "umask=077" in section.splitlines()
