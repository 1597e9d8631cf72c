"""`python -m bench assessment_pay`: a generated province's half-year of performance pay
(rules A2-A4): 1,240 towns, 3,700 workers, 130,000 persons, 26 ISO weeks = 3.38 million
person-week visit facts and 170,000 escalations.

Cases, all in one run:
- `numeric core`: assessment_svc.domain.assess.compute over every fact at once (metrics by
  sort-based grouping, fitted priors per town, scores, withheld, individual payout); goal 0.5 s.
- `numeric core, pool rule`: the same with the pool rule (largest remainder per town).
- `metrics by SQL GROUP BY`: the same counts per worker computed by SQLite from the same facts
  in tables (person_weeks, escalations), the baseline the core is compared with.
- `whole pay run`: every town through the use case compute_pay_runs in batches of 200 towns
  (worker-week facts as the visit service returns them, pay terms, explanations, the drafts
  saved to SQLite, durable), in-process with the other services' ports serving the generated
  data; and the first 124 towns one by one through compute_pay_run, for comparison.
`--quick`: 124 towns.
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from assessment_svc.adapters.hr_client import PayTerms
from assessment_svc.adapters.visit_client import EscalationFact, TownFacts, WeekFact
from assessment_svc.app import MIGRATIONS
from assessment_svc.domain.assess import Facts, Staff, compute
from assessment_svc.domain.metrics import metric_counts
from assessment_svc.domain.policy import PayoutRule, default_policy
from assessment_svc.service_layer import commands
from assessment_svc.service_layer.pay_runs import compute_pay_run, compute_pay_runs
from assessment_svc.service_layer.unit_of_work import SqlAssessmentUnitOfWork
from bench.harness import Row
from sgz_runtime.db import make_engine, migrate, session_factory
from sgz_runtime.identity import Caller, Role, ScopeLevel
from sgz_runtime.periods import Period

NAME = "assessment_pay"
WEEKS = 26
FIRST_MONDAY = date(2026, 1, 5)
H1 = Period.parse("2026H1")


class Province:
    """Generated facts: worker keys are sparse int64 (town code x 1000 + n), as ids are."""

    def __init__(self, towns: int, workers: int, persons: int, escalations: int, seed: int = 7):
        rng = np.random.default_rng(seed)
        self.towns = towns
        town_codes = 320_621_000 + np.arange(towns, dtype=np.int64) * 7
        per_town = np.full(towns, workers // towns)
        per_town[: workers - int(per_town.sum())] += 1
        self.worker_town = np.repeat(np.arange(towns), per_town)
        n_in_town = np.concatenate([np.arange(k) for k in per_town])
        self.worker_key = town_codes[self.worker_town] * 1000 + n_in_town
        n_workers = self.worker_key.shape[0]
        # Each person is held by one worker; some join late (mid-period) or leave early.
        person_worker = rng.integers(0, n_workers, persons)
        start = np.where(rng.random(persons) < 0.05, rng.integers(1, WEEKS, persons), 0)
        end = np.where(rng.random(persons) < 0.03, rng.integers(1, WEEKS, persons), WEEKS)
        week = np.tile(np.arange(WEEKS), persons)
        person = np.repeat(np.arange(persons), WEEKS)
        due = ((week >= start[person]) & (week < end[person])).astype(np.int64)
        skill = rng.beta(18, 1.5, n_workers)  # each worker's chance of covering a week
        covered = due * (rng.random(persons * WEEKS) < skill[person_worker[person]])
        self.pw_worker = self.worker_key[person_worker[person]]
        self.pw_week = week
        self.pw_due = due
        self.pw_covered = covered.astype(np.int64)
        esc_worker_index = rng.integers(0, n_workers, escalations)
        self.esc_worker = self.worker_key[esc_worker_index]
        self.esc_week = rng.integers(0, WEEKS, escalations)
        self.urgency = rng.choice([1, 2], escalations, p=[0.2, 0.8]).astype(np.int64)
        self.contact = rng.choice([1, 2, 3, 4, 5], escalations, p=[0.85, 0.08, 0.04, 0.02, 0.01])
        self.action = rng.choice([1, 2, 3, 4, 5], escalations, p=[0.8, 0.1, 0.05, 0.04, 0.01])
        self.staff = Staff(
            worker=self.worker_key,
            town=self.worker_town.astype(np.int64),
            monthly_base=rng.integers(250_000, 400_000, n_workers).astype(np.int64),
            ratio_bp=np.full(n_workers, 1000, dtype=np.int64),
            months=np.where(rng.random(n_workers) < 0.05, 3, 6).astype(np.int64),
            manual=np.round(rng.uniform(60, 100, n_workers), 2),
        )

    def facts(self) -> Facts:
        return Facts(
            week_worker=self.pw_worker,
            due=self.pw_due,
            covered=self.pw_covered,
            esc_worker=self.esc_worker,
            urgency=self.urgency,
            contact_outcome=self.contact.astype(np.int64),
            action_outcome=self.action.astype(np.int64),
        )

    def worker_weeks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # type: ignore[type-arg]
        """Per (worker, week): persons due and covered, as ListWorkerWeekFacts reports them."""
        index = np.searchsorted(self.worker_key, self.pw_worker) * WEEKS + self.pw_week
        size = self.worker_key.shape[0] * WEEKS
        due = np.bincount(index, weights=self.pw_due, minlength=size).astype(np.int64)
        covered = np.bincount(index, weights=self.pw_covered, minlength=size).astype(np.int64)
        return due.reshape(-1, WEEKS), covered.reshape(-1, WEEKS), index


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times: list[float] = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


_SQL = """
SELECT w.worker, w.due, w.covered,
       coalesce(e.imm_n, 0), coalesce(e.imm_k, 0), coalesce(e.pro_n, 0), coalesce(e.pro_k, 0),
       coalesce(e.act_n, 0), coalesce(e.act_k, 0), coalesce(e.led_n, 0), coalesce(e.led_k, 0)
