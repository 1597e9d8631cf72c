"""The roster's RPCs for other services at province scale (issue 3, item 7): a roster of
150,000 persons in 1,240 towns (about 21,000 villages) with status, care-level and assignment
history, served by `python -m roster_svc` on SQLite in its own process; 16 calls in flight.

Cases: persons dispersed in a town as of a date (visits), a page of 100 timelines (visits,
assessment), person-months by care level for a page of 50 towns over a half year (finance, F2),
caseloads and missing agreements of a town; each beside GetTown, the roster's cheapest read,
measured in the same run, so the ratio is the price of the query over a bare round trip.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from sgz.common.v1 import types_pb2
from sgz.roster.v1 import roster_pb2 as pb
from sgz.roster.v1 import roster_pb2_grpc
from sqlalchemy import insert

from bench.harness import Row, drive
from roster_svc.adapters import orm
from roster_svc.app import MIGRATIONS
from roster_svc.domain.persons import CareLevel, Person, PersonStatus
from roster_svc.domain.places import TownKind, VillageKind
from roster_svc.person_settings import PersonSettings
from roster_svc.service_layer.unit_of_work import SqlRosterUnitOfWork
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.identity import CALLER_METADATA_KEY, Caller, Role, ScopeLevel, sign
from sgz_runtime.pii.resident_id import check_digit, parse
from sgz_runtime.pii.vault import FernetIdVault
from sgz_runtime.proto_values import date_to_pb

SECRET = "bench-secret-" + "x" * 32
START = dt.date(2024, 1, 1)
AS_OF = dt.date(2025, 3, 15)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def populate(data_dir: Path, towns: int, persons_per_town: int) -> None:
    """Towns, 17 villages each, persons with a dispersed start, one assessment, one
    assignment, a later reassignment for a tenth, an agreement for half, a move to an
    institution for a twentieth: written through the roster's own repositories."""
    engine = make_engine(f"sqlite:///{data_dir / 'roster.db'}")
    migrate(engine, MIGRATIONS)
    orm.start_mappers()
    settings = PersonSettings()
    vault = FernetIdVault(settings.hmac_key(data_dir), settings.encryption_key(data_dir))
    rng = random.Random(3)
    factory = session_factory(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(orm.towns),
            [
                {
                    "id": f"t{t:04d}",
                    "display_name": f"镇{t}",
                    "administrative_code": f"{t:06d}",
                    "kind": TownKind.TOWN,
                    "version": 1,
                }
                for t in range(towns)
            ],
        )
        conn.execute(
            insert(orm.villages),
            [
                {
                    "town_id": f"t{t:04d}",
                    "id": f"v{v:02d}",
                    "display_name": f"村{v}",
                    "kind": VillageKind.VILLAGE,
                    "contact_name": "",
                    "contact_phone": "",
                    "version": 1,
                }
                for t in range(towns)
                for v in range(17)
            ],
        )
    n = 0
    for t in range(towns):
        people: list[Person] = []
        for _ in range(persons_per_town):
            first17 = f"3206211930{1 + n % 12:02d}{1 + n // 12 % 28:02d}{n // 336 % 1000:03d}"
            rid = parse(first17 + check_digit(first17), AS_OF)
            people.append(
                Person(
                    id=f"p{n:07d}",
                    town_id=f"t{t:04d}",
                    village_id=f"v{n % 17:02d}",
                    display_name="李四",
                    id_hash=vault.digest(rid.number),
                    id_cipher=vault.seal(rid.number),
                    id_masked=rid.masked,
                    gender=rid.gender,
                    birth_date=rid.birth_date,
                )
            )
            n += 1
        statuses, assessed, assigned, signed = [], [], [], []
        for i, p in enumerate(people):
            statuses.append({"person_id": p.id, "status": PersonStatus.DISPERSED,
                             "effective_date": START, "reason": ""})  # fmt: skip
            if i % 20 == 0:
                statuses.append({"person_id": p.id, "status": PersonStatus.IN_INSTITUTION,
                                 "effective_date": dt.date(2024, 9, 1), "reason": ""})  # fmt: skip
            answers = [rng.random() > 0.3 for _ in range(6)]
            fails = answers.count(False)
            level = (
                CareLevel.SELF_CARE if fails == 0 else CareLevel.PARTIAL
                if fails <= 3 else CareLevel.FULL_LOSS
            )  # fmt: skip
            assessed.append({"id": f"a{p.id}", "person_id": p.id, "assessor": "评估中心",
                             "assessment_date": START, "eating": answers[0],
                             "dressing": answers[1], "transferring": answers[2],
                             "toileting": answers[3], "indoor_walking": answers[4],
                             "bathing": answers[5], "care_level": level})  # fmt: skip
            worker = f"workers/t{t:04d}-w{i % 6}"
            assigned.append({"id": f"w{p.id}", "person_id": p.id, "worker": worker,
                             "start_date": START})  # fmt: skip
            if i % 10 == 0:
                assigned.append({"id": f"x{p.id}", "person_id": p.id,
                                 "worker": f"workers/t{t:04d}-w{(i + 1) % 6}",
                                 "start_date": dt.date(2024, 7, 1)})  # fmt: skip
            if i % 2 == 0:
                signed.append({"id": f"g{p.id}", "person_id": p.id, "town_id": p.town_id,
                               "village_id": p.village_id, "worker": worker,
                               "signed_date": START, "document_reference": "A"})  # fmt: skip
        with SqlRosterUnitOfWork(factory) as uow:
            uow.persons.upsert_many(people)
            for table, rows in (
                (orm.status_changes, statuses),
                (orm.assessments, assessed),
                (orm.assignments, assigned),
                (orm.agreements, signed),
            ):
                uow.session.execute(insert(table), rows)
            uow.commit()
    engine.dispose()


