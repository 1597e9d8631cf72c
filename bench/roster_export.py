"""Exporting a province's roster (150,000 persons, 1,240 towns) as `sgz roster export` does:
one ExportPersons export, pages of 5000, each person with their village's name, latest
assessment and full ID number, audited once; written to xlsx. Side by side, in the same run
and database: the floor (one bare SELECT of the same rows, each ID number decrypted), the same
export over gRPC without the gateway, and the old way (a reveal and an assessment list per
person) measured on 1,000 persons.

Figures: persons/s and seconds; the target is the whole roster in under 30 s.
`SGZ_BENCH_DB=postgres` runs it on PostgreSQL (127.0.0.1:5432) instead of SQLite.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import grpc

from bench import roster_data
from bench.harness import Row, in_process
from bench.roster_import import (
    SECRET,
    _cpu_s,
    _drop_databases,
    _new_database,
    _prepare,
    _settings,
    serve_roster,
)

PURPOSE = "基准测试：全省花名册导出"
OLD_WAY_SAMPLE = 1000


def serve_gateway(queue: Any, roster_port: int, tmp: str) -> None:
    """The gateway in its own process in front of the roster; puts its port. Development
    authentication: a call without a token acts as a city-wide caller."""
    import uvicorn

    from gateway.app import create_app

    settings = _settings(Path(tmp)).model_copy(
        update={"roster_port": roster_port, "gateway_dev_auth": True}
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    queue.put((server.servers[0].sockets[0].getsockname()[1], os.getpid()))
    thread.join()


def _metadata() -> tuple[tuple[str, str], ...]:
    from sgz_runtime.identity import CALLER_METADATA_KEY, Caller, Role, ScopeLevel, sign

    caller = Caller("users/bench", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY)
    return ((CALLER_METADATA_KEY, sign(caller, SECRET.encode(), ttl_s=600)),)


def _grpc_sender(channel: grpc.Channel) -> Any:
    """ImportPersons and CommitPersonImport as the bench's city-wide caller (the setup)."""
    from sgz.roster.v1 import roster_pb2_grpc

    stub = roster_pb2_grpc.RosterServiceStub(channel)

    def send(request: Any) -> Any:
        return stub.ImportPersons(request, metadata=_metadata(), timeout=600)

    def commit(request: Any) -> Any:
        return stub.CommitPersonImport(request, metadata=_metadata(), timeout=600)

    return send, commit


def _bare_select(url: str, tmp: Path) -> dict[str, float]:
    """The floor: every person with their village's name in one SELECT, each ID decrypted."""
    from sqlalchemy import and_, select

    from roster_svc.adapters import orm
    from roster_svc.person_settings import PersonSettings
    from sgz_runtime.db import make_engine
    from sgz_runtime.pii.vault import FernetIdVault, SealedText

    own = PersonSettings()
    vault = FernetIdVault(own.hmac_key(tmp), own.encryption_key(tmp))
    SealedText.install(vault)  # addresses and phones are opened one by one, as a query does
    engine = make_engine(url)
    p, v = orm.persons.c, orm.villages.c
    query = select(p.id, p.display_name, p.id_cipher, p.address, p.phone, v.display_name).join(
        orm.villages, and_(v.town_id == p.town_id, v.id == p.village_id)
    )
    started = time.perf_counter()
    cpu = time.process_time()
    with engine.connect() as conn:
        rows = [(r[0], r[1], vault.reveal(r[2]), r[3], r[4], r[5]) for r in conn.execute(query)]
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    engine.dispose()
    return {"persons_per_s": round(len(rows) / seconds), "seconds": round(seconds, 2),
            "persons": len(rows), "cpu_s": round(cpu, 2)}  # fmt: skip


def _grpc_export(channel: grpc.Channel, server_pid: int) -> dict[str, float]:
    from sgz.roster.v1 import roster_pb2, roster_pb2_grpc

    stub = roster_pb2_grpc.RosterServiceStub(channel)
    request = roster_pb2.ExportPersonsRequest(
        parent="towns/-", purpose=PURPOSE, reveal_id_numbers=True, page_size=5000, as_table=True
    )
    cpu = _cpu_s(server_pid)
    started = time.perf_counter()
    persons = 0
    while True:
        page = stub.ExportPersons(request, metadata=_metadata(), timeout=600)
        persons += page.table_rows
        if not page.next_page_token:
            break
        request.page_token = page.next_page_token
    seconds = time.perf_counter() - started
    return {"persons_per_s": round(persons / seconds), "seconds": round(seconds, 2),
            "persons": persons, "server_cpu_s": round(_cpu_s(server_pid) - cpu, 2)}  # fmt: skip


