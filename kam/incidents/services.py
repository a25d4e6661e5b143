"""Incidents' lifecycle: opened (by the audit or an override), explained by the violator,
investigated and decided by the handler (a sanction and corrective actions), closed once the
actions are done, or dismissed as a false alarm; overdue ones escalate to the director.

Every change is an IncidentEvent row and an audit row; the permission of each step is asked of
kam.web.access.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import actor_label_for, audit_record
from kam.incidents.choices import (
    UNDECIDED_STATES,
    EventKind,
    IncidentKind,
    IncidentState,
    Measure,
)
from kam.incidents.models import CorrectiveAction, Incident, IncidentEvent, Sanction, SanctionKind
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.organization.selectors import department_head, director
from kam.rules.choices import HandlerRole
from kam.rules.models import RuleVersion
from kam.web import access

AnyUser = access.AnyUser
#: Incidents escalated by one statement (SQLite takes a limited number of parameters).
ESCALATE_CHUNK = 5000


# --- Who handles -------------------------------------------------------------------------------


class Handlers:
    """Resolves the handler of incidents by role, reading each department head once."""

    def __init__(self) -> None:
        # The violator's department head; where the department has none, their own manager.
        self._heads: dict[int, int | None] = {
            pk: head or manager
            for pk, head, manager in Employee.objects.values_list(
                "pk", "department__head_id", "manager_id"
            )
        }
        self._departments: dict[int, int | None] = dict(
            Employee.objects.values_list("pk", "department_id")
        )
        self._director = director()
        self._by_role = {
            HandlerRole.KEY_ACCOUNT_HEAD: department_head(DepartmentKind.KEY_ACCOUNTS),
            HandlerRole.CREDIT_COMMITTEE: department_head(DepartmentKind.CREDIT_COMMITTEE),
            HandlerRole.DIRECTOR: self._director,
        }

    @property
    def director(self) -> int | None:
        return self._director

    def department_of(self, employee_id: int | None) -> int | None:
        return self._departments.get(employee_id) if employee_id is not None else None

    def handler(self, role: str, violator_id: int | None) -> int | None:
        """The employee who handles: the role's holder, the director when that would be the
        violator (nobody handles their own incident) or when nobody holds the role."""
        if role == HandlerRole.DEPARTMENT_HEAD:
            chosen = self._heads.get(violator_id) if violator_id is not None else None
        else:
            chosen = self._by_role.get(HandlerRole(role))
        if chosen is None or chosen == violator_id:
            chosen = self._director
        return chosen


# --- Opening -----------------------------------------------------------------------------------


@dataclass
class Breach:
    """One subject breaking one rule version, as the audit or a guard found it."""

    version: RuleVersion
    subject_type: str
    subject_id: int | None
    subject_key: str
    period: str
    subject_date: dt.date | None
    client_id: int | None
    violator_id: int | None
    facts: dict[str, Any]


def new_incident(
    breach: Breach, handlers: Handlers, *, today: dt.date, kind: str = IncidentKind.VIOLATION
) -> Incident:
    """An unsaved incident for ``breach`` (the audit writes them in bulk)."""
    version = breach.version
    return Incident(
        rule_id=version.rule_id,
        rule_version=version,
        kind=kind,
        subject_type=breach.subject_type,
        subject_id=breach.subject_id,
        subject_key=breach.subject_key[:128],
        period=breach.period[:32],
        subject_date=breach.subject_date,
        client_id=breach.client_id,
        violator_id=breach.violator_id,
        department_id=handlers.department_of(breach.violator_id),
        handler_id=handlers.handler(version.handler_role, breach.violator_id),
        handler_role=version.handler_role,
        severity=version.severity,
        subprocess=version.subprocess,
        facts=breach.facts,
        deadline=today + dt.timedelta(days=version.response_days),
    )


def _event(
    incident: Incident,
    kind: str,
    before: str,
    user: AnyUser | None,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> IncidentEvent:
    return IncidentEvent.objects.create(
        incident=incident,
        kind=kind,
        state_before=before,
        state=incident.state,
        text=text,
        data=data or {},
        actor=access.acting_user(user),
        actor_label=actor_label_for(user),
    )


@transaction.atomic
def incident_open_override(*, breach: Breach, user: AnyUser | None, reason: str) -> Incident:
    """The incident of an authorised override: the action went through and the deviation is
    recorded all the same (no silent bypass). A second override of the same slot adds to the
    story of the incident already there."""
    now = timezone.now()
    existing = (
        Incident.objects.select_for_update()
        .filter(
            rule_id=breach.version.rule_id,
            subject_type=breach.subject_type,
            subject_key=breach.subject_key[:128],
            period=breach.period[:32],
        )
        .first()
    )
    if existing is not None:
        _event(
            existing,
            EventKind.OVERRIDDEN,
            existing.state,
            user,
            reason,
            {"message": breach.version.message(breach.facts)},
        )
        return existing
    incident = new_incident(
        breach, Handlers(), today=timezone.localdate(), kind=IncidentKind.OVERRIDE
    )
    incident.overridden_by = access.acting_user(user)
    incident.override_reason = reason
    incident.save()
    _event(incident, EventKind.OVERRIDDEN, "", user, reason, {"at": now.isoformat()})
    audit_record(
        actor=user,
        action="incident.override",
        obj=incident,
        summary=f"{incident.rule.code}: {incident.subject_key}",
        data={"reason": reason, "rule_version": incident.rule_version_id},
    )
    return incident


# --- The lifecycle -----------------------------------------------------------------------------


def _lock(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update()
        .select_related("rule", "rule_version")
        .get(pk=incident.pk)
    )


def _refuse_final(incident: Incident) -> None:
    if incident.is_final:
        raise ValidationError(
            _("The incident is %(state)s: nothing more is recorded on it.")
            % {"state": incident.get_state_display().lower()}
        )


def _audit(
    user: AnyUser | None, action: str, incident: Incident, summary: str, **data: Any
) -> None:
    audit_record(actor=user, action=f"incident.{action}", obj=incident, summary=summary, data=data)


def require_handler(incident: Incident, user: AnyUser | None) -> None:
    if user is not None and not access.can_handle_incident(user, incident):
        raise PermissionDenied(_("This incident is handled by its handler or the director."))


@transaction.atomic
def incident_explain(*, incident: Incident, user: AnyUser | None, explanation: str) -> Incident:
    """The violator's explanation; an open incident goes under investigation."""
    incident = _lock(incident)
    _refuse_final(incident)
    if user is not None and not access.can_explain_incident(user, incident):
        raise PermissionDenied(_("Only the employee the incident names writes the explanation."))
    explanation = explanation.strip()
    if not explanation:
        raise ValidationError({"explanation": _("Write what happened and why.")})
    if incident.state == IncidentState.DECIDED:
        raise ValidationError(_("The incident is decided: the explanation can no longer change."))
    before = incident.state
    incident.explanation = explanation
    incident.explained_at = timezone.now()
    if incident.state == IncidentState.OPEN:
        incident.state = IncidentState.INVESTIGATING
    incident.save(update_fields=["explanation", "explained_at", "state"])
    _event(incident, EventKind.EXPLAINED, before, user, explanation)
    _audit(user, "explained", incident, "explanation written")
    return incident


