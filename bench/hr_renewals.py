"""The renewal report (rules H7, H8, H9, A5) for a generated province (issue 8): 1,240 towns,
3,720 workers with a contract each (ending over three years), certificates for seven in ten,
two training records each. `python -m hr_svc` serves it on SQLite in its own process and asks
a stand-in assessment service (in this process) for the yearly results, as in production.

Cases: GetRenewalReport for the whole city (`towns/-`) and a one-year window of end dates
(about a third of the contracts), timed end to end through the RPC, through the gateway
(HTTP/JSON, a gateway of its own with a development HR caller) and through `sgz hr renewals
--json` as a new process; beside them, in the same run, one SQL query
reading the same rows (contracts ending in the window with their worker, best certificate held
on the end date and training hours of the assessment year). The ratio is the price of the
service (rules, the assessment call, protos) over the bare read.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import httpx
from sgz.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from sgz.hr.v1 import hr_pb2 as pb
from sgz.hr.v1 import hr_pb2_grpc
from sqlalchemy import insert, text

from bench.harness import Row
from hr_svc.adapters import orm
from hr_svc.app import MIGRATIONS
from hr_svc.domain.certificates import CertificateLevel
from hr_svc.domain.contracts import ContractKind
from hr_svc.domain.employment import EmploymentChange
from hr_svc.domain.training import TrainingKind
from hr_svc.domain.workers import WorkerRole
from sgz_runtime.db import make_engine, migrate
from sgz_runtime.identity import CALLER_METADATA_KEY, Caller, Role, ScopeLevel, sign
from sgz_runtime.proto_values import date_to_pb

SECRET = "bench-secret-" + "x" * 32
WORKERS_PER_TOWN = 3
FIRST = dt.date(2026, 1, 1)
BEFORE = dt.date(2027, 1, 1)

#: The bare read the report is compared with: the same rows, in one statement.
SAME_ROWS = text(
    """
    SELECT c.id, c.worker_id, w.display_name, w.town, c.end_date,
           (SELECT MAX(CASE k.level WHEN 'SENIOR' THEN 3 WHEN 'INTERMEDIATE' THEN 2 ELSE 1 END)
              FROM certificates k
             WHERE k.worker_id = c.worker_id AND k.obtained_date <= c.end_date) AS best,
           (SELECT COALESCE(SUM(t.tenth_hours), 0)
              FROM training_records t
             WHERE t.worker_id = c.worker_id
               AND t.date >= :year_first AND t.date <= :year_last) AS tenths
      FROM contracts c JOIN workers w ON w.id = c.worker_id
     WHERE c.end_date >= :first AND c.end_date < :before
     ORDER BY c.end_date, c.worker_id
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def populate(url: str, towns: int) -> int:
    """Workers, their joining, one 3-year contract each starting over three years (so a third
    end in any year), a certificate for seven in ten, two training records each."""
    engine = make_engine(url)
    migrate(engine, MIGRATIONS)
    rng = random.Random(8)
    workers, events, contracts, certificates, training = [], [], [], [], []
    n = 0
    for t in range(towns):
        for _ in range(WORKERS_PER_TOWN):
            wid = f"w{n:05d}"
            start = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
            end = dt.date(start.year + 3, start.month, min(start.day, 28)) - dt.timedelta(days=1)
            workers.append(
                {
                    "id": wid,
                    "display_name": f"工作人员{n}",
                    "town": f"towns/t{t:04d}",
                    "role": WorkerRole.STATION_WORKER,
                    "version": 1,
                    "creator": "bench",
                    "id_masked": "",
                    "phone_masked": "",
                }
            )
            events.append(
                {
                    "worker_id": wid,
                    "change": EmploymentChange.JOINED,
                    "effective_date": start,
                    "reason": "",
                    "recorded_by": "bench",
                }
            )
            contracts.append(
                {
                    "id": f"c{n:05d}",
                    "worker_id": wid,
                    "kind": ContractKind.FIXED_TERM,
                    "start_date": start,
                    "end_date": end,
                    "probation_months": 6,
                    "monthly_base_fen": 450000,
                    "renewal_of": None,
                    "consecutive_fixed_terms": 1,
                    "open_ended_required": False,
                    "worker_asked_fixed_term": False,
                    "recorded_by": "bench",
                }
            )
            if rng.random() < 0.7:
                certificates.append(
                    {
                        "id": f"k{n:05d}",
                        "worker_id": wid,
                        "level": CertificateLevel.JUNIOR,
                        "number": f"Z{n}",
                        "obtained_date": start + dt.timedelta(days=rng.randrange(1200)),
                        "recorded_by": "bench",
                    }
                )
            for j in range(2):
                training.append(
                    {
                        "id": f"r{n:05d}{j}",
                        "worker_id": wid,
                        "kind": TrainingKind.TRAINING,
                        "tenth_hours": rng.randrange(60, 240),
                        "provider": "市民政局",
                        "date": dt.date(2025, 3 + 4 * j, 10),
                        "recorded_by": "bench",
                    }
                )
            n += 1
    with engine.begin() as conn:
        for table, rows in (
            (orm.workers, workers),
            (orm.employment_events, events),
            (orm.contracts, contracts),
            (orm.certificates, certificates),
            (orm.training_records, training),
        ):
            conn.execute(insert(table), rows)
    engine.dispose()
    return n


