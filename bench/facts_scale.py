"""`python -m bench.facts_scale [POSTGRES_URL]`: the assessment facts' SQL for one town's
half-year, in a visits table holding 400 towns' half-year (1.08 million visits), on PostgreSQL.
Not in BENCHMARKS (it needs PostgreSQL); docs/ledger.md quotes its figures."""

from __future__ import annotations

import datetime as dt
import sys
import time
import uuid

import psycopg
from sqlalchemy import text

from sgz_runtime.db import make_engine, migrate, session_factory
from visit_svc.adapters.facts_queries import SqlFactsQueries
from visit_svc.app import MIGRATIONS

TOWNS, PER_TOWN = 400, 2700
FIRST, LAST = dt.date(2026, 1, 5), dt.date(2026, 6, 29)  # Mondays of a half-year

_FILL = """
INSERT INTO visits (id, person, town, village, worker, substitute_for, visited_at, week_start,
                    notes, recorded_by, recorded_at)
SELECT md5(g::text), 'persons/p' || (g % 130000), 'towns/t' || (g % :towns),
       'towns/t' || (g % :towns) || '/villages/v',
       'workers/w' || ((g % :towns) * 3 + (g / :towns) % 3), NULL,
       timestamptz '2026-01-05 02:00+00' + ((g / :towns) % 180) * interval '1 day',
       date '2026-01-05' + (((g / :towns) % 180) / 7) * 7, '', 'bench', now()
FROM generate_series(1, :n) g
"""


def main() -> int:
    server = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    name = "sgz_facts_scale_" + uuid.uuid4().hex[:6]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        engine = make_engine(server.rsplit("/", 1)[0] + "/" + name)
        migrate(engine, MIGRATIONS)
        with engine.begin() as conn:
            conn.execute(text(_FILL), {"towns": TOWNS, "n": TOWNS * PER_TOWN})
            conn.execute(text("ANALYZE visits"))
        with session_factory(engine)() as session:
            queries = SqlFactsQueries(session)
            workers = [f"workers/w{7 * 3 + i}" for i in range(3)]
            for attempt in ("cold", "warm"):
                started = time.perf_counter()
                found = queries.visit_counts(
                    "towns/t7", workers, FIRST, LAST, [(dt.date(2022, 1, 1), 1)]
                )
                ms = (time.perf_counter() - started) * 1000
                print(f"{attempt}: {ms:.1f} ms for {len(found)} worker-weeks of one town")
        engine.dispose()
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