@transaction.atomic
def incident_investigate(
    *, incident: Incident, user: AnyUser | None, comment: str = ""
) -> Incident:
    """The handler takes the incident up (and asks the violator to explain)."""
    incident = _lock(incident)
    _refuse_final(incident)
    require_handler(incident, user)
    if incident.state != IncidentState.OPEN:
        raise ValidationError(_("Only an open incident is taken up for investigation."))
    before = incident.state
    incident.state = IncidentState.INVESTIGATING
    incident.save(update_fields=["state"])
    _event(incident, EventKind.INVESTIGATING, before, user, comment.strip())
    _audit(user, "investigating", incident, "investigation started")
    return incident


@transaction.atomic
def incident_comment(*, incident: Incident, user: AnyUser | None, text: str) -> IncidentEvent:
    """A remark in the incident's story by whoever takes part in it."""
    incident = _lock(incident)
    if user is not None and not (
        access.can_handle_incident(user, incident) or access.can_explain_incident(user, incident)
    ):
        raise PermissionDenied(_("Only the violator, the handler and the director comment."))
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the comment.")})
    return _event(incident, EventKind.COMMENT, incident.state, user, text)


@dataclass
class ActionInput:
    description: str
    owner: Employee | None
    due: dt.date | None


def _clean_measure(
    kind: SanctionKind, amount: Any, percent: Any
) -> tuple[Decimal | None, Decimal | None]:
    def number(value: Any, field: str) -> Decimal | None:
        if value in (None, ""):
            return None
        try:
            parsed = Decimal(str(value).replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise ValidationError({field: _("Enter a number.")}) from None
        if parsed < 0:
            raise ValidationError({field: _("Enter a number of 0 or more.")})
        return parsed

    amount_value, percent_value = number(amount, "amount"), number(percent, "percent")
    if kind.measure == Measure.AMOUNT:
        if amount_value is None or amount_value == 0:
            raise ValidationError({"amount": _("A fine needs its amount.")})
        return amount_value, None
    if kind.measure == Measure.PERCENT:
        if percent_value is None or not 0 < percent_value <= 100:
            raise ValidationError(
                {"percent": _("Give the reduction in percent, above 0 up to 100.")}
            )
        return None, percent_value
    return None, None


@transaction.atomic
def incident_decide(
    *,
    incident: Incident,
    user: AnyUser | None,
    conclusion: str,
    sanction: SanctionKind,
    actions: list[ActionInput],
    amount: Any = None,
    percent: Any = None,
    sanction_comment: str = "",
) -> Incident:
    """The handler's decision on an incident under investigation: the conclusion, the sanction
    against the violator (or "no sanction") and at least one corrective action."""
    incident = _lock(incident)
    _refuse_final(incident)
    require_handler(incident, user)
    if incident.state != IncidentState.INVESTIGATING:
        raise ValidationError(
            _(
                "Decide after the investigation: take the incident up (or let the violator "
                "explain) first."
            )
        )
    errors: dict[str, Any] = {}
    conclusion = conclusion.strip()
    if not conclusion:
        errors["conclusion"] = _("Write the conclusion of the investigation.")
    if not sanction.is_active:
        errors["sanction"] = _("This sanction is no longer in the catalogue.")
    cleaned = [a for a in actions if a.description.strip() or a.owner or a.due]
    if not cleaned:
        errors["actions"] = _("Name at least one corrective action, its owner and due date.")
    for position, action in enumerate(cleaned, start=1):
        if not action.description.strip() or action.owner is None or action.due is None:
            errors["actions"] = _(
                "Corrective action %(n)s: say what is to be done, who does it and by when."
            ) % {"n": position}
    try:
        amount_value, percent_value = _clean_measure(sanction, amount, percent)
    except ValidationError as error:
        errors.update(error.message_dict)
        amount_value = percent_value = None
    if errors:
        raise ValidationError(errors)
    before = incident.state
    now = timezone.now()
    record = Sanction.objects.create(
        incident=incident,
        kind=sanction,
        employee_id=incident.violator_id,
        amount=amount_value,
        percent=percent_value,
        comment=sanction_comment.strip(),
        decided_by=access.acting_user(user),
    )
    for action in cleaned:
        assert action.owner is not None and action.due is not None  # checked above
        CorrectiveAction.objects.create(
            incident=incident,
            description=action.description.strip(),
            owner=action.owner,
            due=action.due,
            created_by=access.acting_user(user),
        )
    incident.state = IncidentState.DECIDED
    incident.decision = conclusion
    incident.decided_at = now
    incident.decided_by = access.acting_user(user)
    incident.save(update_fields=["state", "decision", "decided_at", "decided_by"])
    _event(
        incident,
        EventKind.DECIDED,
        before,
        user,
        conclusion,
        {"sanction": record.measure_text(), "actions": len(cleaned)},
    )
    _audit(
        user,
        "decided",
        incident,
        f"{sanction.code}, {len(cleaned)} corrective action(s)",
        sanction=sanction.code,
        amount=str(amount_value) if amount_value is not None else None,
        percent=str(percent_value) if percent_value is not None else None,
    )
    return incident


@transaction.atomic
def corrective_action_done(
    *, action: CorrectiveAction, user: AnyUser | None, outcome: str, done_on: dt.date | None = None
) -> CorrectiveAction:
    action = (
        CorrectiveAction.objects.select_for_update().select_related("incident").get(pk=action.pk)
    )
    incident = _lock(action.incident)
    _refuse_final(incident)
    if user is not None and not access.can_complete_corrective_action(user, action):
        raise PermissionDenied(_("The action's owner or the incident's handler marks it done."))
    if action.done_on is not None:
        raise ValidationError(_("This action is already done."))
    outcome = outcome.strip()
    if not outcome:
        raise ValidationError({"outcome": _("Say what was done.")})
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("An action is not done in the future.")})
    action.done_on = done_on
    action.outcome = outcome
    action.done_by = access.acting_user(user)
    action.save(update_fields=["done_on", "outcome", "done_by"])
    _event(incident, EventKind.ACTION_DONE, incident.state, user, outcome, {"action": action.pk})
    _audit(user, "action_done", incident, action.description[:80], corrective_action=action.pk)
    return action


