"""Checks made before a stack starts: its ports are free and distinct, no stack runs there."""

from __future__ import annotations

import errno
import socket
import sys
from pathlib import Path

from deploy.control import Supervisor
from deploy.supervisor_conf import Layout, unsafe_paths
from sgz_runtime.config import SERVICES, Settings


class PreflightError(Exception):
    """The stack cannot start; the message says why and what to change."""


def ports(settings: Settings) -> dict[str, int]:
    """Each program's port, services first."""
    return {**{s: settings.port_of(s) for s in SERVICES}, "gateway": settings.gateway_port}


def _option(program: str) -> str:
    return f"SGZ_{program.upper()}_PORT or `sgz up --{program}-port`"


def check_ports(settings: Settings) -> None:
    seen: dict[int, str] = {}
    for program, port in ports(settings).items():
        if port in seen:
            raise PreflightError(
                f"{program} and {seen[port]} are both set to port {port}; set {_option(program)}"
            )
        seen[port] = program
    for program, port in ports(settings).items():
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((settings.host, port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PreflightError(
                        f"port {port} on {settings.host} ({program}) is already in use: stop "
                        f"what listens there, or choose another port with {_option(program)}"
                    ) from exc
                raise PreflightError(
                    f"cannot listen on {settings.host}:{port} ({program}): {exc.strerror}"
                ) from exc


def check_not_running(layout: Layout) -> None:
    if layout.socket.exists() and Supervisor(layout.socket).answers():
        raise PreflightError(
            f"a stack is already running from {layout.data_dir}; stop it first "
            "(Ctrl-C in its terminal), or use another SGZ_DATA_DIR"
        )


def check_paths(layout: Layout) -> None:
    if unsafe := unsafe_paths(layout, sys.executable, Path.cwd()):
        raise PreflightError(
            f"supervisor cannot use a path with '%' in it ({', '.join(unsafe)}): "
            "choose another SGZ_DATA_DIR or run from another directory"
        )


def check(settings: Settings, layout: Layout) -> None:
    check_paths(layout)
    check_not_running(layout)
    check_ports(settings)
