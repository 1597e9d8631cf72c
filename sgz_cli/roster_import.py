"""The import of a town's roster file, in two passes over batches of rows (item 8 of issue 3).

Pass 1 sends every batch with validate_only and collects every problem; a repeated ID number
across batches is caught here. Only when the whole file is clean (or `valid_only` is asked)
does pass 2 send the batches again to be written, each in one transaction on the server.
So a file with errors imports nothing. The batches are kept serialised between the passes
(about 150 bytes a row), so the file is read once.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from google.type import date_pb2
from sgz.roster.v1 import roster_pb2 as pb

from sgz_cli.roster_files import HEADER_OF

#: Rows per call: big enough to amortise a call, well under the server's 5000 and gRPC's 4 MB.
BATCH = 2000

Send = Callable[[pb.ImportPersonsRequest], pb.ImportPersonsResponse]


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
    #: The write pass stopped at a batch the roster refused after validation had passed.
    interrupted: bool = False
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


def _date(value: dt.date | None) -> date_pb2.Date | None:
    if value is None:
        return None
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def run_import(
    rows: Iterable[pb.PersonImportRow],
    town: str,
    send: Send,
    *,
    valid_only: bool = False,
    assessor: str = "",
    assessed_on: dt.date | None = None,
    start_date: dt.date | None = None,
    batch_size: int = BATCH,
    in_flight: int = 2,
    on_rows: Callable[[int], None] = lambda _n: None,
    on_write: Callable[[int], None] = lambda _n: None,
) -> ImportReport:
    """Validates the whole file, then writes it unless it has errors (or valid_only).

    `in_flight` batches are sent at once, so reading the file, validating one batch and
    writing another overlap (the server's database work releases its GIL)."""
    report = ImportReport()
    template = pb.ImportPersonsRequest(
        parent=town,
        validate_only=True,
        valid_only=valid_only,
        assessor=assessor,
        assessed_date=_date(assessed_on),
        start_date=_date(start_date),
    )
    seen: dict[str, int] = {}
    batches: list[tuple[bytes, int]] = []
    batch: list[pb.PersonImportRow] = []
    pending: deque[tuple[Future[pb.ImportPersonsResponse], int]] = deque()

    def checked(future: Future[pb.ImportPersonsResponse], size: int) -> None:
        response = future.result()
        report.valid_rows += response.valid_rows
        report.errors += [_finding(p) for p in response.errors]
        report.warnings += [_finding(p) for p in response.warnings]
        on_rows(size)

    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="import") as pool:

        def flush() -> None:
            if not batch:
                return
            request = pb.ImportPersonsRequest()
            request.CopyFrom(template)
            request.rows.extend(batch)
            batches.append((request.SerializeToString(), len(batch)))
            pending.append((pool.submit(send, request), len(batch)))
            batch.clear()
            while len(pending) >= in_flight:
                checked(*pending.popleft())

        for row in rows:
            report.rows += 1
            # One ID, one person (R2) across the whole file: a later repeat is an error of its
            # own row and is never sent to be written. (The server checks within a batch too.)
            key = row.id_number.strip().upper()
            if key:
                first = seen.setdefault(key, row.row_number)
                if first != row.row_number:
                    report.errors.append(
                        Finding(
                            row.row_number,
                            HEADER_OF["id_number"],
                            f"is the same ID number as row {first} (one ID, one person)",
                            "R2",
                        )
                    )
                    on_rows(1)
                    continue
            batch.append(row)
            if len(batch) >= batch_size:
                flush()
        flush()
        while pending:
            checked(*pending.popleft())
        report.errors.sort(key=lambda f: f.row_number)
        if report.errors and not valid_only:
            return report

        def write(serialised: bytes) -> pb.ImportPersonsResponse:
            request = pb.ImportPersonsRequest.FromString(serialised)
            request.validate_only = False
            return send(request)

        writes = [(pool.submit(write, serialised), size) for serialised, size in batches]
        for future, size in writes:
            if future.cancelled():
                continue
            response = future.result()
            if response.errors and not valid_only:
                # The roster changed between the passes (e.g. a village was removed): this
                # batch wrote nothing; others stand. Reported, never silent.
                report.errors += [_finding(p) for p in response.errors]
                report.interrupted = True
                for later, _ in writes:
                    later.cancel()
                continue
            report.created += response.created
            report.updated += response.updated
            report.unchanged += response.unchanged
            on_write(size)
    report.written = not report.interrupted
    return report
