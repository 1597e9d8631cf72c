"""In-memory fakes of the roster's person repositories and unit of work, for use-case tests.
Writes are kept only when the use case commits, like the SQL unit of work."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Self

from roster_svc.adapters.person_import_repository import (
    DuplicateKey,
    ExistingAssessment,
    ExistingPerson,
    PersonImportRepository,
)
from roster_svc.adapters.person_repository import (
    AssignmentSpanRow,
    CaseloadRepository,
    HistoryRepository,
    MissingAgreementRow,
    PersonQuery,
    PersonRepository,
    ReassessmentQuery,
    TownEvents,
)
from roster_svc.adapters.repository import TownRepository, VillageRepository
from roster_svc.adapters.station_repository import StationRepository
from roster_svc.domain import history
from roster_svc.domain.assessments import INDICATORS, Assessment, Reassessment
from roster_svc.domain.assignments import Agreement, Assignment, Substitution, missing_reason
from roster_svc.domain.persons import Facts, Period, Person, PersonStatus, StatusChange, as_of
from roster_svc.domain.places import Town, Village
from roster_svc.domain.stations import Station
from sgz_runtime.errors import Aborted


@dataclass
class State:
    towns: dict[str, Town] = field(default_factory=dict)
    villages: dict[tuple[str, str], Village] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    statuses: list[StatusChange] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    reassessments: list[Reassessment] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    substitutions: list[Substitution] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    stations: dict[str, Station] = field(default_factory=dict)

    def facts(self, person_id: str, day: dt.date) -> Facts:
        return Facts(
            as_of(history.status_spans(s for s in self.statuses if s.person_id == person_id), day),
            as_of(
                history.care_level_spans(a for a in self.assessments if a.person_id == person_id),
                day,
            ),
            as_of(
                history.worker_spans(a for a in self.assignments if a.person_id == person_id), day
            )
            or "",
        )


class FakeTowns:
    def __init__(self, state: State):
        self.s = state

    def add(self, town: Town) -> None:
        self.s.towns[town.id] = town

    def get(self, town_id: str) -> Town | None:
        return self.s.towns.get(town_id)

    def get_by_code(self, administrative_code: str) -> Town | None:
        return next(
            (t for t in self.s.towns.values() if t.administrative_code == administrative_code),
            None,
        )

    def list(self, after: str | None, limit: int) -> list[Town]:
        return [self.s.towns[k] for k in sorted(self.s.towns) if after is None or k > after][:limit]


class FakeVillages:
    def __init__(self, state: State):
        self.s = state

    def add(self, village: Village) -> None:
        self.s.villages[(village.town_id, village.id)] = village

    def get(self, town_id: str, village_id: str) -> Village | None:
        return self.s.villages.get((town_id, village_id))

    def list(self, town_id: str, after: str | None, limit: int) -> list[Village]:
        ids = sorted(v for t, v in self.s.villages if t == town_id and (after is None or v > after))
        return [self.s.villages[(town_id, v)] for v in ids[:limit]]


class FakeStations:
    """Stations by town (rules S1, S2); the village counts are the state's villages."""

    def __init__(self, state: State):
        self.s = state

    def get(self, town_id: str) -> Station | None:
        found = self.s.stations.get(town_id)
        return None if found is None else replace(found, equipment=set(found.equipment))

    def save(self, station: Station) -> None:
        stored = self.s.stations.get(station.town_id)
        if (stored.version if stored else 0) != station.version:
            raise Aborted("changed")
        station.version += 1
        self.s.stations[station.town_id] = replace(station)

    def for_towns(self, town_ids: Iterable[str]) -> dict[str, Station]:
        return {i: self.s.stations[i] for i in town_ids if i in self.s.stations}

    def village_counts(self, town_ids: Iterable[str]) -> dict[str, int]:
        wanted = set(town_ids)
        counts = dict.fromkeys(wanted, 0)
        for town_id, _village in self.s.villages:
            if town_id in wanted:
                counts[town_id] += 1
        return counts


