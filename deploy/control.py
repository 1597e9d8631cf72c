"""Asks a running supervisord, over its unix socket, what its programs are doing."""

from __future__ import annotations

import socket
import xmlrpc.client
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

#: Seconds a stop or start may take: supervisor answers once the program has stopped (within
#: its stopwaitsecs) or has stayed up for startsecs.
_WAIT_S = 60.0


@dataclass(frozen=True)
class ProgramState:
    """One program as supervisor sees it: RUNNING, STARTING, BACKOFF, EXITED, FATAL, ..."""

    name: str
    group: str
    state: str
    pid: int
    description: str


class SupervisorUnreachable(Exception):
    """supervisord is not (or no longer) answering on its socket, or refused the call."""


class Supervisor:
    """A client of one supervisord; every call opens its own connection."""

    def __init__(self, socket_path: Path, timeout_s: float = 2.0):
        self._socket_path = socket_path
        self._timeout_s = timeout_s

    def _proxy(self) -> Any:
        transport = SupervisorTransport(None, None, f"unix://{self._socket_path}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def _call(self, method: str, *args: object, timeout_s: float | None = None) -> Any:
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(timeout_s or self._timeout_s)
        try:
            return getattr(self._proxy().supervisor, method)(*args)
        except (OSError, xmlrpc.client.Error) as exc:
            raise SupervisorUnreachable(f"{method}: {exc}") from exc
        finally:
            socket.setdefaulttimeout(previous)

    def programs(self) -> dict[str, ProgramState]:
        infos: list[dict[str, Any]] = self._call("getAllProcessInfo")
        return {
            info["name"]: ProgramState(
                info["name"],
                info["group"],
                info["statename"],
                int(info["pid"]),
                info["description"],
            )
            for info in infos
        }

    def stop_program(self, name: str) -> None:
        """Stops a program until start_program; supervisor does not restart it meanwhile."""
        self._call("stopProcess", self._qualified(name), True, timeout_s=_WAIT_S)

    def start_program(self, name: str) -> None:
        self._call("startProcess", self._qualified(name), True, timeout_s=_WAIT_S)

    def _qualified(self, name: str) -> str:
        found = self.programs().get(name)
        if found is None or found.group == name:
            return name
        return f"{found.group}:{name}"

    def answers(self) -> bool:
        try:
            self.programs()
        except SupervisorUnreachable:
            return False
        return True
