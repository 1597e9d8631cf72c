"""The assessment's repository: its port and the SQLAlchemy Core adapter. A pay run's lines are
stored as the JSON of their explanation, written once and read back as they were."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from assessment_svc.adapters import orm
from assessment_svc.domain.metrics import Component
from assessment_svc.domain.pay_runs import (
    ManualScore,
    MetricLine,
    PayLine,
    PayRun,
    RunState,
    YearlyResult,
)
from assessment_svc.domain.policy import PayoutRule, PayPolicy


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AssessmentRepository(Protocol):
    def policies(self, town: str) -> list[PayPolicy]:
        """The town's versions and the city's ("")."""
        ...

    def add_policy(self, policy: PayPolicy, created_by: str, at: datetime) -> None: ...

    def add_manual_score(self, score: ManualScore) -> None: ...

    def manual_scores(self, town: str, period: str) -> dict[str, ManualScore]:
        """The latest score of each worker of the town for the period."""
        ...

    def add_run(self, run: PayRun) -> None: ...

    def add_runs(self, runs: Sequence[PayRun]) -> None:
        """Many drafts in one statement (a city-wide batch)."""
        ...

    def all_policies(self) -> list[PayPolicy]: ...

    def manual_scores_in(self, towns: Sequence[str], period: str) -> dict[str, ManualScore]:
        """The latest score of each worker of the towns for the period."""
        ...

    def approved_towns(self, towns: Sequence[str], period: str) -> set[str]:
        """The towns with an approved run for the period."""
        ...

    def get_run(self, town: str, run_id: str) -> PayRun | None: ...

    def list_runs(
        self, town: str, period: str | None, before: str | None, limit: int
    ) -> list[PayRun]:
        """Newest first (ids are time-ordered), without their lines."""
        ...

    def latest_approved(self, town: str, period: str) -> PayRun | None: ...

    def approve(self, run: PayRun) -> bool:
        """Marks a draft approved with its expenses; False when it was no longer a draft."""
        ...

    def yearly_result(self, worker: str, year: int) -> YearlyResult | None: ...

    def add_yearly_result(self, result: YearlyResult) -> None: ...

    def yearly_results(self, workers: Sequence[str], year: int) -> list[YearlyResult]: ...


def _policy(row: Any) -> PayPolicy:
    return PayPolicy(
        version=row.version,
        town=row.town,
        effective_from=row.effective_from,
        weights_bp=tuple(json.loads(row.weights)),
        payout_rule=PayoutRule(row.payout_rule),
        curve=tuple((int(s), int(b)) for s, b in json.loads(row.curve)),
        max_prior_strength=row.max_prior_strength,
        pass_mark=row.pass_mark,
    )


def _manual_to_json(m: ManualScore | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "town": m.town,
        "worker": m.worker,
        "period": m.period,
        "score": m.score,
        "reason": m.reason,
        "scored_by": m.scored_by,
        "scored_at": m.scored_at.isoformat(),
    }


def _manual_from_json(d: dict[str, Any] | None) -> ManualScore | None:
    if d is None:
        return None
    return ManualScore(
        town=d["town"],
        worker=d["worker"],
        period=d["period"],
        score=d["score"],
        reason=d["reason"],
        scored_by=d["scored_by"],
        scored_at=datetime.fromisoformat(d["scored_at"]),
    )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def lines_to_json(lines: Sequence[PayLine]) -> str:
    return json.dumps(
        [
            {
                "worker": line.worker,
                "display_name": line.display_name,
                "metrics": [
                    [
                        m.component.value,
                        m.numerator,
                        m.denominator,
                        _num(m.estimate),
                        _num(m.prior_alpha),
                        _num(m.prior_beta),
                        m.weight_bp,
                        m.effective_weight,
                    ]
                    for m in line.metrics
                ],
                "manual": _manual_to_json(line.manual),
                "score": line.score,
                "monthly_base": line.monthly_base,
                "ratio_bp": line.ratio_bp,
                "months": line.months,
                "withheld": line.withheld,
                "paid": line.paid,
                "previously_paid": line.previously_paid,
                "expense": line.expense,
            }
            for line in lines
        ],
        ensure_ascii=False,
    )


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def lines_from_json(text: str) -> tuple[PayLine, ...]:
    return tuple(
        PayLine(
            worker=d["worker"],
            display_name=d["display_name"],
            metrics=tuple(
                MetricLine(Component(c), n, k, _nan(e), _nan(a), _nan(b), w, float(ew))
                for c, n, k, e, a, b, w, ew in d["metrics"]
            ),
            manual=_manual_from_json(d["manual"]),
            score=d["score"],
            monthly_base=d["monthly_base"],
            ratio_bp=d["ratio_bp"],
            months=d["months"],
            withheld=d["withheld"],
            paid=d["paid"],
            previously_paid=d["previously_paid"],
            expense=d["expense"],
        )
        for d in json.loads(text)
    )


def _run(row: Any, *, with_lines: bool = True) -> PayRun:
    return PayRun(
        id=row.id,
        town=row.town,
        period=row.period,
        state=RunState(row.state),
        policy_version=row.policy_version,
        payout_rule=PayoutRule(row.payout_rule),
        weights_bp=tuple(json.loads(row.weights)),
        method=row.method,
        lines=lines_from_json(row.lines) if with_lines else (),
        created_by=row.created_by,
        created_at=_utc(row.created_at),
        corrects=row.corrects,
        approved_by=row.approved_by,
        approved_at=_utc(row.approved_at) if row.approved_at is not None else None,
        approve_request_id=row.approve_request_id,
        notes=tuple(json.loads(row.notes)),
        stored_totals=(row.total_withheld, row.total_paid),
    )


def _yearly(row: Any) -> YearlyResult:
    return YearlyResult(
        worker=row.worker,
        year=row.year,
        town=row.town,
        passed=bool(row.passed),
        score=row.score,
        pass_mark=row.pass_mark,
        reason=row.reason,
        decided_by=row.decided_by,
        decided_at=_utc(row.decided_at),
    )


def _run_row(run: PayRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "town": run.town,
        "period": run.period,
        "state": run.state.value,
        "policy_version": run.policy_version,
        "payout_rule": run.payout_rule.value,
        "weights": json.dumps(list(run.weights_bp)),
        "method": run.method,
        "lines": lines_to_json(run.lines),
        "notes": json.dumps(list(run.notes), ensure_ascii=False),
        "corrects": run.corrects,
        "total_withheld": run.total_withheld,
        "total_paid": run.total_paid,
        "created_by": run.created_by,
        "created_at": run.created_at,
    }


class SqlAssessmentRepository:
    def __init__(self, session: Session):
        self.session = session

    def policies(self, town: str) -> list[PayPolicy]:
        t = orm.pay_policies
        rows = self.session.execute(
            select(t).where(t.c.town.in_([town, ""])).order_by(t.c.effective_from, t.c.town)
        )
        return [_policy(r) for r in rows]

    def add_policy(self, policy: PayPolicy, created_by: str, at: datetime) -> None:
        self.session.execute(
            insert(orm.pay_policies).values(
                version=policy.version,
                town=policy.town,
                effective_from=policy.effective_from,
                weights=json.dumps(list(policy.weights_bp)),
                payout_rule=policy.payout_rule.value,
                curve=json.dumps([list(p) for p in policy.curve]),
                max_prior_strength=policy.max_prior_strength,
                pass_mark=policy.pass_mark,
                created_by=created_by,
                created_at=at,
            )
        )

    def add_manual_score(self, score: ManualScore) -> None:
        self.session.execute(
            insert(orm.manual_scores).values(
                town=score.town,
                worker=score.worker,
                period=score.period,
                score=score.score,
                reason=score.reason,
                scored_by=score.scored_by,
                scored_at=score.scored_at,
            )
        )

    def manual_scores(self, town: str, period: str) -> dict[str, ManualScore]:
        t = orm.manual_scores
        rows = self.session.execute(
            select(t).where(t.c.town == town, t.c.period == period).order_by(t.c.seq)
        )
        return {
            r.worker: ManualScore(
                r.town, r.worker, r.period, r.score, r.reason, r.scored_by, _utc(r.scored_at)
            )
            for r in rows
        }

    def add_run(self, run: PayRun) -> None:
        self.add_runs([run])

    def add_runs(self, runs: Sequence[PayRun]) -> None:
        if runs:
            self.session.execute(insert(orm.pay_runs), [_run_row(run) for run in runs])

    def all_policies(self) -> list[PayPolicy]:
        t = orm.pay_policies
        rows = self.session.execute(select(t).order_by(t.c.effective_from, t.c.town))
        return [_policy(r) for r in rows]

    def manual_scores_in(self, towns: Sequence[str], period: str) -> dict[str, ManualScore]:
        t = orm.manual_scores
        rows = self.session.execute(
            select(t).where(t.c.town.in_(list(towns)), t.c.period == period).order_by(t.c.seq)
        )
        return {
            r.worker: ManualScore(
                r.town, r.worker, r.period, r.score, r.reason, r.scored_by, _utc(r.scored_at)
            )
            for r in rows
        }

    def approved_towns(self, towns: Sequence[str], period: str) -> set[str]:
        t = orm.pay_runs
        rows = self.session.execute(
            select(t.c.town)
            .where(
                t.c.town.in_(list(towns)),
                t.c.period == period,
                t.c.state == RunState.APPROVED.value,
            )
            .distinct()
        )
        return {r.town for r in rows}

    def get_run(self, town: str, run_id: str) -> PayRun | None:
        t = orm.pay_runs
        row = self.session.execute(select(t).where(t.c.id == run_id, t.c.town == town)).first()
        return None if row is None else _run(row)

    def list_runs(
        self, town: str, period: str | None, before: str | None, limit: int
    ) -> list[PayRun]:
        t = orm.pay_runs
        query = select(t).where(t.c.town == town)
        if period:
            query = query.where(t.c.period == period)
        if before:
            query = query.where(t.c.id < before)
        rows = self.session.execute(query.order_by(t.c.id.desc()).limit(limit))
        return [_run(r, with_lines=False) for r in rows]

    def latest_approved(self, town: str, period: str) -> PayRun | None:
        t = orm.pay_runs
        row = self.session.execute(
            select(t)
            .where(t.c.town == town, t.c.period == period, t.c.state == RunState.APPROVED.value)
            .order_by(t.c.approved_at.desc(), t.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _run(row)

    def approve(self, run: PayRun) -> bool:
        t = orm.pay_runs
        result = self.session.execute(
            update(t)
            .where(and_(t.c.id == run.id, t.c.state == RunState.DRAFT.value))
            .values(
                state=RunState.APPROVED.value,
                approved_by=run.approved_by,
                approved_at=run.approved_at,
                approve_request_id=run.approve_request_id,
                lines=lines_to_json(run.lines),
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def yearly_result(self, worker: str, year: int) -> YearlyResult | None:
        t = orm.yearly_results
        row = self.session.execute(select(t).where(t.c.worker == worker, t.c.year == year)).first()
        return None if row is None else _yearly(row)

    def add_yearly_result(self, result: YearlyResult) -> None:
        self.session.execute(
            insert(orm.yearly_results).values(
                worker=result.worker,
                year=result.year,
                town=result.town,
                passed=result.passed,
                score=result.score,
                pass_mark=result.pass_mark,
                reason=result.reason,
                decided_by=result.decided_by,
                decided_at=result.decided_at,
            )
        )

    def yearly_results(self, workers: Sequence[str], year: int) -> list[YearlyResult]:
        t = orm.yearly_results
        rows = self.session.execute(
            select(t).where(t.c.worker.in_(list(workers)), t.c.year == year).order_by(t.c.worker)
        )
        return [_yearly(r) for r in rows]
