"""Conversions between visit protos and domain values, all in one place."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from google.protobuf import duration_pb2
from sgz.visit.v1 import visit_pb2 as pb

from sgz_runtime.errors import InvalidArgument
from sgz_runtime.i18n import tr
from sgz_runtime.proto_values import (
    date_to_pb,
    required_date,
    timestamp_from_pb,
    timestamp_to_pb,
)
from visit_svc.domain.due import WeekDue, missed
from visit_svc.domain.escalations import ContactChannel, Escalation, Outcome, State
from visit_svc.domain.policy import Action, PolicyRule, Urgency, VisitPolicy
from visit_svc.domain.visits import Check, CheckItem, CheckResult, Visit
from visit_svc.domain.weeks import IsoWeek
from visit_svc.service_layer.escalations import View

K = TypeVar("K")
V = TypeVar("V")

_RESULTS: dict[Any, CheckResult] = {
    pb.CHECK_RESULT_FINE: CheckResult.FINE,
    pb.CHECK_RESULT_PROBLEM: CheckResult.PROBLEM,
    pb.CHECK_RESULT_NOT_CHECKED: CheckResult.NOT_CHECKED,
}
_ITEMS: dict[Any, CheckItem] = {
    pb.CHECK_ITEM_RESIDENCE_HYGIENE: CheckItem.RESIDENCE_HYGIENE,
    pb.CHECK_ITEM_PERSONAL_HYGIENE: CheckItem.PERSONAL_HYGIENE,
    pb.CHECK_ITEM_REGULAR_DIET: CheckItem.REGULAR_DIET,
    pb.CHECK_ITEM_FOOD_SOURCE: CheckItem.FOOD_SOURCE,
    pb.CHECK_ITEM_ABLE_TO_FEED_SELF: CheckItem.ABLE_TO_FEED_SELF,
    pb.CHECK_ITEM_HOUSE_SAFETY: CheckItem.HOUSE_SAFETY,
    pb.CHECK_ITEM_ILLNESS: CheckItem.ILLNESS,
    pb.CHECK_ITEM_FIRE_ELECTRICITY_SAFETY: CheckItem.FIRE_ELECTRICITY_SAFETY,
    pb.CHECK_ITEM_SUBSIDY_ARRIVED: CheckItem.SUBSIDY_ARRIVED,
    pb.CHECK_ITEM_MENTAL_STATE: CheckItem.MENTAL_STATE,
}
_URGENCIES: dict[Any, Urgency] = {
    pb.URGENCY_IMMEDIATE: Urgency.IMMEDIATE,
    pb.URGENCY_PROMPT: Urgency.PROMPT,
}
_ACTIONS: dict[Any, Action] = {
    pb.ESCALATION_ACTION_CLEANING: Action.CLEANING,
    pb.ESCALATION_ACTION_HOSPITAL_ADMISSION: Action.HOSPITAL_ADMISSION,
    pb.ESCALATION_ACTION_INSTITUTION_ADMISSION: Action.INSTITUTION_ADMISSION,
}
_STATES: dict[Any, State] = {
    pb.ESCALATION_STATE_OPENED: State.OPENED,
    pb.ESCALATION_STATE_CONTACT_NOTIFIED: State.CONTACT_NOTIFIED,
    pb.ESCALATION_STATE_ACTION_ARRANGED: State.ACTION_ARRANGED,
    pb.ESCALATION_STATE_ASSISTANCE_RECORDED: State.ASSISTANCE_RECORDED,
    pb.ESCALATION_STATE_RESOLVED: State.RESOLVED,
    pb.ESCALATION_STATE_CANCELLED: State.CANCELLED,
}
_CHANNELS: dict[Any, ContactChannel] = {
    pb.CONTACT_CHANNEL_PHONE: ContactChannel.PHONE,
    pb.CONTACT_CHANNEL_IN_PERSON: ContactChannel.IN_PERSON,
    pb.CONTACT_CHANNEL_MESSAGE: ContactChannel.MESSAGE,
}
_OUTCOMES: dict[Any, Outcome] = {
    pb.ESCALATION_OUTCOME_CLEANED: Outcome.CLEANED,
    pb.ESCALATION_OUTCOME_ADMITTED_TO_HOSPITAL: Outcome.ADMITTED_TO_HOSPITAL,
    pb.ESCALATION_OUTCOME_ADMITTED_TO_INSTITUTION: Outcome.ADMITTED_TO_INSTITUTION,
    pb.ESCALATION_OUTCOME_DECLINED_BY_PERSON: Outcome.DECLINED_BY_PERSON,
    pb.ESCALATION_OUTCOME_RESOLVED_OTHERWISE: Outcome.RESOLVED_OTHERWISE,
}
_VIEWS: dict[Any, View] = {
    pb.ESCALATION_VIEW_UNSPECIFIED: View.OPEN,
    pb.ESCALATION_VIEW_ALL: View.ALL,
    pb.ESCALATION_VIEW_OPEN: View.OPEN,
    pb.ESCALATION_VIEW_DUE_SOON: View.DUE_SOON,
    pb.ESCALATION_VIEW_OVERDUE: View.OVERDUE,
}


def _inverse(table: dict[K, V]) -> dict[V, K]:
    return {v: k for k, v in table.items()}


_ITEMS_PB = _inverse(_ITEMS)
_RESULTS_PB = _inverse(_RESULTS)
_URGENCIES_PB = _inverse(_URGENCIES)
_ACTIONS_PB = _inverse(_ACTIONS)
_STATES_PB = _inverse(_STATES)
_CHANNELS_PB = _inverse(_CHANNELS)
_OUTCOMES_PB = _inverse(_OUTCOMES)


def enum_value(table: dict[K, V], value: K, field: str, rule: str | None = None) -> V:
    """A proto enum value to its domain value; unset or outside the enum is refused."""
    try:
        return table[value]
    except KeyError:
        raise InvalidArgument.field(
            field, tr("set it to one of the values /openapi.json lists for this field"), rule=rule
        ) from None


def duration_to_pb(span: timedelta) -> duration_pb2.Duration:
    out = duration_pb2.Duration()
    out.FromTimedelta(span)
    return out


def week_from_text(text: str, field: str) -> IsoWeek:
    try:
        return IsoWeek.parse(text)
    except ValueError:
        raise InvalidArgument.field(
            field, tr("write the ISO week like 2026-W48 (China Standard Time)"), rule="V1"
        ) from None


# -- visits -----------------------------------------------------------------------------------


def visit_from_pb(message: pb.Visit) -> Visit:
    checks: dict[CheckItem, Check] = {}
    for item in CheckItem:
        if not message.checks.HasField(item.value):
            continue
        check = getattr(message.checks, item.value)
        result = enum_value(_RESULTS, check.result, f"visit.checks.{item.value}.result", rule="V2")
        checks[item] = Check(result, check.note)
    return Visit(
        id="",
        person=message.person,
        town="",
        village="",
        worker=message.worker,
        visited_at=timestamp_from_pb(message.visit_time),
        checks=checks,
        notes=message.notes,
    )


def visit_to_pb(visit: Visit) -> pb.Visit:
    checks = pb.VisitChecks()
    for item, check in visit.checks.items():
        getattr(checks, item.value).CopyFrom(
            pb.Check(result=_RESULTS_PB[check.result], note=check.note)
        )
    return pb.Visit(
        name=visit.name,
        person=visit.person,
        worker=visit.worker,
        visit_time=timestamp_to_pb(visit.visited_at),
        checks=checks,
        notes=visit.notes,
        town=visit.town,
        village=visit.village,
        substitute_for=visit.substitute_for or "",
        escalations=visit.escalations,
        recorder=visit.recorded_by,
        record_time=timestamp_to_pb(visit.recorded_at),
    )


def person_week_to_pb(due: WeekDue, now: datetime) -> pb.PersonWeek:
    return pb.PersonWeek(
        person=due.person,
        display_name=due.display_name,
        village=due.village,
        worker=due.worker,
        substitutes=due.substitutes,
        week=str(due.week),
        required_visits=due.required,
        visits_made=due.made,
        visited=due.visited,
        missed=missed(due, now),
    )


# -- escalations ------------------------------------------------------------------------------


def escalation_to_pb(e: Escalation, now: datetime) -> pb.Escalation:
    out = pb.Escalation(
        name=e.name,
        visit=f"visits/{e.visit_id}",
        person=e.person,
        town=e.town,
        village=e.village,
        worker=e.worker,
        findings=[_ITEMS_PB[f] for f in e.findings],
        urgency=_URGENCIES_PB[e.urgency],
        action=_ACTIONS_PB[e.action],
        policy_version=e.policy_version,
        assistance_required=e.assistance_required,
        visit_time=timestamp_to_pb(e.visit_at),
        contact_deadline=timestamp_to_pb(e.contact_deadline),
        action_deadline=timestamp_to_pb(e.action_deadline),
        state=_STATES_PB[e.state],
        open_time=timestamp_to_pb(e.opened_at),
        contact_overdue=e.contact_overdue(now),
        action_overdue=e.action_overdue(now),
        next_deadline=timestamp_to_pb(e.next_deadline()),
        etag=str(e.version),
    )
    if e.contact_at is not None and e.contact_channel is not None:
        out.contact.CopyFrom(
            pb.VillageContactNotice(
                display_name=e.contact_name or "",
                channel=_CHANNELS_PB[e.contact_channel],
                contact_time=timestamp_to_pb(e.contact_at),
                note=e.contact_note or "",
            )
        )
    if e.arranged_at is not None and e.arranged_action is not None:
        out.arrangement.CopyFrom(
            pb.ActionArrangement(
                action=_ACTIONS_PB[e.arranged_action],
                action_date=date_to_pb(e.action_date),
                arrange_time=timestamp_to_pb(e.arranged_at),
                note=e.arrangement_note or "",
            )
        )
    if e.assisted_at is not None:
        out.assistance.CopyFrom(
            pb.Assistance(assist_time=timestamp_to_pb(e.assisted_at), note=e.assistance_note or "")
        )
    if e.resolved_at is not None and e.outcome is not None:
        out.resolution.CopyFrom(
            pb.Resolution(
                outcome=_OUTCOMES_PB[e.outcome],
                outcome_date=date_to_pb(e.outcome_date),
                resolve_time=timestamp_to_pb(e.resolved_at),
                note=e.outcome_note or "",
                roster_request_id=e.roster_request_id or "",
            )
        )
    if e.cancelled_at is not None:
        out.cancellation.CopyFrom(
            pb.Cancellation(
                reason=e.cancel_reason or "", cancel_time=timestamp_to_pb(e.cancelled_at)
            )
        )
    return out


def channel_from_pb(value: int) -> ContactChannel:
    return enum_value(_CHANNELS, value, "contact.channel")


def action_from_pb(value: int) -> Action:
    return enum_value(_ACTIONS, value, "arrangement.action")


def outcome_from_pb(value: int) -> Outcome:
    return enum_value(_OUTCOMES, value, "resolution.outcome")


def view_from_pb(value: int) -> View:
    return enum_value(_VIEWS, value, "view")


# -- policies ---------------------------------------------------------------------------------


def policy_from_pb(message: pb.VisitPolicy, version: str) -> VisitPolicy:
    rules = []
    for i, rule in enumerate(message.rules):
        path = f"policy.rules[{i}]"
        rules.append(
            PolicyRule(
                finding=enum_value(_ITEMS, rule.finding, path + ".finding", "V6"),
                urgency=enum_value(_URGENCIES, rule.urgency, path + ".urgency", "V6"),
                action=enum_value(_ACTIONS, rule.action, path + ".action", "V6"),
                contact_within=rule.contact_within.ToTimedelta(),
                action_within=rule.action_within.ToTimedelta(),
                assistance_required=rule.assistance_required,
            )
        )
    return VisitPolicy(
        version=version,
        effective_from=required_date(message.effective_date, "policy.effective_date"),
        visits_per_week=message.visits_per_week,
        due_soon=message.due_soon.ToTimedelta(),
        rules=tuple(rules),
        extra_checks=tuple(
            enum_value(_ITEMS, item, f"policy.extra_checks[{i}]", "V2")
            for i, item in enumerate(message.extra_checks)
        ),
    )


def policy_to_pb(policy: VisitPolicy) -> pb.VisitPolicy:
    return pb.VisitPolicy(
        name=f"visitPolicies/{policy.version}",
        effective_date=date_to_pb(policy.effective_from),
        visits_per_week=policy.visits_per_week,
        due_soon=duration_to_pb(policy.due_soon),
        rules=[
            pb.EscalationRule(
                finding=_ITEMS_PB[r.finding],
                urgency=_URGENCIES_PB[r.urgency],
                action=_ACTIONS_PB[r.action],
                contact_within=duration_to_pb(r.contact_within),
                action_within=duration_to_pb(r.action_within),
                assistance_required=r.assistance_required,
            )
            for r in policy.rules
        ],
        extra_checks=[_ITEMS_PB[c] for c in policy.extra_checks],
    )