class _Assessment(assessment_pb2_grpc.AssessmentServiceServicer):
    """Every worker passed, except one in ten whose result is not decided yet."""

    def BatchGetYearlyResults(self, request: Any, context: Any) -> Any:
        return assessment_pb2.BatchGetYearlyResultsResponse(
            yearly_results=[
                assessment_pb2.YearlyResult(worker=w, year=request.year, passed=True)
                for w in request.workers
                if not w.endswith("7")
            ]
        )


def _time_sql(url: str, repeats: int) -> tuple[list[float], int]:
    engine = make_engine(url)
    params = {
        "first": FIRST,
        "before": BEFORE,
        "year_first": dt.date(2025, 1, 1),
        "year_last": dt.date(2025, 12, 31),
    }
    took, rows = [], 0
    with engine.connect() as conn:
        for _ in range(repeats):
            started = time.perf_counter()
            rows = len(conn.execute(SAME_ROWS, params).all())
            took.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return took, rows


def _time_gateway_and_cli(
    port: int, env: dict[str, str], repeats: int
) -> tuple[list[float], list[float], list[float]]:
    """The same report through the gateway over HTTP, then through `sgz hr renewals --json`
    (a new process each time, as a person runs it: its start-up is in the figure)."""
    url = f"http://127.0.0.1:{port}"
    params = {
        "endingAfter.year": FIRST.year, "endingAfter.month": FIRST.month,
        "endingAfter.day": FIRST.day, "endingBefore.year": BEFORE.year,
        "endingBefore.month": BEFORE.month, "endingBefore.day": BEFORE.day,
        "on.year": 2025, "on.month": 12, "on.day": 1,
    }  # fmt: skip
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=url, timeout=300) as client:
        while True:
            try:
                if client.get("/healthz").status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the bench gateway did not start")
            time.sleep(0.2)
        http_ms: list[float] = []
        for i in range(repeats + 1):
            started = time.perf_counter()
            answer = client.get("/v1/towns/-/renewalReport", params=params)
            answer.raise_for_status()
            if i:
                http_ms.append((time.perf_counter() - started) * 1000)
    command = [
        sys.executable, "-m", "sgz_cli", "hr", "renewals", "--json", f"--gateway={url}",
        f"--ending-after={FIRST}", f"--ending-before={BEFORE}", "--on=2025-12-01",
    ]  # fmt: skip
    cli_ms: list[float] = []
    startup_ms: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=300)
        cli_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sgz_cli", "hr", "--help"],
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        startup_ms.append((time.perf_counter() - started) * 1000)
    return http_ms, cli_ms, startup_ms


