"""The dated visit policy: weekly frequency (rule V1) and the escalation table (rules V3-V6).

The table is data: finding -> urgency -> required action -> deadlines. A version applies from
its date; an escalation keeps the version and deadlines it was opened under.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

from sgz_runtime.errors import FailedPrecondition, FieldViolation, InvalidArgument
from sgz_runtime.i18n import tr
from visit_svc.domain.visits import DEFAULT_EXTRA_CHECKS, TEXT_CHECKS, CheckItem


class Urgency(enum.Enum):
    #: Rule V4: contact the village contact immediately (立即).
    IMMEDIATE = "immediate"
    #: Rules V3, V5: contact the village contact promptly (及时).
    PROMPT = "prompt"


#: Most urgent first.
URGENCY_ORDER = (Urgency.IMMEDIATE, Urgency.PROMPT)


class Action(enum.Enum):
    #: Rule V3: the village arranges cleaning of the residence.
    CLEANING = "cleaning"
    #: Rule V5: hospital treatment is arranged.
    HOSPITAL_ADMISSION = "hospital_admission"
    #: Rule V4: the person moves to a centralised care institution (集中供养机构).
    INSTITUTION_ADMISSION = "institution_admission"


@dataclass(frozen=True)
class PolicyRule:
    finding: CheckItem
    urgency: Urgency
    action: Action
    contact_within: timedelta
    action_within: timedelta
    #: Rules V4, V5: the worker assists with the procedures before the escalation resolves.
    assistance_required: bool


@dataclass(frozen=True)
class VisitPolicy:
    version: str
    effective_from: date
    #: Rule V1: visits due per dispersed person per ISO week.
    visits_per_week: int
    #: How far ahead a deadline counts as "due soon" in the lists.
    due_soon: timedelta
    rules: tuple[PolicyRule, ...] = field(default_factory=tuple)
    #: Rule V2 (Default): checks asked at every visit besides the text's five.
    extra_checks: tuple[CheckItem, ...] = field(default_factory=tuple)

    def rule_for(self, finding: CheckItem) -> PolicyRule | None:
        for rule in self.rules:
            if rule.finding is finding:
                return rule
        return None


@dataclass(frozen=True)
class PlannedEscalation:
    """What one required action of a visit's findings calls for under a policy."""

    action: Action
    urgency: Urgency
    findings: tuple[CheckItem, ...]
    contact_within: timedelta
    action_within: timedelta
    assistance_required: bool
    policy_version: str


def policy_on(policies: list[VisitPolicy], day: date) -> VisitPolicy:
    """The version in effect on day: the latest one effective on or before it."""
    effective = [p for p in policies if p.effective_from <= day]
    if not effective:
        raise FailedPrecondition(
            tr("no visit policy is in effect on {day}", day=day.isoformat()), rule="V6"
        )
    return max(effective, key=lambda p: p.effective_from)


def plan_escalations(policy: VisitPolicy, findings: list[CheckItem]) -> list[PlannedEscalation]:
    """One escalation per required action (rules V3-V5): the most urgent of its findings sets
    the urgency and the tightest deadlines apply."""
    by_action: dict[Action, list[PolicyRule]] = {}
    for finding in findings:
        rule = policy.rule_for(finding)
        if rule is not None:
            by_action.setdefault(rule.action, []).append(rule)
    planned: list[PlannedEscalation] = []
    for action in Action:
        rules = by_action.get(action)
        if not rules:
            continue
        planned.append(
            PlannedEscalation(
                action=action,
                urgency=min((r.urgency for r in rules), key=URGENCY_ORDER.index),
                findings=tuple(r.finding for r in rules),
                contact_within=min(r.contact_within for r in rules),
                action_within=min(r.action_within for r in rules),
                assistance_required=any(r.assistance_required for r in rules),
                policy_version=policy.version,
            )
        )
    return planned


def check_policy(policy: VisitPolicy, prefix: str = "policy.") -> None:
    violations: list[FieldViolation] = []
    if policy.visits_per_week < 1:
        violations.append(
            FieldViolation(prefix + "visits_per_week", tr("must be at least 1"), "V1")
        )
    if policy.due_soon <= timedelta(0):
        violations.append(FieldViolation(prefix + "due_soon", tr("must be positive"), "V6"))
    for i, item in enumerate(policy.extra_checks):
        if item in TEXT_CHECKS or item in policy.extra_checks[:i]:
            violations.append(
                FieldViolation(
                    f"{prefix}extra_checks[{i}]",
                    tr("is already asked at every visit; name each extra check once"),
                    "V2",
                )
            )
    seen: set[CheckItem] = set()
    for i, rule in enumerate(policy.rules):
        path = f"{prefix}rules[{i}]"
        if rule.finding in seen:
            violations.append(FieldViolation(path + ".finding", tr("appears twice"), "V6"))
        seen.add(rule.finding)
        if rule.contact_within <= timedelta(0):
            violations.append(
                FieldViolation(path + ".contact_within", tr("must be positive"), "V6")
            )
        if rule.action_within < rule.contact_within:
            violations.append(
                FieldViolation(
                    path + ".action_within", tr("must not be shorter than contact_within"), "V6"
                )
            )
    if violations:
        raise InvalidArgument(tr("the visit policy is not valid"), violations, rule="V6")


def default_policy(effective_from: date) -> VisitPolicy:
    """The DOMAIN.md defaults (V1, V3-V6), seeded as the first version by the migration."""
    hours, days = timedelta(hours=1), timedelta(days=1)

    def rule(item: CheckItem, urgency: Urgency, action: Action) -> PolicyRule:
        contact = 2 * hours if urgency is Urgency.IMMEDIATE else 24 * hours
        within = {
            Action.CLEANING: 3 * days,
            Action.HOSPITAL_ADMISSION: 1 * days,
            Action.INSTITUTION_ADMISSION: 7 * days,
        }[action]
        return PolicyRule(item, urgency, action, contact, within, action is not Action.CLEANING)

    return VisitPolicy(
        version="v1",
        effective_from=effective_from,
        visits_per_week=1,
        due_soon=timedelta(hours=24),
        rules=(
            rule(CheckItem.RESIDENCE_HYGIENE, Urgency.PROMPT, Action.CLEANING),
            rule(CheckItem.PERSONAL_HYGIENE, Urgency.PROMPT, Action.CLEANING),
            rule(CheckItem.REGULAR_DIET, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION),
            rule(CheckItem.FOOD_SOURCE, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION),
            rule(CheckItem.ABLE_TO_FEED_SELF, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION),
            rule(CheckItem.HOUSE_SAFETY, Urgency.IMMEDIATE, Action.INSTITUTION_ADMISSION),
            rule(CheckItem.ILLNESS, Urgency.PROMPT, Action.HOSPITAL_ADMISSION),
        ),
        extra_checks=DEFAULT_EXTRA_CHECKS,
    )