FROM (SELECT worker, sum(due) AS due, sum(min(covered, due)) AS covered
      FROM person_weeks GROUP BY worker) w
LEFT JOIN (
  SELECT worker,
    sum(urgency = 1 AND contact IN (1, 2, 3)) AS imm_n,
    sum(urgency = 1 AND contact = 1) AS imm_k,
    sum(urgency = 2 AND contact IN (1, 2, 3)) AS pro_n,
    sum(urgency = 2 AND contact = 1) AS pro_k,
    sum(action IN (1, 2, 3)) AS act_n,
    sum(action = 1) AS act_k,
    sum(contact IN (1, 2, 3)) + sum(action IN (1, 2, 3)) AS led_n,
    sum(contact IN (1, 2)) + sum(action IN (1, 2)) AS led_k
  FROM escalations GROUP BY worker) e ON e.worker = w.worker
ORDER BY w.worker
"""


def _sql_baseline(province: Province, folder: Path, repeat: int) -> tuple[float, float, bool]:
    """Loads the facts into SQLite (indexed by worker) and times the GROUP BY; checks it
    gives the core's counts."""
    db = sqlite3.connect(folder / "facts.db")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(
        "CREATE TABLE person_weeks (worker INTEGER, week INTEGER, due INTEGER, covered INTEGER)"
    )
    db.execute(
        "CREATE TABLE escalations "
        "(worker INTEGER, urgency INTEGER, contact INTEGER, action INTEGER)"
    )
    started = time.perf_counter()
    db.executemany(
        "INSERT INTO person_weeks VALUES (?, ?, ?, ?)",
        zip(
            province.pw_worker.tolist(),
            province.pw_week.tolist(),
            province.pw_due.tolist(),
            province.pw_covered.tolist(),
            strict=True,
        ),
    )
    db.executemany(
        "INSERT INTO escalations VALUES (?, ?, ?, ?)",
        zip(
            province.esc_worker.tolist(),
            province.urgency.tolist(),
            province.contact.tolist(),
            province.action.tolist(),
            strict=True,
        ),
    )
    db.execute("CREATE INDEX ix_pw ON person_weeks (worker, due, covered)")
    db.execute("CREATE INDEX ix_esc ON escalations (worker, urgency, contact, action)")
    db.commit()
    load_s = time.perf_counter() - started
    seconds, rows = _timed(lambda: db.execute(_SQL).fetchall(), repeat)
    db.close()
    facts = province.facts()
    counts = metric_counts(
        week_worker=facts.week_worker,
        due=facts.due,
        covered=facts.covered,
        esc_worker=facts.esc_worker,
        urgency=facts.urgency,
        contact_outcome=facts.contact_outcome,
        action_outcome=facts.action_outcome,
    )
    same = [tuple(r) for r in rows] == [  # type: ignore[attr-defined]
        (
            int(w),
            int(d[0]),
            int(n[0]),
            int(d[1]),
            int(n[1]),
            int(d[2]),
            int(n[2]),
            int(d[3]),
            int(n[3]),
            int(d[4]),
            int(n[4]),
        )
        for w, n, d in zip(counts.workers, counts.numerator, counts.denominator, strict=True)
    ]
    return seconds, load_s, same


