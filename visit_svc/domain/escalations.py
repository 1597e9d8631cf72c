"""An escalation's life (rules V3-V6): opened -> village contact notified -> action arranged
-> the worker's assistance recorded -> resolved; or cancelled. Deadlines are fixed when opened;
overdue and due soon are computed when asked, never stored. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sgz_runtime.errors import FailedPrecondition, InvalidArgument
from sgz_runtime.i18n import Text, tr
from visit_svc.domain.policy import Action, PlannedEscalation, Urgency
from visit_svc.domain.visits import CheckItem
from visit_svc.domain.weeks import local_date


class State(enum.Enum):
    OPENED = "opened"
    CONTACT_NOTIFIED = "contact_notified"
    ACTION_ARRANGED = "action_arranged"
    ASSISTANCE_RECORDED = "assistance_recorded"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


TERMINAL = (State.RESOLVED, State.CANCELLED)


class ContactChannel(enum.Enum):
    PHONE = "phone"
    IN_PERSON = "in_person"
    MESSAGE = "message"


class Outcome(enum.Enum):
    CLEANED = "cleaned"
    ADMITTED_TO_HOSPITAL = "admitted_to_hospital"
    #: Rule V8: the admission is done; the person's roster status changes from outcome_date.
    ADMITTED_TO_INSTITUTION = "admitted_to_institution"
    DECLINED_BY_PERSON = "declined_by_person"
    RESOLVED_OTHERWISE = "resolved_otherwise"


#: The outcomes each arranged action may end in.
OUTCOMES: dict[Action, tuple[Outcome, ...]] = {
    Action.CLEANING: (Outcome.CLEANED, Outcome.DECLINED_BY_PERSON, Outcome.RESOLVED_OTHERWISE),
    Action.HOSPITAL_ADMISSION: (
        Outcome.ADMITTED_TO_HOSPITAL,
        Outcome.DECLINED_BY_PERSON,
        Outcome.RESOLVED_OTHERWISE,
    ),
    Action.INSTITUTION_ADMISSION: (
        Outcome.ADMITTED_TO_INSTITUTION,
        Outcome.DECLINED_BY_PERSON,
        Outcome.RESOLVED_OTHERWISE,
    ),
}


#: How an action is named in messages.
ACTION_TEXT: dict[Action, Text] = {
    Action.CLEANING: tr("cleaning of the residence"),
    Action.HOSPITAL_ADMISSION: tr("hospital treatment"),
    Action.INSTITUTION_ADMISSION: tr("admission to a care institution"),
}


@dataclass
class Escalation:
    id: str
    visit_id: str
    person: str
    town: str
    village: str
    worker: str
    findings: tuple[CheckItem, ...]
    urgency: Urgency
    action: Action
    policy_version: str
    assistance_required: bool
    visit_at: datetime
    contact_deadline: datetime
    action_deadline: datetime
    state: State
    opened_at: datetime
    contact_name: str | None = None
    contact_channel: ContactChannel | None = None
    contact_at: datetime | None = None
    contact_note: str | None = None
    arranged_action: Action | None = None
    arranged_at: datetime | None = None
    action_date: date | None = None
    arrangement_note: str | None = None
    assisted_at: datetime | None = None
    assistance_note: str | None = None
    resolved_at: datetime | None = None
    outcome: Outcome | None = None
    outcome_date: date | None = None
    outcome_note: str | None = None
    roster_request_id: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    version: int = 1

    @property
    def name(self) -> str:
        return f"escalations/{self.id}"

    @property
    def last_step_at(self) -> datetime:
        """When the latest step happened: no later step may be dated before it."""
        steps = [self.visit_at, self.contact_at, self.arranged_at, self.assisted_at]
        return max(s for s in steps if s is not None)

    @property
    def taken_action(self) -> Action:
        """The action actually arranged (the escalation's own once arranged), which every
        later check follows."""
        return self.arranged_action or self.action

    @property
    def assistance_needed(self) -> bool:
        """Rules V4, V5: the worker assists with the procedures of an admission. Follows the
        action taken: an escalation stored before arrange() refused other actions may carry
        an admission arranged on a cleaning escalation."""
        if self.taken_action is self.action:
            return self.assistance_required
        return self.taken_action is not Action.CLEANING

    # -- deadlines (rule V6), computed when asked ----------------------------------------------

    def contact_overdue(self, now: datetime) -> bool:
        if self.state is State.CANCELLED:
            return False
        if self.contact_at is not None:
            return self.contact_at > self.contact_deadline
        return now > self.contact_deadline

    def action_overdue(self, now: datetime) -> bool:
        if self.state is State.CANCELLED:
            return False
        if self.arranged_at is not None:
            return self.arranged_at > self.action_deadline
        return now > self.action_deadline

    def overdue(self, now: datetime) -> bool:
        """A deadline passed with its step not done, or done late; cancelled ones never are."""
        return self.contact_overdue(now) or self.action_overdue(now)

    def next_deadline(self) -> datetime | None:
        """The deadline of the next step still to do, if it has one."""
        if self.state in TERMINAL:
            return None
        if self.contact_at is None:
            return self.contact_deadline
        if self.arranged_at is None:
            return self.action_deadline
        return None

    def due_soon(self, now: datetime, window: timedelta) -> bool:
        deadline = self.next_deadline()
        return deadline is not None and now <= deadline <= now + window

    def pending_overdue(self, now: datetime) -> bool:
        """The next step's deadline has passed and it is still not done."""
        deadline = self.next_deadline()
        return deadline is not None and now > deadline

    # -- transitions ------------------------------------------------------------------------------

    def _next_step(self) -> Text:
        """What is to be recorded next, in the words a worker uses."""
        if self.state is State.OPENED:
            return tr("record that the village contact was told")
        if self.state is State.CONTACT_NOTIFIED:
            return tr("record what the village arranged")
        if self.state is State.ACTION_ARRANGED and self.assistance_needed:
            return tr("record the assistance with the procedures")
        return tr("record the outcome")

    def _require(self, allowed: tuple[State, ...], doing: str, rule: str) -> None:
        """Refuses a step out of order, saying what to do instead."""
        if self.state in allowed:
            return
        if self.state in TERMINAL:
            raise FailedPrecondition(
                tr(
                    "{name} is already closed; if the need remains, record it at a visit and a "
                    "new escalation opens (rule {rule})",
                    name=self.name,
                    rule=rule,
                ),
                rule=rule,
            )
        order = list(State)
        if order.index(self.state) < min(order.index(s) for s in allowed):
            raise FailedPrecondition(
                tr("first {step} (rule {rule})", step=self._next_step(), rule=rule), rule=rule
            )
        raise FailedPrecondition(
            tr(
                "{name} has this step recorded already; next: {step} (rule {rule})",
                name=self.name,
                step=self._next_step(),
                rule=rule,
            ),
            rule=rule,
        )

    def _check_time(self, at: datetime, now: datetime, field: str, rule: str) -> None:
        if at > now:
            raise FailedPrecondition(
                tr("{field} is later than now; enter when it happened", field=field), rule=rule
            )
        if at < self.last_step_at:
            previous = tr("the visit") if at < self.visit_at else tr("the previous step")
            raise FailedPrecondition(
                tr(
                    "{field} is before {previous}; enter when it happened",
                    field=field,
                    previous=previous,
                ),
                rule=rule,
            )

    def notify_contact(
        self, name: str, channel: ContactChannel, at: datetime, note: str, now: datetime
    ) -> None:
        """Rules V3-V5: the village civil-affairs contact was told (who, when, how)."""
        rule = _contact_rule(self.action)
        self._require((State.OPENED,), "record the village contact", rule)
        if not name.strip():
            raise InvalidArgument.field("contact.display_name", tr("must not be blank"), rule=rule)
        self._check_time(at, now, "contact_time", rule)
        self.contact_name, self.contact_channel, self.contact_at = name, channel, at
        self.contact_note = note
        self.state = State.CONTACT_NOTIFIED

    def arrange(
        self, action: Action, action_date: date, at: datetime, note: str, now: datetime
    ) -> None:
        """The village arranged the action (cleaning, hospital or institution) for a date."""
        rule = _contact_rule(self.action)
        self._require((State.CONTACT_NOTIFIED,), "record the arrangement", rule)
        if action is not self.action:
            # A different need found at a visit opens its own escalation, with its own
            # urgency, deadlines and steps (issue 7: a cleaning turned admission skipped V4).
            raise InvalidArgument.field(
                "action",
                tr(
                    "this escalation is for {action}; a different need opens its own "
                    "escalation when a visit records it (rule {rule})",
                    action=ACTION_TEXT[self.action],
                    rule=rule,
                ),
                rule=rule,
            )
        self._check_time(at, now, "arrange_time", rule)
        self.arranged_action, self.action_date, self.arranged_at = action, action_date, at
        self.arrangement_note = note
        self.state = State.ACTION_ARRANGED

    def record_assistance(self, at: datetime, note: str, now: datetime) -> None:
        """Rules V4, V5: the worker helped with the procedures."""
        rule = "V4" if self.taken_action is Action.INSTITUTION_ADMISSION else "V5"
        self._require((State.ACTION_ARRANGED,), "record assistance", rule)
        if not note.strip():
            raise InvalidArgument.field("note", tr("must say what the worker did"), rule=rule)
        self._check_time(at, now, "assist_time", rule)
        self.assisted_at, self.assistance_note = at, note
        self.state = State.ASSISTANCE_RECORDED

    def check_resolution(
        self, outcome: Outcome, outcome_date: date | None, at: datetime, now: datetime
    ) -> None:
        """Whether resolve() would succeed, without changing anything (checked before the
        roster is told of an admission)."""
        action = self.taken_action
        rule = _contact_rule(action)
        if outcome not in OUTCOMES[action]:
            raise InvalidArgument.field(
                "outcome", tr("is not an outcome of {value}", value=action.value), rule=rule
            )
        if outcome in (Outcome.DECLINED_BY_PERSON, Outcome.RESOLVED_OTHERWISE):
            # The village was told; what followed is in the note.
            ready: tuple[State, ...] = (
                State.CONTACT_NOTIFIED,
                State.ACTION_ARRANGED,
                State.ASSISTANCE_RECORDED,
            )
        elif self.assistance_needed:
            # Rules V4, V5: the worker assists with the procedures before it is done.
            ready = (State.ASSISTANCE_RECORDED,)
        else:
            ready = (State.ACTION_ARRANGED, State.ASSISTANCE_RECORDED)
        self._require(ready, "resolve", rule)
        self._check_time(at, now, "resolve_time", rule)
        if outcome is Outcome.ADMITTED_TO_INSTITUTION:
            if outcome_date is None:
                raise InvalidArgument.field(
                    "outcome_date", tr("is required when the admission is done"), rule="V8"
                )
            if not local_date(self.visit_at) <= outcome_date <= local_date(at):
                raise InvalidArgument.field(
                    "outcome_date", tr("must be between the visit and the resolution"), rule="V8"
                )

    def resolve(
        self,
        outcome: Outcome,
        outcome_date: date | None,
        at: datetime,
        note: str,
        now: datetime,
        roster_request_id: str | None = None,
    ) -> None:
        self.check_resolution(outcome, outcome_date, at, now)
        self.outcome, self.outcome_date, self.resolved_at = outcome, outcome_date, at
        self.outcome_note, self.roster_request_id = note, roster_request_id
        self.state = State.RESOLVED

    def cancel(self, reason: str, at: datetime, now: datetime) -> None:
        rule = _contact_rule(self.action)
        self._require(tuple(s for s in State if s not in TERMINAL), "cancel", rule)
        if not reason.strip():
            raise InvalidArgument.field("reason", tr("must say why"), rule=rule)
        self._check_time(at, now, "cancel_time", rule)
        self.cancel_reason, self.cancelled_at = reason, at
        self.state = State.CANCELLED


def _contact_rule(action: Action) -> str:
    return {
        Action.CLEANING: "V3",
        Action.INSTITUTION_ADMISSION: "V4",
        Action.HOSPITAL_ADMISSION: "V5",
    }[action]


def open_escalation(
    escalation_id: str,
    planned: PlannedEscalation,
    *,
    visit_id: str,
    person: str,
    town: str,
    village: str,
    worker: str,
    visit_at: datetime,
    now: datetime,
) -> Escalation:
    """Rule V6: deadlines are counted from the visit, under the policy of the visit's day."""
    return Escalation(
        id=escalation_id,
        visit_id=visit_id,
        person=person,
        town=town,
        village=village,
        worker=worker,
        findings=planned.findings,
        urgency=planned.urgency,
        action=planned.action,
        policy_version=planned.policy_version,
        assistance_required=planned.assistance_required,
        visit_at=visit_at,
        contact_deadline=visit_at + planned.contact_within,
        action_deadline=visit_at + planned.action_within,
        state=State.OPENED,
        opened_at=now,
    )