def run(quick: bool = False) -> list[Row]:
    towns, repeats = (124, 3) if quick else (1240, 5)
    with tempfile.TemporaryDirectory(prefix="sgz-bench-hr-") as tmp:
        data_dir = Path(tmp)
        url = f"sqlite:///{data_dir / 'hr.db'}"
        started = time.perf_counter()
        workers = populate(url, towns)
        populated_s = time.perf_counter() - started
        assessment = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        stand_in = _Assessment()  # type: ignore[abstract]  # only the agreed RPC answers
        assessment_pb2_grpc.add_AssessmentServiceServicer_to_server(stand_in, assessment)
        assessment_port = assessment.add_insecure_port("127.0.0.1:0")
        assessment.start()
        port = _free_port()
        env = {
            **os.environ,
            "SGZ_DATA_DIR": str(data_dir),
            "SGZ_INTERNAL_SECRET": SECRET,
            "SGZ_LOG_LEVEL": "WARNING",
            "SGZ_HR_PORT": str(port),
            "SGZ_ASSESSMENT_PORT": str(assessment_port),
            "SGZ_ROSTER_PORT": str(_free_port()),
            "HR_DATABASE_URL": url,
        }
        gateway_port = _free_port()
        gateway_env = {
            **env,
            "SGZ_GATEWAY_PORT": str(gateway_port),
            # The bench's own gateway: requests without a token act as a city-wide HR caller.
            "SGZ_GATEWAY_DEV_AUTH": "1",
            "SGZ_GATEWAY_DEV_ROLE": "hr",
            "SGZ_GATEWAY_DEV_SCOPE_LEVEL": "city",
            "SGZ_CLI_CREDENTIALS": str(data_dir / "no-session.json"),
        }
        process = subprocess.Popen([sys.executable, "-m", "hr_svc"], env=env)
        gateway = subprocess.Popen([sys.executable, "-m", "gateway"], env=gateway_env)
        try:
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=60)
            stub = hr_pb2_grpc.HrServiceStub(channel)
            token = sign(Caller("bench", Role.HR, ScopeLevel.CITY), SECRET.encode(), ttl_s=600)
            request = pb.GetRenewalReportRequest(
                parent="towns/-",
                ending_after=date_to_pb(FIRST),
                ending_before=date_to_pb(BEFORE),
                on=date_to_pb(dt.date(2025, 12, 1)),
            )
            rpc_ms: list[float] = []
            report_rows = 0
            for _ in range(repeats + 1):  # the first call warms the caches, untimed
                started = time.perf_counter()
                report = stub.GetRenewalReport(
                    request, metadata=((CALLER_METADATA_KEY, token),), timeout=300
                )
                rpc_ms.append((time.perf_counter() - started) * 1000)
                report_rows = len(report.rows)
            channel.close()
            http_ms, cli_ms, startup_ms = _time_gateway_and_cli(gateway_port, gateway_env, repeats)
        finally:
            for each in (gateway, process):
                each.terminate()
                each.wait(10)
            assessment.stop(0)
        sql_ms, sql_rows = _time_sql(url, repeats)
    notes = (
        f"{towns} towns, {workers} workers, window {FIRST}..{BEFORE}: {report_rows} rows "
        f"(SQL {sql_rows}); SQLite; median of {repeats}"
    )
    sql = {"median_ms": round(statistics.median(sql_ms), 2), "rows": sql_rows}
    rpc = {
        "median_ms": round(statistics.median(rpc_ms[1:]), 2),
        "rows": report_rows,
        "populate_s": round(populated_s, 1),
    }
    through = [
        ("GET renewalReport through the gateway (HTTP/JSON)", http_ms),
        ("sgz hr renewals --json (CLI process, wall time)", cli_ms),
        ("sgz hr --help (the CLI's start-up alone)", startup_ms),
    ]
    return [
        Row("hr_renewals", "one SQL query, same rows", sql, "median_ms", notes=notes),
        *[
            Row(
                "hr_renewals",
                case,
                {"median_ms": round(statistics.median(took), 2)},
                "median_ms",
                baseline="one SQL query, same rows",
                notes=notes,
            )
            for case, took in through
        ],
        Row(
            "hr_renewals",
            "GetRenewalReport towns/- (RPC)",
            rpc,
            "median_ms",
            baseline="one SQL query, same rows",
            notes=notes,
        ),
    ]
