"""SIGTERM to a service process: the call in flight finishes, new calls are refused, exit 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import CITY, SECRET

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sigterm_lets_the_call_in_flight_finish_then_exits(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "SGZ_FINANCE_PORT": str(port),
        "SGZ_INTERNAL_SECRET": SECRET,
        "SGZ_DATA_DIR": str(tmp_path),
        "SGZ_GRACE_S": "5",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.slow_service"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        health = health_pb2_grpc.HealthStub(channel)
        assert health.Check(health_pb2.HealthCheckRequest()).status == 1  # SERVING
        slow = channel.unary_unary("/sgz.test.Slow/Slow", lambda b: b, lambda b: b)
        outcome: dict[str, object] = {}

        def call() -> None:
            try:
                outcome["reply"] = slow(b"x", metadata=tuple(CITY), timeout=20)
            except grpc.RpcError as exc:
                outcome["error"] = exc.code()

        thread = threading.Thread(target=call)
        thread.start()
        deadline = time.monotonic() + 20
        while not (tmp_path / "entered").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (tmp_path / "entered").exists()
        process.send_signal(signal.SIGTERM)
        thread.join(20)
        assert outcome == {"reply": b"finished"}
        assert process.wait(timeout=20) == 0
        with channel:
            try:
                slow(b"x", metadata=tuple(CITY), timeout=2)
                refused = None
            except grpc.RpcError as exc:
                refused = exc.code()
        assert refused in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    finally:
        if process.poll() is None:
            process.kill()
        _, stderr = process.communicate(timeout=10)
    assert '"message": "stopped"' in stderr
