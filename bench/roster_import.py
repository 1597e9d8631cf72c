"""Importing a generated Jiangsu roster (150,000 persons, 1,240 towns, 21,000 villages) from
CSV and from xlsx, end to end: the file read by the CLI's reader, every row validated by the
roster service (R1-R3) in its own process, and written in batches. Side by side, in the same
run and the same kind of database: a bare executemany of the same rows.

Figures: rows/s, and peak memory (VmHWM, the peak RSS) of the client and of the server.
`SGZ_BENCH_DB=postgres` runs it on PostgreSQL (127.0.0.1:5432) instead of SQLite.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import grpc

from bench import roster_data
from bench.harness import Row, in_process

SECRET = "bench-secret-" + "x" * 32
POSTGRES_URL = os.environ.get(
    "SGZ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _peak_mb(pid: int | str = "self") -> float:
    """The peak resident set (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _reset_peak(pid: int | str = "self") -> None:
    """Starts the peak RSS afresh (Linux: writing 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


_MADE: list[str] = []


def _new_database(tmp: Path, name: str) -> str:
    if os.environ.get("SGZ_BENCH_DB") != "postgres":
        return f"sqlite:///{tmp / (name + '.db')}"
    import psycopg

    db = f"sgz_bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    _MADE.append(db)
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + db


def _drop_databases() -> None:
    if not _MADE:
        return
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for db in _MADE:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _MADE.clear()


def _settings(tmp: Path) -> Any:
    from sgz_runtime.config import Settings

    return Settings(data_dir=tmp, internal_secret=SECRET, default_deadline_s=600)  # type: ignore[arg-type]


def _prepare(url: str, tmp: Path, specs: list[roster_data.TownSpec]) -> None:
    """Migrates the database and loads the towns and villages (not timed)."""
    from sqlalchemy import insert

    from roster_svc.adapters import orm
    from sgz_runtime.db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine, Path(__file__).resolve().parent.parent / "roster_svc" / "migrations")
    with engine.begin() as conn:
        conn.execute(
            insert(orm.towns),
            [
                {"id": t.id, "display_name": t.display_name, "administrative_code": t.code,
                 "kind": "TOWN", "version": 1}
                for t in specs
            ],
        )  # fmt: skip
        conn.execute(
            insert(orm.villages),
            [
                {"town_id": t.id, "id": v_id, "display_name": name, "kind": "VILLAGE",
                 "contact_name": "", "contact_phone": "", "version": 1}
                for t in specs
                for v_id, name in t.villages
            ],
        )  # fmt: skip
    engine.dispose()


def serve_roster(queue: Any, url: str, tmp: str) -> None:
    """The roster service in its own process, on a fresh port; puts (port, pid)."""
    os.environ["ROSTER_DATABASE_URL"] = url
    from roster_svc.app import build
    from sgz_runtime.server import create_server

    settings = _settings(Path(tmp))
    running = create_server(build(settings), "127.0.0.1:0", settings)
    running.server.start()
    queue.put((running.port, os.getpid()))
    running.server.wait_for_termination()


def _grpc_sender(channel: grpc.Channel) -> Any:
    from sgz.roster.v1 import roster_pb2_grpc

    from sgz_runtime.identity import CALLER_METADATA_KEY, Caller, Role, ScopeLevel, sign

    stub = roster_pb2_grpc.RosterServiceStub(channel)
    caller = Caller("users/bench", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)

    def send(request: Any) -> Any:
        token = sign(caller, SECRET.encode(), ttl_s=3600)
        return stub.ImportPersons(request, metadata=((CALLER_METADATA_KEY, token),), timeout=600)

    def commit(request: Any) -> Any:
        token = sign(caller, SECRET.encode(), ttl_s=3600)
        return stub.CommitPersonImport(
            request, metadata=((CALLER_METADATA_KEY, token),), timeout=600
        )

    return send, commit


def _import(path: Path, url: str, tmp: Path) -> dict[str, float]:
    from sgz_cli.roster_files import read_rows
    from sgz_cli.roster_import import run_import

    process, (port, server_pid) = in_process(serve_roster, url, str(tmp))
    try:
        channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 64 << 20)]
        )
        send, commit = _grpc_sender(channel)
        _reset_peak()
        _reset_peak(server_pid)
        started = time.perf_counter()
        cpu = time.process_time(), _cpu_s(server_pid)
        _found, rows = read_rows(path)
        report = run_import(rows, "towns/-", send, commit)
        seconds = time.perf_counter() - started
        if report.errors or not report.written:
            first = report.errors[0] if report.errors else None
            raise RuntimeError(f"the generated roster did not import cleanly: {first}")
        client_cpu = time.process_time() - cpu[0]
        server_cpu = _cpu_s(server_pid) - cpu[1]
        figures = {
            "rows_per_s": round(report.rows / seconds),
            "seconds": round(seconds, 2),
            "rows": report.rows,
            "created": report.created,
            "unchanged": report.unchanged,
            "errors": len(report.errors),
            "client_peak_mb": _peak_mb(),
            "server_peak_mb": _peak_mb(server_pid),
            # Load on a shared machine stretches wall time; CPU time says what the work costs.
            "client_cpu_s": round(client_cpu, 2),
            "server_cpu_s": round(server_cpu, 2),
        }
        # Importing the same file again changes nothing (every row unchanged).
        started = time.perf_counter()
        _found, rows = read_rows(path)
        again = run_import(rows, "towns/-", send, commit)
        figures["reimport_rows_per_s"] = round(again.rows / (time.perf_counter() - started))
        figures["reimport_unchanged"] = again.unchanged
        channel.close()
        return figures
    finally:
        process.kill()
        process.join()


def _bare_executemany(path: Path, url: str) -> dict[str, float]:
    """The same rows, prepared beforehand (hash, cipher, parsed fields), inserted with one
    executemany per table: the floor of what writing them costs in this database."""
    import csv
    import datetime as dt
    import hashlib
    import hmac

    from cryptography.fernet import Fernet

    from roster_svc.adapters import orm
    from sgz_runtime.db import make_engine
    from sgz_runtime.pii.resident_id import mask
    from sgz_runtime.pii.vault import FernetIdVault, SealedText

    engine = make_engine(url)
    with engine.connect() as conn:
        towns = {
            code: town_id
            for town_id, code in conn.execute(
                orm.towns.select().with_only_columns(
                    orm.towns.c.id, orm.towns.c.administrative_code
                )
            )
        }
        villages = {
            (t, name): v
            for t, v, name in conn.execute(
                orm.villages.select().with_only_columns(
                    orm.villages.c.town_id, orm.villages.c.id, orm.villages.c.display_name
                )
            )
        }
    fernet = Fernet(Fernet.generate_key())
    key = b"k" * 32
    # Addresses and phones are sealed on the way in, as the service seals them.
    SealedText.install(FernetIdVault(key, Fernet.generate_key()), "roster")
    persons, statuses, assessments = [], [], []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            town_id = towns[row[0]]
            number = row[2]
            person_id = uuid.uuid4().hex
            persons.append(
                {"id": person_id, "town_id": town_id, "village_id": villages[(town_id, row[3])],
                 "display_name": row[1],
                 "id_hash": hmac.new(key, number.encode(), hashlib.sha256).hexdigest(),
                 "id_cipher": fernet.encrypt(number.encode()).decode(),
                 "id_masked": mask(number),
                 "gender": "MALE" if int(number[16]) % 2 else "FEMALE",
                 "birth_date": dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
                 "address": row[4], "phone": row[5], "version": 1}
            )  # fmt: skip
            statuses.append(
                {"person_id": person_id, "status": "DISPERSED",
                 "effective_date": dt.date(2026, 1, 1), "reason": "imported", "request_id": None}
            )  # fmt: skip
            if row[6]:
                answers = dict(
                    zip(
                        ("eating", "dressing", "transferring", "toileting", "indoor_walking",
                         "bathing"),
                        (a == "是" for a in row[6:12]),
                        strict=True,
                    )
                )  # fmt: skip
                assessments.append(
                    {"id": uuid.uuid4().hex, "person_id": person_id, "assessor": row[12],
                     "assessment_date": dt.date.fromisoformat(row[13]), **answers,
                     "care_level": "PARTIAL"}
                )  # fmt: skip
    sqlite = engine.dialect.name == "sqlite"
    marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    statements = []
    for table, rows in (
        (orm.persons, persons),
        (orm.status_changes, statuses),
        (orm.assessments, assessments),
    ):
        keys = list(rows[0])
        markers = ", ".join([marker] * len(keys))
        sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({markers})"
        values = [
            tuple(v.isoformat() if sqlite and isinstance(v, dt.date) else v for v in r.values())
            for r in rows
        ]
        statements.append((sql, values))
    _reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        cursor = conn.connection.cursor()
        for sql, values in statements:
            cursor.executemany(sql, values)
        cursor.close()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    engine.dispose()
    return {
        "rows_per_s": round(len(persons) / seconds),
        "seconds": round(seconds, 2),
        "rows": len(persons),
        "client_peak_mb": _peak_mb(),
        "client_cpu_s": round(cpu, 2),
    }


def run(quick: bool = False) -> list[Row]:
    count = 15_000 if quick else 150_000
    specs = roster_data.towns(124 if quick else 1240, 2100 if quick else 21000)
    backend = "postgres" if os.environ.get("SGZ_BENCH_DB") == "postgres" else "sqlite"
    rows: list[Row] = []
    try:
        _run(quick, count, specs, backend, rows)
    finally:
        _drop_databases()
    return rows


def _run(
    quick: bool, count: int, specs: list[roster_data.TownSpec], backend: str, rows: list[Row]
) -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        csv_path, xlsx_path = tmp / "roster.csv", tmp / "roster.xlsx"
        roster_data.write_csv(csv_path, roster_data.persons(specs, count))
        roster_data.write_xlsx(xlsx_path, roster_data.persons(specs, count))
        base_case = f"bare executemany ({backend})"
        url = _new_database(tmp, "bare")
        _prepare(url, tmp, specs)
        rows.append(
            Row("roster import", base_case, _bare_executemany(csv_path, url), primary="rows_per_s",
                notes="the same rows, parsed, hashed and encrypted beforehand; "
                "one driver executemany per table (persons, statuses, assessments)")
        )  # fmt: skip
        for kind, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            url = _new_database(tmp, kind)
            _prepare(url, tmp, specs)
            figures = _import(path, url, tmp)
            rows.append(
                Row("roster import", f"{kind} end to end ({backend})", figures,
                    primary="rows_per_s", baseline=base_case,
                    notes="read + validate every row + write; then the same file again")
            )  # fmt: skip