def _cli_export(
    gateway_port: int, tmp: Path, pids: dict[str, int], suffix: str = ".xlsx"
) -> dict[str, float]:
    import httpx

    from sgz_cli.roster import export_roster

    out = tmp / f"province{suffix}"
    before = {k: _cpu_s(pid) for k, pid in pids.items()}
    client_cpu = time.process_time()
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{gateway_port}", timeout=600) as client:
        persons, revealed = export_roster(client, "towns/-", out, PURPOSE)
    seconds = time.perf_counter() - started
    assert revealed, "the bench caller may read ID numbers"
    figures = {"persons_per_s": round(persons / seconds), "seconds": round(seconds, 2),
               "persons": persons, "file_mb": round(out.stat().st_size / 1e6, 1),
               "client_cpu_s": round(time.process_time() - client_cpu, 2)}  # fmt: skip
    # Load on a shared machine stretches wall time; CPU time says what each part costs.
    figures.update({f"{k}_cpu_s": round(_cpu_s(pid) - before[k], 2) for k, pid in pids.items()})
    return figures


def _old_way(gateway_port: int, sample: int) -> dict[str, float]:
    """What sgz roster export did before: per person, a reveal and an assessment list."""
    import httpx

    with httpx.Client(base_url=f"http://127.0.0.1:{gateway_port}", timeout=600) as client:
        first = client.post(
            "/v1/towns/-/persons:export",
            json={"purpose": PURPOSE, "revealIdNumbers": False, "pageSize": sample},
        ).json()
        names = [p["person"]["name"] for p in first["persons"]]
        started = time.perf_counter()
        for name in names:
            client.post(f"/v1/{name}:revealIdNumber", json={"purpose": PURPOSE}).raise_for_status()
            client.get(f"/v1/{name}/assessments").raise_for_status()
        seconds = time.perf_counter() - started
    return {"persons_per_s": round(len(names) / seconds), "seconds": round(seconds, 2),
            "persons": len(names)}  # fmt: skip


def run(quick: bool = False) -> list[Row]:
    count = 15_000 if quick else 150_000
    specs = roster_data.towns(124 if quick else 1240, 2100 if quick else 21000)
    backend = "postgres" if os.environ.get("SGZ_BENCH_DB") == "postgres" else "sqlite"
    rows: list[Row] = []
    try:
        _run(count, specs, backend, rows)
    finally:
        _drop_databases()
    return rows


def _run(count: int, specs: list[roster_data.TownSpec], backend: str, rows: list[Row]) -> None:
    from sgz_cli.roster_files import read_rows
    from sgz_cli.roster_import import run_import

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        csv_path = tmp / "roster.csv"
        roster_data.write_csv(csv_path, roster_data.persons(specs, count))
        url = _new_database(tmp, "export")
        _prepare(url, tmp, specs)
        roster, (port, roster_pid) = in_process(serve_roster, url, str(tmp))
        gateway = None
        try:
            channel = grpc.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 256 << 20)]
            )
            send, commit = _grpc_sender(channel)
            _found, found = read_rows(csv_path)
            report = run_import(found, "towns/-", send, commit)  # setup, not timed
            if not report.written:
                raise RuntimeError(f"the generated roster did not import: {report.errors[:1]}")
            gateway, (gateway_port, gateway_pid) = in_process(serve_gateway, port, str(tmp))
            floor = f"bare SELECT + decrypt ({backend})"
            rows.append(Row("roster export", floor, _bare_select(url, tmp),
                            primary="persons_per_s",
                            notes="one query of persons and village names; ID, address, "
                            "phone decrypted one by one; no assessments or file"))  # fmt: skip
            over_grpc = _grpc_export(channel, roster_pid)
            rows.append(Row("roster export", f"ExportPersons over gRPC ({backend})", over_grpc,
                            primary="persons_per_s", baseline=floor,
                            notes="towns/-, pages of 5000 as CSV tables, full IDs"))  # fmt: skip
            rows.append(Row("roster export", f"sgz roster export via gateway ({backend})",
                            _cli_export(gateway_port, tmp,
                                        {"roster": roster_pid, "gateway": gateway_pid}),
                            primary="persons_per_s",
                            baseline=floor,
                            notes="the CLI's export_roster: HTTP/JSON pages, xlsx written; "
                            "target: the whole roster under 30 s"))  # fmt: skip
            rows.append(Row("roster export", f"sgz roster export -o x.csv ({backend})",
                            _cli_export(gateway_port, tmp,
                                        {"roster": roster_pid, "gateway": gateway_pid}, ".csv"),
                            primary="persons_per_s", baseline=floor,
                            notes="the same export as CSV: the pages as they come"))  # fmt: skip
            rows.append(Row("roster export", f"old way, {OLD_WAY_SAMPLE} persons ({backend})",
                            _old_way(gateway_port, OLD_WAY_SAMPLE), primary="persons_per_s",
                            baseline=floor,
                            notes="a reveal and an assessment list each (before)"))  # fmt: skip
            channel.close()
        finally:
            if gateway is not None:
                gateway.kill()
                gateway.join()
            roster.kill()
            roster.join()