class _Visits:
    def __init__(self, facts: dict[str, TownFacts]):
        self.facts = facts

    def town_facts(self, town: str, first: date, last: date) -> TownFacts:
        return self.facts[town]


class _Hr:
    def __init__(self, terms: dict[str, list[PayTerms]]):
        self.terms = terms

    def pay_terms(self, town: str, period: Period) -> list[PayTerms]:
        return self.terms[town]


def _service_inputs(province: Province) -> tuple[_Visits, _Hr, list[str]]:
    due, covered, _ = province.worker_weeks()
    mondays = [FIRST_MONDAY + timedelta(weeks=w) for w in range(WEEKS)]
    towns = [f"towns/t{t}" for t in range(province.towns)]
    weeks: dict[str, list[WeekFact]] = {t: [] for t in towns}
    escalations: dict[str, list[EscalationFact]] = {t: [] for t in towns}
    terms: dict[str, list[PayTerms]] = {t: [] for t in towns}
    names = [f"workers/w{k}" for k in province.worker_key.tolist()]
    staff = province.staff
    for i, name in enumerate(names):
        town = towns[int(province.worker_town[i])]
        weeks[town] += [
            WeekFact(name, mondays[w], int(due[i, w]), int(covered[i, w])) for w in range(WEEKS)
        ]
        terms[town].append(
            PayTerms(
                name,
                name,
                int(staff.monthly_base[i]),
                int(staff.ratio_bp[i]),
                int(staff.months[i]),
            )
        )
    position = np.searchsorted(province.worker_key, province.esc_worker)
    for j in range(province.esc_worker.shape[0]):
        i = int(position[j])
        town = towns[int(province.worker_town[i])]
        escalations[town].append(
            EscalationFact(
                names[i],
                mondays[int(province.esc_week[j])],
                int(province.urgency[j]),
                int(province.contact[j]),
                int(province.action[j]),
            )
        )
    visits = _Visits({t: TownFacts(weeks[t], escalations[t]) for t in towns})
    return visits, _Hr(terms), towns


#: The per-town path is measured on this many towns (each call is one durable commit).
PER_TOWN_SAMPLE = 124