class FakePersons:
    def __init__(self, state: State):
        self.s = state

    def add(self, person: Person) -> None:
        self.s.persons[person.id] = person

    def get(self, person_id: str) -> Person | None:
        return self.s.persons.get(person_id)

    def get_by_hash(self, id_hash: str) -> Person | None:
        return next((p for p in self.s.persons.values() if p.id_hash == id_hash), None)

    def upsert_many(self, persons: Sequence[Person]) -> set[str]:
        inserted: set[str] = set()
        for person in persons:
            found = self.get_by_hash(person.id_hash)
            if found is None:
                self.s.persons[person.id] = person
                inserted.add(person.id)
            else:
                person.id = found.id
                self.s.persons[found.id] = person
        return inserted

    def list_page(
        self, query: PersonQuery, after: str | None, limit: int
    ) -> list[tuple[Person, Facts]]:
        found = []
        for pid in sorted(self.s.persons):
            p = self.s.persons[pid]
            if p.town_id != query.town_id or (after is not None and pid <= after):
                continue
            if query.village_id is not None and p.village_id != query.village_id:
                continue
            facts = self.s.facts(pid, query.day)
            if query.status is not None and facts.status is not query.status:
                continue
            if query.worker is not None and facts.worker != query.worker:
                continue
            found.append((p, facts))
        return found[:limit]

    def page(
        self, town_id: str, village_id: str | None, after: str | None, limit: int
    ) -> list[Person]:
        query = PersonQuery(town_id, village_id, dt.date.min)
        return [p for p, _ in self.list_page(query, after, limit)]

    def facts(self, person_ids: Sequence[str], day: dt.date) -> dict[str, Facts]:
        return {i: self.s.facts(i, day) for i in person_ids}

    def list_involving_worker(
        self,
        town_id: str,
        village_id: str | None,
        worker: str,
        period: Period,
        after: str | None,
        limit: int,
    ) -> list[Person]:
        persons = [
            p
            for p, _ in self.list_page(PersonQuery(town_id, village_id, period.start), after, 10**9)
        ]
        found = []
        for p in persons:
            timeline = history.timelines(
                [p], [], [], self.s.assignments, self.s.substitutions, period
            )[0]
            if any(s.value == worker for s in timeline.assignments) or any(
                s.value[1] == worker for s in timeline.substitutes
            ):
                found.append(p)
        return found[:limit]


class FakeHistory:
    def __init__(self, state: State):
        self.s = state

    def add_status(self, change: StatusChange) -> None:
        self.s.statuses.append(change)

    def add_statuses(self, changes: Sequence[StatusChange]) -> None:
        self.s.statuses.extend(changes)

    def status_by_request_id(self, request_id: str) -> StatusChange | None:
        return next((c for c in self.s.statuses if c.request_id == request_id), None)

    def statuses(self, person_ids: Sequence[str]) -> list[StatusChange]:
        return [c for c in self.s.statuses if c.person_id in person_ids]

    def add_assessment(self, assessment: Assessment) -> None:
        self.s.assessments.append(assessment)

    def assessments(self, person_ids: Sequence[str]) -> list[Assessment]:
        return [a for a in self.s.assessments if a.person_id in person_ids]

    def list_assessments(self, person_id: str, after: str | None, limit: int) -> list[Assessment]:
        return sorted(self.assessments([person_id]), key=lambda a: a.assessment_date)[:limit]

    def add_reassessment(self, reassessment: Reassessment) -> None:
        self.s.reassessments.append(reassessment)

    def open_reassessments(self, person_id: str) -> list[Reassessment]:
        return [
            r for r in self.s.reassessments if r.person_id == person_id and r.assessment_id is None
        ]

    def list_reassessments(
        self, query: ReassessmentQuery, after: str | None, limit: int
    ) -> list[Reassessment]:
        found = [
            r
            for r in self.s.reassessments
            if (query.person_id is None or r.person_id == query.person_id)
            and (query.town_id is None or self.s.persons[r.person_id].town_id == query.town_id)
            and not (query.open_only and r.assessment_id)
        ]
        return sorted(found, key=lambda r: (r.due_date, r.id))[:limit]

    def town_events(self, town_ids: Sequence[str]) -> TownEvents:
        people = [(p.id, p.town_id) for p in self.s.persons.values() if p.town_id in town_ids]
        ids = [i for i, _ in people]
        return TownEvents(
            people,
            [(c.person_id, c.effective_date, c.status) for c in self.statuses(ids)],
            [
                (a.person_id, a.assessment_date, a.care_level)
                for a in self.assessments(ids)
                if a.care_level is not None
            ],
        )


