"""The import of a town's roster file (item 8 of issue 3): all or nothing, in one pass.

Every batch is sent to ImportPersons with one import id: the roster checks each row and
stages the valid ones. A repeated ID number across batches is caught here and by the server.
Only when no row of the whole file is bad (or `valid_only` is asked) does CommitPersonImport
apply everything staged, in one transaction; otherwise the staged rows are discarded. So a
file with errors imports nothing, and a file is never half-imported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sgz.roster.v1 import roster_pb2 as pb

from sgz_cli.roster_files import HEADER_OF
from sgz_runtime.i18n import tr
from sgz_runtime.proto_values import date_to_pb

#: Rows per call: big enough to amortise a call, well under the server's 5000 and gRPC's 4 MB.
BATCH = 2000

Send = Callable[[pb.ImportPersonsRequest], pb.ImportPersonsResponse]
Commit = Callable[[pb.CommitPersonImportRequest], pb.CommitPersonImportResponse]


@dataclass(frozen=True)
class Finding:
    """One problem with one row, for the report: the file's row, its column and why."""

    row_number: int
    column: str
    reason: str
    rule: str


@dataclass
class ImportReport:
    rows: int = 0
    valid_rows: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    written: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def bad_rows(self) -> int:
        return len({f.row_number for f in self.errors})


def _finding(problem: pb.ImportRowProblem) -> Finding:
    return Finding(
        problem.row_number,
        HEADER_OF.get(problem.field, problem.field),
        problem.reason,
        problem.rule,
    )


def run_import(
    rows: Iterable[pb.PersonImportRow],
    town: str,
    send: Send,
    commit: Commit,
    *,
    valid_only: bool = False,
    assessor: str = "",
    assessed_on: dt.date | None = None,
    start_date: dt.date | None = None,
    batch_size: int = BATCH,
    in_flight: int = 2,
    on_rows: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    """Checks and stages the whole file batch by batch, then applies it in one transaction
    unless a row is bad (or valid_only). `in_flight` batches are sent at once, so reading the
    file and the server's work overlap."""
    report = ImportReport()
    import_id = secrets.token_hex(16)
    template = pb.ImportPersonsRequest(
        parent=town,
        valid_only=valid_only,
        assessor=assessor,
        assessed_date=date_to_pb(assessed_on),
        start_date=date_to_pb(start_date),
        import_id=import_id,
    )
    seen: dict[str, int] = {}
    batch: list[pb.PersonImportRow] = []
    pending: deque[tuple[Future[pb.ImportPersonsResponse], int]] = deque()

    def checked(future: Future[pb.ImportPersonsResponse], size: int) -> None:
        response = future.result()
        report.valid_rows += response.valid_rows
        report.errors += [_finding(p) for p in response.errors]
        report.warnings += [_finding(p) for p in response.warnings]
        on_rows(size)

    staged = False
    try:
        with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="import") as pool:

            def flush() -> None:
                if not batch:
                    return
                request = pb.ImportPersonsRequest()
                request.CopyFrom(template)
                request.rows.extend(batch)
                pending.append((pool.submit(send, request), len(batch)))
                batch.clear()
                while len(pending) >= in_flight:
                    checked(*pending.popleft())

            for row in rows:
                report.rows += 1
                # One ID, one person (R2) across the whole file: a later repeat is an error of
                # its own row and is never sent. (The server checks across batches too.)
                key = row.id_number.strip().upper()
                if key:
                    first = seen.setdefault(key, row.row_number)
                    if first != row.row_number:
                        report.errors.append(
                            Finding(
                                row.row_number,
                                HEADER_OF["id_number"],
                                tr(
                                    "is the same ID number as row {row} (one ID, one person)",
                                    row=first,
                                ).render(),
                                "R2",
                            )
                        )
                        on_rows(1)
                        continue
                batch.append(row)
                staged = True
                if len(batch) >= batch_size:
                    flush()
            flush()
            while pending:
                checked(*pending.popleft())
    except BaseException:
        if staged:
            _discard(commit, town, import_id)
        raise
    report.errors.sort(key=lambda f: f.row_number)
    if report.errors and not valid_only:
        if staged:
            _discard(commit, town, import_id)
        return report
    if report.valid_rows:
        done = commit(pb.CommitPersonImportRequest(parent=town, import_id=import_id))
        report.created, report.updated, report.unchanged = (
            done.created,
            done.updated,
            done.unchanged,
        )
    report.written = True
    return report


def _discard(commit: Commit, town: str, import_id: str) -> None:
    """Forgets what was staged; the server forgets it anyway after a day."""
    with contextlib.suppress(Exception):
        commit(pb.CommitPersonImportRequest(parent=town, import_id=import_id, discard=True))