def _whole_run(province: Province, folder: Path) -> tuple[float, float, int]:
    """Every town in one batch (compute_pay_runs, what `sgz assess pay --all` asks for in
    calls of 200 towns), then the first towns one by one (compute_pay_run) again."""
    visits, hr, towns = _service_inputs(province)
    engine = make_engine(f"sqlite:///{folder / 'assessment.db'}", durable=True)
    migrate(engine, MIGRATIONS)
    factory = session_factory(engine)
    now = datetime(2026, 7, 2, tzinfo=UTC)
    city = Caller("users/bench", Role.CITY_CIVIL_AFFAIRS, ScopeLevel.CITY, "")
    started = time.perf_counter()
    for first in range(0, len(towns), 200):
        _, refused = compute_pay_runs(
            commands.ComputePayRuns(towns=tuple(towns[first : first + 200]), period=H1),
            SqlAssessmentUnitOfWork(factory),
            visits,
            hr,
            caller=city,
            clock=lambda: now,
        )
        assert not refused, refused
    batch_s = time.perf_counter() - started
    sample = towns[:PER_TOWN_SAMPLE]
    started = time.perf_counter()
    for town in sample:
        chief = Caller("users/bench", Role.STATION_CHIEF, ScopeLevel.TOWN, town)
        compute_pay_run(
            commands.ComputePayRun(town=town, period=H1),
            SqlAssessmentUnitOfWork(factory),
            visits,
            hr,
            caller=chief,
            clock=lambda: now,
        )
    per_town_s = time.perf_counter() - started
    engine.dispose()
    return batch_s, per_town_s, len(sample)


def run(quick: bool = False) -> list[Row]:
    towns, workers, persons, escalations = (
        (124, 370, 13_000, 17_000) if quick else (1240, 3700, 130_000, 170_000)
    )
    repeat = 3
    province = Province(towns, workers, persons, escalations)
    facts = province.facts()
    policy = default_policy()
    scale = {
        "towns": towns,
        "workers": workers,
        "person_weeks": int(province.pw_due.shape[0]),
        "escalations": escalations,
    }
    core_s, _ = _timed(lambda: compute(facts, province.staff, policy), repeat)
    pool = replace(policy, payout_rule=PayoutRule.POOL)
    pool_s, result = _timed(lambda: compute(facts, province.staff, pool), repeat)
    paid = result.paid  # type: ignore[attr-defined]
    held = result.withheld  # type: ignore[attr-defined]
    exact = int(paid.sum()) == int(held.sum())
    metrics_s, _ = _timed(
        lambda: metric_counts(
            week_worker=facts.week_worker,
            due=facts.due,
            covered=facts.covered,
            esc_worker=facts.esc_worker,
            urgency=facts.urgency,
            contact_outcome=facts.contact_outcome,
            action_outcome=facts.action_outcome,
        ),
        repeat,
    )
    with tempfile.TemporaryDirectory(prefix="sgz-bench-assess-") as tmp:
        sql_s, load_s, same = _sql_baseline(province, Path(tmp), repeat)
        whole_s, per_town_s, sample = _whole_run(province, Path(tmp))
    return [
        Row(
            NAME,
            "metrics by SQL GROUP BY",
            {"seconds": round(sql_s, 3), "load_s": round(load_s, 1), **scale},
            "seconds",
            notes="SQLite, indexed by worker",
        ),
        Row(
            NAME,
            "metrics by numpy (sort-based grouping)",
            {"seconds": round(metrics_s, 3), "same_counts_as_sql": float(same)},
            "seconds",
            baseline="metrics by SQL GROUP BY",
        ),
        Row(
            NAME,
            "numeric core (individual rule)",
            {"seconds": round(core_s, 3)},
            "seconds",
            baseline="metrics by SQL GROUP BY",
        ),
        Row(
            NAME,
            "numeric core (pool rule)",
            {"seconds": round(pool_s, 3), "pool_paid_exactly": float(exact)},
            "seconds",
            baseline="metrics by SQL GROUP BY",
        ),
        Row(
            NAME,
            "whole pay run (every town, batches of 200, saved)",
            {"seconds": round(whole_s, 3)},
            "seconds",
            baseline="metrics by SQL GROUP BY",
        ),
        Row(
            NAME,
            f"pay run town by town ({sample} towns, each saved)",
            {"seconds": round(per_town_s, 3), "ms_per_town": round(1000 * per_town_s / sample, 1)},
            "seconds",
            baseline="metrics by SQL GROUP BY",
        ),
    ]
