"""HR's migration 0002 on a database that already holds workers (rule H2): each worker gets a
JOINED event on the day it ran, so "employed on D" has an answer, and nothing is lost."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from hr_svc.app import MIGRATIONS
from sgz_runtime import china_time
from sgz_runtime.db import make_engine


def _upgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_workers_before_0002_join_on_the_day_it_ran(database_url: Callable[[str], str]) -> None:
    url = database_url("hr")
    _upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO workers (id, display_name, town, role, version) "
                "VALUES ('w1', '张三', 'towns/chengdong', 'STATION_CHIEF', 1)"
            )
        )
    _upgrade(url, "head")
    with engine.connect() as conn:
        events = conn.execute(
            text("SELECT worker_id, change, effective_date FROM employment_events")
        ).all()
        policies = conn.execute(text("SELECT version FROM hr_policies")).scalars().all()
        worker = conn.execute(text("SELECT display_name, creator, id_masked FROM workers")).one()
    engine.dispose()
    assert [(e[0], e[1], str(e[2])) for e in events] == [
        ("w1", "JOINED", china_time.today().isoformat())
    ]
    assert policies == ["v1"]
    assert tuple(worker) == ("张三", "", "")
