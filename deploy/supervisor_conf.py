"""The supervisord configuration of a local stack: where its files live and what it runs.

Pure: builds text from settings; writing and running it is deploy.stack's job.
"""

from __future__ import annotations

import hashlib
import shlex
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sgz_runtime.config import SERVICES, Settings

#: The programs of a stack: each service's name and module, then the gateway.
MODULES: dict[str, str] = {
    **{service: f"{service}_svc" for service in SERVICES},
    "gateway": "gateway",
}

#: The supervisor group of the five services: supervisorctl names them `services:roster`.
SERVICES_GROUP = "services"

#: Seconds supervisor waits past the servers' grace before it kills a program.
STOP_MARGIN_S = 5

#: A unix socket path must fit in sockaddr_un (108 bytes with its NUL).
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True)
class Layout:
    """Where a stack keeps its files under the data directory."""

    data_dir: Path

    @classmethod
    def of(cls, settings: Settings) -> Layout:
        return cls(settings.data_dir.resolve())

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def conf(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def pidfile(self) -> Path:
        return self.run_dir / "supervisord.pid"

    @property
    def supervisord_log(self) -> Path:
        return self.logs_dir / "supervisord.log"

    @property
    def socket(self) -> Path:
        path = self.run_dir / "supervisor.sock"
        if len(str(path)) <= _MAX_SOCKET_PATH:
            return path
        # A deep data dir cannot hold the socket; a name derived from it keeps one per stack.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"sgz-{digest}.sock"

    def log_of(self, program: str) -> Path:
        return self.logs_dir / f"{program}.log"


def child_environment(settings: Settings, layout: Layout) -> dict[str, str]:
    """The settings every program must agree on, resolved so each reads the same values."""
    env = {
        "SGZ_DATA_DIR": str(layout.data_dir),
        "SGZ_HOST": settings.host,
        "SGZ_GATEWAY_PORT": str(settings.gateway_port),
        "PYTHONUNBUFFERED": "1",
    }
    for service in SERVICES:
        env[f"SGZ_{service.upper()}_PORT"] = str(settings.port_of(service))
    return env


def unsafe_paths(layout: Layout, python: str, directory: Path) -> list[str]:
    """Paths supervisor cannot take: it reads '%' as a format in its values."""
    return [p for p in (str(layout.data_dir), python, str(directory)) if "%" in p]


def _environment_line(env: Mapping[str, str]) -> str:
    pairs = []
    for key, value in env.items():
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        pairs.append(f'{key}="{quoted}"')
    return ",".join(pairs)


def render(
    settings: Settings,
    layout: Layout,
    *,
    python: str = sys.executable,
    directory: Path | None = None,
) -> str:
    """The supervisord.conf of a stack: five services, then the gateway, restarted on exit."""
    workdir = directory or Path.cwd()
    if unsafe := unsafe_paths(layout, python, workdir):
        raise ValueError(f"supervisor cannot use a path with '%' in it: {unsafe}")
    stopwait = int(settings.grace_s) + STOP_MARGIN_S
    env = _environment_line(child_environment(settings, layout))
    lines = [
        "; Written by `sgz up` on every start; edits are lost.",
        "[unix_http_server]",
        f"file={layout.socket}",
        "chmod=0700",
        "",
        "[supervisord]",
        # Personal data at rest (docs/privacy.md): every file supervisord and the services
        # create (databases, logs, keys) is 0600, every folder 0700.
        "umask=077",
        f"logfile={layout.supervisord_log}",
        "logfile_maxbytes=10MB",
        "logfile_backups=3",
        f"pidfile={layout.pidfile}",
        f"childlogdir={layout.logs_dir}",
        "nodaemon=true",
        "identifier=sgz",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{layout.socket}",
    ]
    # One group for the services, started together and stopped together; the gateway after
    # them, so supervisor starts it last and, on shutdown, stops it first.
    lines += ["", f"[group:{SERVICES_GROUP}]", f"programs={','.join(SERVICES)}", "priority=100"]
    for program, module in MODULES.items():
        priority = 200 if program == "gateway" else 100
        lines += [
            "",
            f"[program:{program}]",
            f"command={shlex.join([python, '-m', module])}",
            f"directory={workdir}",
            f"priority={priority}",
            "autostart=true",
            "autorestart=true",
            "startsecs=1",
            "startretries=5",
            "stopsignal=TERM",
            f"stopwaitsecs={stopwait}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={layout.log_of(program)}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=3",
            f"environment={env}",
        ]
    return "\n".join(lines) + "\n"
