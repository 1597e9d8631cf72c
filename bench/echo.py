"""The baseline: a bare gRPC unary echo round trip, against the sync and the grpc.aio server.

This is the figure every service benchmark is compared with, and the measurement that chose
the server model of sgz_runtime.server (the sync server on a thread pool).
"""

from __future__ import annotations

import asyncio
import tempfile
from concurrent import futures
from typing import Any

import grpc

from bench.harness import Row, drive, in_process

METHOD = "/sgz.bench.Echo/Echo"
PAYLOAD = b"x" * 64


def _identity(data: bytes) -> bytes:
    return data


def _echo(request: bytes, context: Any) -> bytes:
    return request


async def _echo_async(request: bytes, context: Any) -> bytes:
    return request


def _handler(behaviour: Any) -> Any:
    return grpc.method_handlers_generic_handler(
        "sgz.bench.Echo",
        {"Echo": grpc.unary_unary_rpc_method_handler(behaviour, _identity, _identity)},
    )


def _sqlite_writer(path: str) -> Any:
    """A handler that does what a service call does: a short durable write to SQLite."""
    import sqlite3
    import threading

    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            local.db.execute("PRAGMA journal_mode=WAL")
            local.db.execute("PRAGMA synchronous=NORMAL")
            local.db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)")
        db: sqlite3.Connection = local.db
        return db

    def write(request: bytes, context: Any) -> bytes:
        connection().execute("INSERT INTO t (body) VALUES (?)", (request,))
        return request

    return write


def serve_sync(queue: Any, db_path: str = "", threads: int = 16) -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads))
    server.add_generic_rpc_handlers((_handler(_sqlite_writer(db_path) if db_path else _echo),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    queue.put(port)
    server.wait_for_termination()


def serve_aio(queue: Any, db_path: str = "") -> None:
    async def main() -> None:
        # A sync handler (the DB write) runs on the migration thread pool, as sgz's would.
        server = grpc.aio.server(migration_thread_pool=futures.ThreadPoolExecutor(max_workers=16))
        behaviour = _sqlite_writer(db_path) if db_path else _echo_async
        server.add_generic_rpc_handlers((_handler(behaviour),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        queue.put(port)
        await server.wait_for_termination()

    asyncio.run(main())


async def echo_load(port: int, calls: int, in_flight: int = 16) -> dict[str, float]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(METHOD, _identity, _identity)

        async def one(_i: int) -> None:
            await call(PAYLOAD, timeout=10)

        result = await drive(one, calls=calls, in_flight=in_flight)
    return result.figures()


def run(quick: bool = False) -> list[Row]:
    calls = 3000 if quick else 20000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("echo", "grpc sync server (chosen)", serve_sync, ""),
            ("echo", "grpc.aio server", serve_aio, ""),
            ("echo+sqlite write", "grpc sync server (chosen)", serve_sync, f"{tmp}/sync.db"),
            ("echo+sqlite write", "grpc.aio server, sync handler", serve_aio, f"{tmp}/aio.db"),
        ]
        for benchmark, case, target, db_path in cases:
            process, port = in_process(target, db_path)
            try:
                figures = asyncio.run(echo_load(port, calls))
            finally:
                process.kill()
                process.join()
            baseline = None if not rows else rows[0].case
            rows.append(Row(benchmark, case, figures, primary="per_s", baseline=baseline))
    rows[0].notes = "the baseline of every service benchmark; 16 in flight, 64-byte payload"
    for row in rows[2:]:
        row.baseline = None if row is rows[2] else rows[2].case
    return rows
