"""Runs the whole system on one machine under supervisord, and leaves nothing behind.

`run` checks the ports, makes the shared key, writes the supervisord config under
`<data_dir>/run/`, starts supervisord as a child, waits until the gateway's /healthz reports
every service SERVING, then watches (supervisor restarts a program that dies) until SIGINT or
SIGTERM, when it stops supervisord, which stops the programs, and kills any that outlived it.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import FrameType

import httpx
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from deploy import demo as demo_city
from deploy import health, preflight
from deploy.control import ProgramState, Supervisor, SupervisorUnreachable
from deploy.supervisor_conf import MODULES, STOP_MARGIN_S, Layout, child_environment, render
from sgz_runtime.config import SERVICES, Settings

#: Seconds the stack gets to report every service SERVING.
DEFAULT_TIMEOUT_S = 60.0
#: Lines of a program's log shown when it does not come up.
LOG_TAIL_LINES = 25
_POLL_S = 0.25
_PR_SET_PDEATHSIG = 1


class Outcome(enum.Enum):
    HEALTHY = "healthy"
    TIMED_OUT = "timed out"
    STOPPED = "stopped"
    SUPERVISOR_EXITED = "supervisord exited"


def _die_with_parent() -> None:
    """In the supervisord child: receive SIGTERM if `sgz up` itself dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _runs_one_of_ours(pid: int) -> bool:
    """Guards the final sweep against a pid reused by an unrelated process."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return sys.platform != "linux"
    modules = {m.encode() for m in MODULES.values()}
    return any(a == b"-m" and b in modules for a, b in itertools.pairwise(argv))


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


class Stack:
    """One supervisord and its programs, as seen from the process that started it."""

    def __init__(self, settings: Settings, layout: Layout, console: Console):
        self.settings = settings
        self.layout = layout
        self.console = console
        self.url = health.gateway_url(settings.host, settings.gateway_port)
        self.supervisor = Supervisor(layout.socket)
        self.programs: dict[str, ProgramState] = {}
        self.health: health.Health | None = None
        self.gateway_error = "not started yet"
        self._process: subprocess.Popen[bytes] | None = None
        self._pids: dict[str, int] = {}
        self._pids_of: dict[str, set[int]] = {}
        self._reported_fatal: set[str] = set()

    # -- starting ---------------------------------------------------------------------------

    def start(self, base_env: Mapping[str, str]) -> None:
        for folder in (self.layout.data_dir, self.layout.run_dir, self.layout.logs_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)  # personal data lives here (docs/privacy.md)
        self.layout.conf.write_text(render(self.settings, self.layout))
        env = {**base_env, **child_environment(self.settings, self.layout)}
        out_path = self.layout.logs_dir / "supervisord.out"
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        with os.fdopen(os.open(out_path, flags, 0o600), "ab") as out:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(self.layout.conf)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C in the terminal reaches only `sgz up`, which then
                # stops supervisord in order instead of every program at once.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def supervisord_exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def refresh(self) -> dict[str, ProgramState]:
        """Asks supervisord for its programs, remembering every pid it ever ran."""
        try:
            self.programs = self.supervisor.programs()
        except SupervisorUnreachable:
            return self.programs
        for name, state in self.programs.items():
            if state.pid:
                self._pids_of.setdefault(name, set()).add(state.pid)
        return self.programs

    def _seen_pids(self) -> set[int]:
        return {pid for pids in self._pids_of.values() for pid in pids}

    def exits(self, program: str) -> int:
        """How often the program has exited (and been restarted) since the stack started."""
        return max(0, len(self._pids_of.get(program, ())) - 1)

    def check_health(self, client: httpx.Client) -> None:
        try:
            self.health = health.fetch(self.url, timeout_s=1.0, client=client)
            self.gateway_error = ""
        except health.GatewayUnreachable as exc:
            self.health = None
            self.gateway_error = str(exc)

    def wait_healthy(self, timeout_s: float, stopping: threading.Event) -> Outcome:
        """Polls supervisord and /healthz, drawing a table, until every service serves."""
        deadline = time.monotonic() + timeout_s
        with httpx.Client() as client, Live(console=self.console, transient=False) as live:
            outcome = self._poll_until_healthy(client, live, deadline, stopping)
        if not self.console.is_terminal:
            self.console.line()  # Live leaves its last table unterminated off a terminal
        return outcome

    def _poll_until_healthy(
        self, client: httpx.Client, live: Live, deadline: float, stopping: threading.Event
    ) -> Outcome:
        while True:
            if stopping.is_set():
                return Outcome.STOPPED
            if self.supervisord_exited():
                return Outcome.SUPERVISOR_EXITED
            self.refresh()
            self.check_health(client)
            if self.health is not None and self.health.serving:
                live.update(self._progress("sgz: every service is serving"))
                return Outcome.HEALTHY
            live.update(self._progress(f"Starting sgz ({deadline - time.monotonic():.0f} s left)"))
            if time.monotonic() >= deadline:
                return Outcome.TIMED_OUT
            stopping.wait(_POLL_S)

    def _health_of(self, program: str) -> tuple[bool, str]:
        if program == "gateway":
            if self.health is None:
                return False, "not answering yet"
            return True, "answering"
        found = None if self.health is None else self.health.of(program)
        if found is None:
            return False, "unknown"
        return found.serving, found.status

    def _progress(self, title: str) -> Table:
        table = Table(title=title)
        table.add_column("program")
        table.add_column("process")
        table.add_column("health")
        for program in MODULES:
            state = self.programs.get(program)
            process = "-" if state is None else f"{state.state} {state.description}"
            ok, said = self._health_of(program)
            table.add_row(program, process, Text(said, style="green" if ok else "yellow"))
        return table

    def report_unhealthy(self, outcome: Outcome, timeout_s: float) -> None:
        if outcome is Outcome.SUPERVISOR_EXITED:
            self.console.print("[red]supervisord exited while sgz was starting.[/]")
            self._show_log("supervisord", self.layout.logs_dir / "supervisord.out")
            self._show_log("supervisord", self.layout.supervisord_log)
            return
        self.console.print(f"[red]sgz is not healthy after {timeout_s:.0f} s.[/]")
        for program in MODULES:
            ok, said = self._health_of(program)
            if ok:
                continue
            state = self.programs.get(program)
            process = "unknown" if state is None else state.state
            exits = self.exits(program)
            if exits:
                process += f", exited {exits} time{'s' if exits > 1 else ''}"
            elif self.health is None and program != "gateway" and process == "RUNNING":
                # Without the gateway nothing is known of its health; its log is not the news.
                self.console.print(
                    f"{program} is running; its health is unknown without the gateway"
                )
                continue
            detail = self.gateway_error if program == "gateway" else self._service_error(program)
            self.console.print(
                f"[bold]{program}[/] is not serving (health: {said}; process: {process})"
                + (f": {detail}" if detail else "")
            )
            self._show_log(program, self.layout.log_of(program))

    def _service_error(self, service: str) -> str:
        found = None if self.health is None else self.health.of(service)
        return "" if found is None else found.error

    def _show_log(self, program: str, path: Path) -> None:
        self.console.print(f"The end of {program}'s log, {path}:", soft_wrap=True)
        self.console.print(Panel(Text(tail(path)), title=program, expand=False))

    # -- running ----------------------------------------------------------------------------

    def watch(self, stopping: threading.Event) -> bool:
        """Reports restarts until stopping is set (True) or supervisord exits (False)."""
        self.refresh()
        self._pids = {name: p.pid for name, p in self.programs.items() if p.pid}
        while not stopping.wait(1.0):
            if self.supervisord_exited():
                self.console.print("[red]supervisord exited unexpectedly.[/]")
                self._show_log("supervisord", self.layout.supervisord_log)
                return False
            for name, state in self.refresh().items():
                self._report_change(name, state)
        return True

    def _report_change(self, name: str, state: ProgramState) -> None:
        now = datetime.now().strftime("%H:%M:%S")
        old = self._pids.get(name)
        if state.pid and old and state.pid != old:
            self.console.print(f"{now} {name} exited and was restarted (pid {old} -> {state.pid})")
        if state.pid:
            self._pids[name] = state.pid
        if state.state == "FATAL" and name not in self._reported_fatal:
            self._reported_fatal.add(name)
            self.console.print(
                f"[red]{now} {name} keeps exiting; supervisor gave up on it.[/] "
                f"See {self.layout.log_of(name)}"
            )
        elif state.state == "RUNNING":
            self._reported_fatal.discard(name)

    # -- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Stops supervisord (which stops its programs in order), then kills any survivor."""
        process = self._process
        if process is None:
            return
        self.refresh()
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            # supervisord stops one group at a time (the gateway, then the services), each
            # within its stopwaitsecs.
            limit = 2 * (self.settings.grace_s + STOP_MARGIN_S) + 5
            try:
                process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._sweep()

    def _sweep(self) -> None:
        survivors = [p for p in self._seen_pids() if _alive(p) and _runs_one_of_ours(p)]
        for pid in survivors:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(_alive(p) and _runs_one_of_ours(p) for p in survivors):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if survivors:
            self.console.print(f"[yellow]killed {len(survivors)} program(s) left running.[/]")


