"""Rule F3: the expense categories the ring-fenced subsidy may pay for, a dated setting."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.i18n import tr


class ExpenseCategory(enum.Enum):
    WORKER_PAY = "worker_pay"
    PERFORMANCE_PAY = "performance_pay"
    TRAINING = "training"
    VISIT_TRANSPORT = "visit_transport"
    CLEANING_ASSISTANCE = "cleaning_assistance"
    #: Never in the default setting: spending on anything else is diversion (rule F3).
    OTHER = "other"


#: DOMAIN.md F3's list, seeded by the first migration.
DEFAULT_CATEGORIES: tuple[ExpenseCategory, ...] = (
    ExpenseCategory.WORKER_PAY,
    ExpenseCategory.PERFORMANCE_PAY,
    ExpenseCategory.TRAINING,
    ExpenseCategory.VISIT_TRANSPORT,
    ExpenseCategory.CLEANING_ASSISTANCE,
)


@dataclass(frozen=True)
class CategorySetting:
    effective_from: date
    categories: frozenset[ExpenseCategory]

    @property
    def name(self) -> str:
        return f"expenseCategories/{self.effective_from.isoformat()}"


def setting_on(settings: Sequence[CategorySetting], day: date) -> CategorySetting:
    effective = [s for s in settings if s.effective_from <= day]
    if not effective:
        raise FailedPrecondition(
            tr("no expense categories are in force on {day} (rule F3)", day=day.isoformat()),
            rule="F3",
        )
    return max(effective, key=lambda s: s.effective_from)


def admit_category(
    settings: Sequence[CategorySetting], day: date, category: ExpenseCategory | None
) -> ExpenseCategory:
    """Rule F3 (专款专用): only a category allowed on the day; anything else is diversion."""
    if category is None:
        raise InvalidArgument.field("expense.category", tr("is required"), rule="F3")
    allowed = setting_on(settings, day)
    if category not in allowed.categories:
        raise InvalidArgument.field(
            "expense.category",
            tr(
                "{category} is not an allowed use of the ring-fenced subsidy on {day} (rule F3)",
                category=category.value,
                day=day.isoformat(),
            ),
            rule="F3",
        )
    return category