def _period() -> types_pb2.Period:
    return types_pb2.Period(
        start_date=date_to_pb(dt.date(2024, 7, 1)), end_date=date_to_pb(dt.date(2024, 12, 31))
    )


async def _measure(stub: Any, towns: int, calls: int) -> dict[str, dict[str, float]]:
    metadata = (
        (CALLER_METADATA_KEY, sign(Caller("bench", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY),
                                   SECRET.encode(), ttl_s=3600)),
    )  # fmt: skip
    rng = random.Random(5)

    def town() -> str:
        return f"towns/t{rng.randrange(towns):04d}"

    cases: dict[str, Callable[[int], Awaitable[Any]]] = {
        "GetTown": lambda i: stub.GetTown(pb.GetTownRequest(name=town()), metadata=metadata),
        "ListPersons dispersed as of D (page 100)": lambda i: stub.ListPersons(
            pb.ListPersonsRequest(
                parent=town(),
                status=pb.PERSON_STATUS_DISPERSED,
                as_of_date=date_to_pb(AS_OF),
                page_size=100,
            ),
            metadata=metadata,
        ),
        "ListPersonTimelines half year (page 100)": lambda i: stub.ListPersonTimelines(
            pb.ListPersonTimelinesRequest(parent=town(), period=_period(), page_size=100),
            metadata=metadata,
        ),
        "ListCaseloads of a town": lambda i: stub.ListCaseloads(
            pb.ListCaseloadsRequest(parent=town(), as_of_date=date_to_pb(AS_OF)), metadata=metadata
        ),
        "ListMissingAgreements (page 100)": lambda i: stub.ListMissingAgreements(
            pb.ListMissingAgreementsRequest(
                parent=town(), as_of_date=date_to_pb(AS_OF), page_size=100
            ),
            metadata=metadata,
        ),
        "SummarizeCareMonths towns/- (50 towns, half year)": lambda i: stub.SummarizeCareMonths(
            pb.SummarizeCareMonthsRequest(parent="towns/-", period=_period(), page_size=50),
            metadata=metadata,
        ),
    }
    figures: dict[str, dict[str, float]] = {}
    for name, call in cases.items():
        few = calls // 10 if name.startswith("Summarize") else calls
        result = await drive(call, calls=few, warmup=min(50, few))
        figures[name] = result.figures()
    return figures


def run(quick: bool = False) -> list[Row]:
    towns, per_town, calls = (124, 121, 300) if quick else (1240, 121, 2000)
    with tempfile.TemporaryDirectory(prefix="sgz-bench-roster-") as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        populate(data_dir, towns, per_town)
        populated_s = time.perf_counter() - started
        port = _free_port()
        env = {
            **os.environ,
            "SGZ_DATA_DIR": str(data_dir),
            "SGZ_INTERNAL_SECRET": SECRET,
            "SGZ_LOG_LEVEL": "WARNING",
            "SGZ_ROSTER_PORT": str(port),
            "ROSTER_DATABASE_URL": f"sqlite:///{data_dir / 'roster.db'}",
        }
        process = subprocess.Popen([sys.executable, "-m", "roster_svc"], env=env)
        try:
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=60)
            channel.close()

            async def measure() -> dict[str, dict[str, float]]:
                async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as aio_channel:
                    stub = roster_pb2_grpc.RosterServiceStub(aio_channel)
                    return await _measure(stub, towns, calls)

            figures = asyncio.run(measure())
        finally:
            process.terminate()
            process.wait(10)
    notes = f"{towns * per_town} persons, {towns} towns, {towns * 17} villages, SQLite"
    rows = [Row("roster_queries", "GetTown", figures.pop("GetTown"), "per_s", notes=notes)]
    rows += [
        Row("roster_queries", name, figs, "per_s", baseline="GetTown", notes=notes)
        for name, figs in figures.items()
    ]
    rows[0].figures["populate_s"] = round(populated_s, 1)
    return rows