def run(
    settings: Settings,
    console: Console | None = None,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    base_env: Mapping[str, str] | None = None,
    demo: bool = False,
) -> int:
    """Runs the stack until SIGINT or SIGTERM; 0 after a clean stop, 1 when it cannot run.
    demo: on a new data directory, load the demo city and print its accounts (deploy/demo.py)."""
    console = console or Console()
    settings = settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
    layout = Layout.of(settings)
    try:
        preflight.check(settings, layout)
    except preflight.PreflightError as exc:
        console.print(f"[red]cannot start sgz:[/] {exc}")
        return 1
    settings.secret()  # made once here, so every program reads the same key file
    load_demo = demo_city.decide(settings, wanted=demo)

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = Stack(settings, layout, console)
    started = time.monotonic()
    try:
        console.print(f"Starting sgz from {layout.data_dir} (logs in {layout.logs_dir})")
        stack.start(os.environ if base_env is None else base_env)
        outcome = stack.wait_healthy(timeout_s, stopping)
        if outcome is Outcome.STOPPED:
            return 0
        if outcome is not Outcome.HEALTHY:
            stack.report_unhealthy(outcome, timeout_s)
            return 1
        console.print(
            Group(
                f"[green]sgz is up[/] in {time.monotonic() - started:.1f} s: [bold]{stack.url}[/]",
                f"services: {', '.join(f'{s}={settings.address_of(s)}' for s in SERVICES)}",
                "Ctrl-C stops it.",
            ),
            soft_wrap=True,
        )
        if load_demo:
            demo_city.load_and_print(settings, stack.url, console)
        return 0 if stack.watch(stopping) else 1
    finally:
        console.print("Stopping sgz ...")
        stack.stop()
        console.print("sgz stopped.")
        for sig, handler in previous.items():
            signal.signal(sig, handler)