class FakeCaseloads:
    def __init__(self, state: State):
        self.s = state

    def add_assignment(self, assignment: Assignment) -> None:
        self.s.assignments.append(assignment)

    def assignments(self, person_ids: Sequence[str]) -> list[Assignment]:
        return [a for a in self.s.assignments if a.person_id in person_ids]

    def assignment_spans(
        self, town_id: str, period: Period, after: tuple[str, str, str] | None, limit: int
    ) -> list[AssignmentSpanRow]:
        raise NotImplementedError

    def caseloads(self, town_id: str, day: dt.date) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for p in self.s.persons.values():
            facts = self.s.facts(p.id, day)
            if p.town_id == town_id and facts.status is PersonStatus.DISPERSED and facts.worker:
                counts[facts.worker] = counts.get(facts.worker, 0) + 1
        return sorted(counts.items())

    def add_substitution(self, substitution: Substitution) -> None:
        self.s.substitutions.append(substitution)

    def substitutions_of(
        self, town_id: str, workers: Sequence[str] | None = None
    ) -> list[Substitution]:
        return [
            s
            for s in self.s.substitutions
            if s.town_id == town_id and (workers is None or s.worker in workers)
        ]

    def list_substitutions(self, town_id: str, after: str | None, limit: int) -> list[Substitution]:
        return self.substitutions_of(town_id)[:limit]

    def add_agreement(self, agreement: Agreement) -> None:
        self.s.agreements.append(agreement)

    def list_agreements(self, person_id: str, after: str | None, limit: int) -> list[Agreement]:
        return [a for a in self.s.agreements if a.person_id == person_id][:limit]

    def missing_agreements(
        self, town_id: str, day: dt.date, after: str | None, limit: int
    ) -> list[MissingAgreementRow]:
        rows = []
        for pid in sorted(self.s.persons):
            p = self.s.persons[pid]
            facts = self.s.facts(pid, day)
            if p.town_id != town_id or facts.status is not PersonStatus.DISPERSED:
                continue
            signed = sorted(
                (a for a in self.s.agreements if a.person_id == pid and a.signed_date <= day),
                key=lambda a: a.signed_date,
            )
            latest = signed[-1] if signed else None
            reason = missing_reason(facts.worker, latest.worker if latest else None)
            if reason is not None:
                rows.append(MissingAgreementRow(p, facts.worker, reason, latest))
        return rows[:limit]


