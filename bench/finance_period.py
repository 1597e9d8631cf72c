"""A province's disbursement period end to end (issue 9): 1,240 towns and 150,000 persons (the
roster of bench/roster_queries.py, served by `python -m roster_svc` on SQLite in its own
process), allocated from SummarizeCareMonths, approved by a second person, disbursed city ->
town -> station, spent, the rest returned, and closed, by the finance use cases on their own
SQLite (durable) database in a fresh child process, so its peak memory is its own.

Cases: the whole period (wall time, peak RSS of the finance process); its steps; the roster's
SummarizeCareMonths for every town alone; finance alone with the care months given; and beside
them the same allocation computed by one SQL query over the roster's database, in the same run
(the totals are checked equal to the fen).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc

from bench.harness import Row
from bench.roster_queries import SECRET, _free_port, populate

PERIOD = "2024H2"
#: The standard used throughout: 150.00 / 400.00 / 800.00 元 a month.
STANDARD = {"SELF_CARE": 15000, "PARTIAL": 40000, "FULL_LOSS": 80000}


class _WithCaller(grpc.UnaryUnaryClientInterceptor):  # type: ignore[misc,type-arg]
    """Sends a signed city-finance caller with every call (the gateway's part, here)."""

    def __init__(self, token: str):
        self.token = token

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        from sgz_runtime.identity import CALLER_METADATA_KEY

        metadata = [*(details.metadata or []), (CALLER_METADATA_KEY, self.token)]
        return continuation(details._replace(metadata=metadata), request)


def _roster_client(port: int) -> Any:
    from finance_svc.adapters.roster_client import GrpcRosterClient
    from sgz_runtime.identity import Caller, Role, ScopeLevel, sign

    token = sign(
        Caller("users/bench", Role.CITY_FINANCE, ScopeLevel.CITY), SECRET.encode(), ttl_s=600
    )
    channel = grpc.intercept_channel(grpc.insecure_channel(f"127.0.0.1:{port}"), _WithCaller(token))
    return GrpcRosterClient(channel)


class _GivenCareMonths:
    def __init__(self, rows: list[Any]):
        self.rows = rows

    def care_months(self, parent: str, period: Any) -> list[Any]:
        return self.rows

    def unassessed_persons(self, town: str, period: Any) -> list[str]:
        # Only asked for towns whose care months count unassessed persons; the run approves
        # with an override reason either way, so the list's content is not timed here.
        return []


def _period_of_finance(
    db_url: str, roster_port: int | None, rows: list[Any] | None
) -> dict[str, Any]:
    """Runs in a fresh process: the whole period, timed step by step; its own peak RSS."""
    from datetime import UTC, datetime

    from finance_svc.app import MIGRATIONS
    from finance_svc.domain.categories import ExpenseCategory
    from finance_svc.domain.ledger import Account, Leg, Posting
    from finance_svc.domain.standards import CareLevel
    from finance_svc.service_layer import allocations, closing, commands, postings, settings
    from finance_svc.service_layer.unit_of_work import FinanceUnitOfWork
    from sgz_runtime.chain import ChainKey
    from sgz_runtime.db import make_engine, migrate, session_factory
    from sgz_runtime.identity import Caller, Role, ScopeLevel
    from sgz_runtime.money import Fen
    from sgz_runtime.periods import Period

    chain = ChainKey(b"bench chain key")
    engine = make_engine(db_url, durable=True)
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)

    def uow() -> FinanceUnitOfWork:
        return FinanceUnitOfWork(factory, chain)

    def clock() -> datetime:
        return datetime.now(UTC)

    civil = Caller("users/civil", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
    maker = Caller("users/maker", Role.CITY_FINANCE, ScopeLevel.CITY)
    checker = Caller("users/checker", Role.CITY_FINANCE, ScopeLevel.CITY)
    settings.create_minimum_wage(
        commands.CreateMinimumWage(effective_from=dt.date(2023, 1, 1), monthly=Fen(249000)),
        uow(), caller=civil, clock=clock,
    )  # fmt: skip
    settings.create_care_standard(
        commands.CreateCareStandard(
            effective_from=dt.date(2024, 1, 1),
            amounts={CareLevel[k]: Fen(v) for k, v in STANDARD.items()},
        ),
        uow(), caller=civil, clock=clock,
    )  # fmt: skip
    roster = _roster_client(roster_port) if roster_port else _GivenCareMonths(rows or [])
    period = Period.parse(PERIOD)
    steps: dict[str, float] = {}
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()

    def step(name: str, since: float) -> float:
        now = time.perf_counter()
        steps[name] = round(now - since, 3)
        return now

    mark = started
    drafts = allocations.compute_allocations(
        commands.ComputeAllocations(
            parent="towns/-", period=period, unassessed_override_reason="bench"
        ),
        uow(), roster, caller=maker, clock=clock,
    )  # fmt: skip
    mark = step("compute_s", mark)
    towns = tuple(d.town for d in drafts)
    amounts = {d.town: d.amount.fen for d in drafts}
    allocations.approve_latest_allocations(
        commands.ApproveLatestAllocations(towns=towns, period=period),
        uow(), caller=checker, clock=clock,
    )  # fmt: skip
    mark = step("approve_s", mark)
    paying = [t for t in towns if amounts[t] > 0]
    for leg in (Leg.CITY_TO_TOWN, Leg.TOWN_TO_STATION):
        done = postings.disburse_many(
            [
                commands.Disburse(town=t, period=period, leg=leg, amount=Fen(amounts[t]),
                                  request_id=f"{t}/{PERIOD}/{leg.value}")
                for t in paying
            ],
            uow(), caller=maker, clock=clock,
        )  # fmt: skip
        assert all(isinstance(p, Posting) for p in done)
    mark = step("disburse_s", mark)
    spent = postings.record_expenses(
        [
            commands.RecordExpense(town=t, period=period, category=ExpenseCategory.WORKER_PAY,
                                   payee=f"workers/{t}", amount=Fen(amounts[t] * 9 // 10),
                                   evidence="payRuns/bench", request_id=f"{t}/{PERIOD}/pay")
            for t in paying if amounts[t] * 9 // 10 > 0
        ],
        uow(), caller=maker, clock=clock,
    )  # fmt: skip
    assert all(isinstance(p, Posting) for p in spent)
    returned = postings.return_many(
        [
            commands.ReturnUnspent(town=t, period=period, account=Account.STATION,
                                   amount=Fen(amounts[t] - amounts[t] * 9 // 10),
                                   request_id=f"{t}/{PERIOD}/return")
            for t in paying if amounts[t] - amounts[t] * 9 // 10 > 0
        ],
        uow(), caller=maker, clock=clock,
    )  # fmt: skip
    assert all(isinstance(p, Posting) for p in returned)
    mark = step("spend_and_return_s", mark)
    closed = closing.close_periods(
        [commands.ClosePeriod(town=t, period=period) for t in towns],
        uow(), caller=maker, clock=clock,
    )  # fmt: skip
    refused = [c for c in closed if isinstance(c, Exception)]
    step("close_s", mark)
    steps["total_s"] = round(time.perf_counter() - started, 3)
    # CPU seconds of this process (the machine is shared: wall time counts the others' load).
    usage = resource.getrusage(resource.RUSAGE_SELF)
    steps["cpu_s"] = round(usage.ru_utime + usage.ru_stime - cpu_before, 3)
    engine.dispose()
    return {
        "steps": steps,
        "towns": len(towns),
        "closed": len(closed) - len(refused),
        "amounts": amounts,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[str, Any] = pool.apply(fn, args)
    return result


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summarize_alone(port: int) -> tuple[float, list[Any]]:
    from sgz_runtime.periods import Period

    client = _roster_client(port)
    started = time.perf_counter()
    rows = client.care_months("towns/-", Period.parse(PERIOD))
    return time.perf_counter() - started, rows


#: One query: for each person and month of 2024H2, the status and care level in force on the
#: month's first day (the roster's counting day), priced by the standard, summed per town.
ALLOCATION_SQL = """
WITH months(first_day) AS (
  VALUES ('2024-07-01'), ('2024-08-01'), ('2024-09-01'),
         ('2024-10-01'), ('2024-11-01'), ('2024-12-01')
),
facts AS (
  SELECT p.town_id AS town_id,
    (SELECT s.status FROM status_changes s
      WHERE s.person_id = p.id AND s.effective_date <= m.first_day
      ORDER BY s.effective_date DESC LIMIT 1) AS status,
    (SELECT a.care_level FROM assessments a
      WHERE a.person_id = p.id AND a.assessment_date <= m.first_day
      ORDER BY a.assessment_date DESC LIMIT 1) AS care_level
  FROM persons p CROSS JOIN months m
)
SELECT town_id, SUM(CASE care_level WHEN 'SELF_CARE' THEN :self_care
                                    WHEN 'PARTIAL' THEN :partial
                                    WHEN 'FULL_LOSS' THEN :full_loss ELSE 0 END)
FROM facts WHERE status = 'DISPERSED' GROUP BY town_id
"""


def _one_query(roster_db: Path) -> tuple[float, dict[str, int]]:
    # SQLite runs in this process: its CPU time is this thread's.
    started = time.perf_counter()
    cpu = time.thread_time()
    with sqlite3.connect(roster_db) as conn:
        found = conn.execute(
            ALLOCATION_SQL,
            {"self_care": STANDARD["SELF_CARE"], "partial": STANDARD["PARTIAL"],
             "full_loss": STANDARD["FULL_LOSS"]},
        ).fetchall()  # fmt: skip
    _one_query_cpu.append(time.thread_time() - cpu)
    return time.perf_counter() - started, {f"towns/{t}": int(v) for t, v in found}


_one_query_cpu: list[float] = []


def run(quick: bool = False) -> list[Row]:
    towns, per_town = (124, 121) if quick else (1240, 121)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="sgz-bench-finance-") as tmp:
        data_dir = Path(tmp)
        populated = time.perf_counter()
        populate(data_dir, towns, per_town)
        populated_s = time.perf_counter() - populated
        port = _free_port()
        env = {
            **os.environ,
            "SGZ_DATA_DIR": str(data_dir),
            "SGZ_INTERNAL_SECRET": SECRET,
            "SGZ_LOG_LEVEL": "WARNING",
            "SGZ_ROSTER_PORT": str(port),
            "ROSTER_DATABASE_URL": f"sqlite:///{data_dir / 'roster.db'}",
        }
        process = subprocess.Popen([sys.executable, "-m", "roster_svc"], env=env)
        try:
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=60)
            channel.close()
            roster_cpu = _cpu_of(process.pid)
            summarize_s, care_rows = _summarize_alone(port)
            summarize_cpu = _cpu_of(process.pid) - roster_cpu
            end_to_end = _in_child(
                _period_of_finance, f"sqlite:///{data_dir / 'finance.db'}", port, None
            )
            finance_only = _in_child(
                _period_of_finance, f"sqlite:///{data_dir / 'finance2.db'}", None, care_rows
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
        query_s, by_sql = _one_query(data_dir / "roster.db")
    persons = towns * per_town
    label = f"{towns} towns, {persons} persons"
    same = _same(end_to_end["amounts"], by_sql)
    end_to_end["steps"]["same_as_sql"] = int(same)
    rows.append(Row("finance period", f"one SQL query: allocation only ({label})",
                    {"seconds": round(query_s, 3), "cpu_s": round(_one_query_cpu[-1], 3)},
                    primary="seconds"))  # fmt: skip
    rows.append(Row("finance period", f"SummarizeCareMonths towns/- all pages ({label})",
                    {"seconds": round(summarize_s, 3), "roster_cpu_s": round(summarize_cpu, 3),
                     "rows": len(care_rows)},
                    primary="seconds"))  # fmt: skip
    rows.append(
        Row("finance period", f"whole period, roster over gRPC ({label})",
            {**end_to_end["steps"], "peak_rss_mb": end_to_end["peak_rss_mb"],
             "closed": end_to_end["closed"]},
            primary="total_s", baseline=f"one SQL query: allocation only ({label})",
            notes=f"allocations equal to the SQL query's: {same}; roster populated in "
                  f"{populated_s:.0f} s (not timed)")
    )  # fmt: skip
    rows.append(
        Row("finance period", f"whole period, care months given ({label})",
            {**finance_only["steps"], "peak_rss_mb": finance_only["peak_rss_mb"],
             "closed": finance_only["closed"]},
            primary="total_s", baseline=f"one SQL query: allocation only ({label})")
    )  # fmt: skip
    return rows


def _same(amounts: dict[str, int], by_sql: dict[str, int]) -> bool:
    towns: Sequence[str] = sorted(set(amounts) | set(by_sql))
    return all(amounts.get(t, 0) == by_sql.get(t, 0) for t in towns)