@transaction.atomic
def incident_close(*, incident: Incident, user: AnyUser | None, comment: str = "") -> Incident:
    """A decided incident closes when every corrective action is done."""
    incident = _lock(incident)
    _refuse_final(incident)
    require_handler(incident, user)
    if incident.state != IncidentState.DECIDED:
        raise ValidationError(_("Only a decided incident is closed."))
    open_actions = incident.corrective_actions.filter(done_on__isnull=True).count()
    if open_actions:
        raise ValidationError(
            _("%(n)s corrective action(s) not done yet: the incident closes when all are done.")
            % {"n": open_actions}
        )
    before = incident.state
    incident.state = IncidentState.CLOSED
    incident.closed_at = timezone.now()
    incident.closed_by = access.acting_user(user)
    incident.save(update_fields=["state", "closed_at", "closed_by"])
    _event(incident, EventKind.CLOSED, before, user, comment.strip())
    _audit(user, "closed", incident, "closed")
    return incident


@transaction.atomic
def incident_dismiss(*, incident: Incident, user: AnyUser | None, reason: str) -> Incident:
    """A false alarm: the rule (or its data) was wrong. Counts against the rule's precision."""
    incident = _lock(incident)
    _refuse_final(incident)
    require_handler(incident, user)
    if incident.state not in UNDECIDED_STATES:
        raise ValidationError(_("A decided incident is not dismissed."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this is a false alarm.")})
    before = incident.state
    incident.state = IncidentState.DISMISSED
    incident.dismissed_reason = reason
    incident.closed_at = timezone.now()
    incident.closed_by = access.acting_user(user)
    incident.save(update_fields=["state", "dismissed_reason", "closed_at", "closed_by"])
    _event(incident, EventKind.DISMISSED, before, user, reason)
    _audit(user, "dismissed", incident, reason[:80])
    return incident


def incidents_escalate(*, today: dt.date | None = None, user: AnyUser | None = None) -> int:
    """Incidents past their deadline and still undecided go to the director (once each), in
    bulk: the day a large audit's incidents pass their deadline is one statement per chunk."""
    today = today or timezone.localdate()
    director_id = director()
    overdue = list(
        Incident.objects.filter(
            state__in=UNDECIDED_STATES, deadline__lt=today, escalated_at__isnull=True
        ).values_list("pk", "handler_id", "state", "deadline")
    )
    if not overdue:
        return 0
    now = timezone.now()
    actor, label = access.acting_user(user), actor_label_for(user)
    changes: dict[str, Any] = {"escalated_at": now, "handler_role": HandlerRole.DIRECTOR}
    if director_id is not None:
        changes["handler_id"] = director_id
    with transaction.atomic():
        for start in range(0, len(overdue), ESCALATE_CHUNK):
            chunk = overdue[start : start + ESCALATE_CHUNK]
            Incident.objects.filter(pk__in=[pk for pk, *_rest in chunk]).update(**changes)
            IncidentEvent.objects.bulk_create(
                [
                    IncidentEvent(
                        incident_id=pk,
                        kind=EventKind.ESCALATED,
                        state_before=state,
                        state=state,
                        text=_("Not decided by %(date)s.") % {"date": deadline.isoformat()},
                        data={"handler_before": handler},
                        actor=actor,
                        actor_label=label,
                    )
                    for pk, handler, state, deadline in chunk
                ]
            )
        audit_record(
            actor=user,
            action="incident.escalated",
            summary=f"{len(overdue)} incident(s) escalated to the director",
            data={"incidents": [pk for pk, *_rest in overdue][:1000]},
        )
    return len(overdue)


# --- The catalogue of sanctions ----------------------------------------------------------------


def sanction_kind_in_use(kind: SanctionKind) -> bool:
    """Whether a decision applied it or a rule names it as its default sanction."""
    return (
        Sanction.objects.filter(kind=kind).exists()
        or RuleVersion.objects.filter(default_sanction=kind).exists()
    )


@transaction.atomic
def sanction_kind_save(
    *,
    kind: SanctionKind | None,
    user: AnyUser | None,
    code: str | None = None,
    name_ru: str | None = None,
    name_en: str | None = None,
    measure: str | None = None,
    is_sanction: bool | None = None,
    position: int | None = None,
    is_active: bool | None = None,
) -> SanctionKind:
    """Add a kind of sanction (``kind`` None) or change one: names, what it carries, whether it
    is a real sanction, its position, whether it is in use. The code never changes; what a kind
    carries does not change once a decision applied it (its sanctions would lose their
    meaning). Taking a kind out of use keeps every sanction that applied it."""
    if user is not None and not access.can_manage_sanctions(user):
        raise PermissionDenied(_("The catalogue of sanctions is changed by the sales director."))
    creating = kind is None
    if kind is None:
        kind = SanctionKind(code=(code or "").strip())
    else:
        kind = SanctionKind.objects.select_for_update().get(pk=kind.pk)
    before = {
        f: getattr(kind, f)
        for f in ("name_ru", "name_en", "measure", "is_sanction", "position", "is_active")
    }
    if (
        not creating
        and measure is not None
        and measure != kind.measure
        and Sanction.objects.filter(kind=kind).exists()
    ):
        raise ValidationError(
            {"measure": _("Decisions applied this sanction: what it carries no longer changes.")}
        )
    for name, value in (
        ("name_ru", name_ru.strip() if name_ru is not None else None),
        ("name_en", name_en.strip() if name_en is not None else None),
        ("measure", measure),
        ("is_sanction", is_sanction),
        ("position", position),
        ("is_active", is_active),
    ):
        if value is not None:
            setattr(kind, name, value)
    kind.full_clean()
    kind.save()
    after = {f: getattr(kind, f) for f in before}
    changed = {f: [before[f], after[f]] for f in before if before[f] != after[f]}
    audit_record(
        actor=user,
        action="incident.sanction_kind_added" if creating else "incident.sanction_kind_changed",
        obj=kind,
        summary=kind.code,
        data=after if creating else changed,
    )
    return kind


@transaction.atomic
def sanction_kind_delete(*, kind: SanctionKind, user: AnyUser | None) -> None:
    """Remove a kind nobody used (a typo); a used kind is only taken out of use."""
    if user is not None and not access.can_manage_sanctions(user):
        raise PermissionDenied(_("The catalogue of sanctions is changed by the sales director."))
    if sanction_kind_in_use(kind):
        raise ValidationError(
            _("This sanction was applied or is a rule's default: take it out of use instead.")
        )
    code = kind.code
    kind.delete()
    audit_record(
        actor=user,
        action="incident.sanction_kind_deleted",
        summary=code,
        data={"code": code},
    )