class FakeRosterUnitOfWork:
    """Keeps what a use case committed; what it did not commit is thrown away on exit.
    Satisfies RosterUnitOfWork (checked by mypy): the ports are declared, fakes bound."""

    towns: TownRepository
    villages: VillageRepository
    stations: StationRepository
    persons: PersonRepository
    history: HistoryRepository
    caseloads: CaseloadRepository
    imports: PersonImportRepository

    def __init__(self, state: State | None = None, store: Store | None = None):
        self.state = state or State()
        self.store = store or Store()
        self.commits = 0

    def __enter__(self) -> Self:
        self._saved = copy.deepcopy(self.state)
        self._saved_store = copy.deepcopy(self.store)
        self._bind(self.state)
        return self

    def _bind(self, state: State) -> None:
        self.towns = FakeTowns(state)
        self.villages = FakeVillages(state)
        self.persons = FakePersons(state)
        self.history = FakeHistory(state)
        self.caseloads = FakeCaseloads(state)
        self.stations = FakeStations(state)
        self.imports = FakeImports(self.store)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed_since_enter():
            self.state.__dict__.update(copy.deepcopy(self._saved).__dict__)
            self.store.__dict__.update(copy.deepcopy(self._saved_store).__dict__)

    def _committed_since_enter(self) -> bool:
        committed = getattr(self, "_commit_mark", None) == id(self._saved)
        return committed

    def commit(self) -> None:
        self.commits += 1
        self._commit_mark = id(self._saved)


class Store:
    def __init__(self) -> None:
        self.persons: dict[str, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.assessments: list[dict[str, Any]] = []
        self.staged: list[dict[str, Any]] = []


class FakeImports:
    def __init__(self, store: Store):
        self.s = store

    def towns(self) -> list[tuple[str, str, str]]:
        return [("chengdong", "320621100", "城东镇"), ("xicheng", "320622100", "西城街道")]

    def villages_of(self, town_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        known = {"chengdong": [("xinhua", "新华村")], "xicheng": [("hexi", "河西村")]}
        return {t: known[t] for t in town_ids if t in known}

    def persons_by_hash(self, hashes: Sequence[str]) -> dict[str, ExistingPerson]:
        return {
            p["id_hash"]: ExistingPerson(
                p["id"],
                p["id_hash"],
                p["town_id"],
                p["village_id"],
                p["display_name"],
                p["address"],
                p["phone"],
                p["version"],
            )
            for p in self.s.persons.values()
            if p["id_hash"] in hashes
        }

    def latest_assessments(self, person_ids: Sequence[str]) -> dict[str, ExistingAssessment]:
        found: dict[str, ExistingAssessment] = {}
        for a in sorted(self.s.assessments, key=lambda a: a["assessment_date"]):
            if a["person_id"] in person_ids:
                found[a["person_id"]] = ExistingAssessment(
                    a["person_id"], a["assessment_date"], a["assessor"],
                    {i: a[i] for i in INDICATORS},
                )  # fmt: skip
        return found

    def insert_persons(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.s.persons[row["id"]] = dict(row)

    def update_persons(self, rows: list[dict[str, Any]]) -> int:
        matched = 0
        for row in rows:
            stored = self.s.persons[row["b_id"]]
            if stored["version"] == row["b_version"]:
                stored.update({k: v for k, v in row.items() if not k.startswith("b_")})
                stored["version"] += 1
                matched += 1
        return matched

    def insert_status_changes(self, rows: list[dict[str, Any]]) -> None:
        self.s.statuses += rows

    def insert_assessments(self, rows: list[dict[str, Any]]) -> None:
        self.s.assessments += rows

    def stage(self, rows: list[dict[str, Any]]) -> None:
        keys = {(r["import_id"], r["id_hash"]) for r in self.s.staged}
        if any((r["import_id"], r["id_hash"]) in keys for r in rows):
            raise DuplicateKey("an ID is already staged under this import")
        self.s.staged += [dict(r) for r in rows]

    def staged_towns(self, import_id: str) -> set[str]:
        return {str(r["town_id"]) for r in self.s.staged if r["import_id"] == import_id}

    def apply_staged(self, import_id: str) -> dict[str, int]:
        raise AssertionError(
            "applying staged rows is tested on real databases (tests/integration/"
            "test_roster_import.py), not with this fake"
        )

    def discard_staged(self, import_id: str) -> None:
        self.s.staged = [r for r in self.s.staged if r["import_id"] != import_id]

    def purge_staged_before(self, moment: dt.datetime) -> None:
        self.s.staged = [r for r in self.s.staged if r.get("staged_at", moment) >= moment]
