"""/api/incidents: incidents (ЧП) in JSON: the inbox with its tabs and filters, one incident
with its whole story, the lifecycle (explain, investigate, comment, decide with a sanction and
corrective actions, mark an action done, close, dismiss), the discipline scorecard; the
catalogue of sanctions under /api/incidents/sanctions (kam.api.sanctions).

A caller reads the incidents of access.incident_scope (all of them for the director, the
auditor and the analyst; otherwise those naming them, of the departments they head or handled
by their role); any other incident is 404. The violator explains; the handler (or whoever holds
the handler role, or the director) investigates, decides, closes and dismisses; the action's
owner or the handler marks a corrective action done. Everything goes through kam.incidents'
selectors and services.

Refusals: 403 when the caller may not do it at all (checked before the incident's state); 409
when the incident is not in a state that allows it (a closed incident never changes, only a
decided one closes, and only once every corrective action is done); 422 when the request's
values are refused, ``loc`` naming the body field.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api import sanctions
from kam.api.auth import request_user, require_role
from kam.api.errors import validation_message
from kam.api.incidents_schemas import (
    ActionDoneIn,
    CommentIn,
    DecideIn,
    DismissIn,
    ExplainIn,
    IncidentDetailOut,
    IncidentEventOut,
    IncidentFilters,
    IncidentListOut,
    OptionalCommentIn,
    ScorecardFilters,
    ScorecardOut,
)
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.incidents import selectors, services
from kam.incidents.choices import UNDECIDED_STATES
from kam.incidents.filters import DEFAULT_SORT, IncidentFilterSet, sort_incidents
from kam.incidents.models import CorrectiveAction, Incident, IncidentEvent, SanctionKind
from kam.ledger.months import add_months
from kam.organization.models import Employee
from kam.web import access

#: /api/incidents: the inbox and the scorecard (tagged one by one: the mounted routers would
#: inherit a router's tags), then the sanctions' paths, then one incident's.
router = Router()
TAGS = ["Incidents"]
one_incident = Router(tags=TAGS)

IncidentId = PathEx[int, P(ge=1, le=MAX_ID)]
ActionId = PathEx[int, P(ge=1, le=MAX_ID)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
#: A step on one incident: not found (404), not in a state that allows it (409).
STEP_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}
BODY: list[str | int] = ["body", "payload"]
#: The services' field names as the request bodies call them.
BODY_FIELDS = {"sanction": "sanction_code"}


# --- Access ------------------------------------------------------------------------------------


def _visible(request: HttpRequest, incident_id: int) -> Incident:
    """The incident if the caller may read it (404 otherwise, also when it exists)."""
    require_role(request)
    scope = access.incident_scope(request_user(request), selectors.incidents_base())
    incident = scope.filter(pk=incident_id).first()
    if incident is None:
        raise Http404
    return incident


def _refused(error: ValidationError) -> Exception:
    """A service's refusal: naming fields, a 422 with ``loc`` on them; naming none, the
    incident is in a state that does not allow the step (409)."""
    if not hasattr(error, "error_dict"):
        return HttpError(409, validation_message(error))
    return RequestInvalid(
        [
            {
                "type": e.code or "value_error",
                "loc": BODY if field == "__all__" else [*BODY, BODY_FIELDS.get(field, field)],
                "msg": " ".join(e.messages),
            }
            for field, errors in error.error_dict.items()
            for e in errors
        ]
    )


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _incident(incident: Incident, today: dt.date) -> dict[str, Any]:
    """A list row: selectors.incidents_base's related rows, no query more."""
    version = incident.rule_version
    client = incident.client
    department = incident.department
    return {
        "id": incident.pk,
        "number": incident.number,
        "rule": {"code": incident.rule.code, "title": version.title, "version": version.number},
        "kind": incident.kind,
        "state": incident.state,
        "severity": incident.severity,
        "subprocess": incident.subprocess,
        "subject_type": incident.subject_type,
        "subject_id": incident.subject_id,
        "subject_key": incident.subject_key,
        "period": incident.period,
        "subject_date": incident.subject_date,
        "client": None
        if client is None
        else {"id": client.pk, "code": client.code, "name": client.name},
        "violator": _employee(incident.violator),
        "department": None
        if department is None
        else {"kind": department.kind, "name": str(department)},
        "handler": _employee(incident.handler),
        "handler_role": incident.handler_role,
        "message": incident.message(),
        "opened_at": incident.opened_at,
        "deadline": incident.deadline,
        "overdue": incident.state in UNDECIDED_STATES and incident.deadline < today,
        "escalated_at": incident.escalated_at,
        "condition_cleared_at": incident.condition_cleared_at,
        "closed_at": incident.closed_at,
    }


def _event(event: IncidentEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "state_before": event.state_before or None,
        "state": event.state,
        "text": event.text,
        "data": event.data or {},
        "actor": _username(event.actor),
        "actor_label": event.actor_label,
        "at": event.at,
    }


def _detail(incident_id: int, request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    rows = selectors.incidents_base().select_related(
        "rule_version__default_sanction", "overridden_by", "decided_by", "closed_by"
    )
    incident = rows.get(pk=incident_id)
    today = timezone.localdate()
    story = selectors.incident_story(incident)
    version = incident.rule_version
    return {
        **_incident(incident, today),
        "facts": incident.facts or {},
        "rule_description": version.description,
        "default_sanction": version.default_sanction.code if version.default_sanction else None,
        "audit_run_id": incident.audit_run_id,
        "overridden_by": _username(incident.overridden_by),
        "override_reason": incident.override_reason,
        "explanation": incident.explanation,
        "explained_at": incident.explained_at,
        "decision": incident.decision,
        "decided_at": incident.decided_at,
        "decided_by": _username(incident.decided_by),
        "dismissed_reason": incident.dismissed_reason,
        "closed_by": _username(incident.closed_by),
        "may_explain": access.can_explain_incident(user, incident) and not incident.is_final,
        "may_handle": access.can_handle_incident(user, incident) and not incident.is_final,
        "events": [_event(e) for e in story["events"]],
        "sanctions": [
            {
                "kind": {"code": s.kind.code, "name": s.kind.name, "measure": s.kind.measure},
                "employee": _employee(s.employee),
                "amount": _number(s.amount),
                "percent": _number(s.percent),
                "text": s.measure_text(),
                "comment": s.comment,
                "decided_by": _username(s.decided_by),
                "decided_at": s.decided_at,
            }
            for s in story["sanctions"]
        ],
        "corrective_actions": [
            {
                "id": a.pk,
                "description": a.description,
                "owner": _employee(a.owner),
                "due": a.due,
                "done_on": a.done_on,
                "outcome": a.outcome,
                "done_by": _username(a.done_by),
                "overdue": a.done_on is None and a.due < today,
            }
            for a in story["actions"]
        ],
    }


# --- The inbox and the scorecard ---------------------------------------------------------------


@router.get(
    "",
    tags=TAGS,
    response={200: IncidentListOut, 400: ErrorOut, **READ_ERRORS},
    operation_id="incident_list",
    summary="Incidents the caller may read: one inbox tab, filtered and sorted",
    description=(
        "The inbox's tabs and filters. A filter value the filter set cannot use (a rule code "
        "or an employee nobody has) is refused with 400, never ignored. `tab_counts`: the "
        "active incidents of each tab, whatever the filters."
    ),
)
def incident_list_endpoint(
    request: HttpRequest,
    filters: Query[IncidentFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    user = request_user(request)
    rows = selectors.inbox(user, str(filters.tab or "all"))
    params = filters.as_params()
    filterset = IncidentFilterSet(params or None, queryset=rows)
    if filterset.is_bound and not filterset.form.is_valid():
        raise ValidationError(filterset.form.errors.as_data())  # type: ignore[arg-type]
    # Every sort ends with the id: pages never overlap.
    rows = sort_incidents(filterset.qs, str(filters.sort or DEFAULT_SORT))
    today = timezone.localdate()
    return {
        "count": rows.count(),
        "tab_counts": selectors.tab_counts(user),
        "items": [_incident(i, today) for i in rows[offset : offset + limit]],
    }


def _month(code: str) -> dt.date:
    return dt.date(int(code[:4]), int(code[5:7]), 1)


@router.get(
    "/scorecard",
    tags=TAGS,
    response={200: ScorecardOut, **READ_ERRORS},
    operation_id="incident_scorecard",
    summary="The discipline scorecard over a range of months",
    description=(
        "Incidents opened in the months (by default the 12 up to this one), counted by "
        "employee, department, rule, subprocess and month; repeat violations; the median days "
        "to close; each rule's false-alarm rate; the sanctions applied. Within the incidents "
        "the caller may read. For the director, the auditor, the analyst and the key-account "
        "head."
    ),
)
def incident_scorecard_endpoint(
    request: HttpRequest, filters: Query[ScorecardFilters]
) -> dict[str, Any]:
    user = request_user(request)
    if not access.can_view_scorecard(user):
        raise PermissionDenied(
            _("The scorecard is for the director, the auditor, the analyst and the head.")
        )
    today = timezone.localdate()
    last = _month(filters.month_to) if filters.month_to else today.replace(day=1)
    first = _month(filters.month_from) if filters.month_from else add_months(last, -11)
    if first > last:
        message = _("The first month must not be after the last.")
        raise RequestInvalid(
            [{"type": "value_error", "loc": ["query", "month_from"], "msg": message}]
        )
    rows = access.incident_scope(user, Incident.objects.all()).filter(
        opened_at__date__gte=first, opened_at__date__lt=add_months(last, 1)
    )
    card = selectors.scorecard(rows, today=today)
    return {
        "month_from": first.strftime("%Y-%m"),
        "month_to": last.strftime("%Y-%m"),
        "total": card.total,
        "active": card.active,
        "overdue": card.overdue,
        "closed": card.closed,
        "dismissed": card.dismissed,
        "median_days_to_close": card.median_days_to_close,
        "by_employee": card.by_employee,
        "by_department": [
            {"department": r["department"] or None, "total": r["total"]} for r in card.by_department
        ],
        "by_rule": card.by_rule,
        "by_subprocess": card.by_subprocess,
        "by_month": [
            {**r, "total": sum(v for k, v in r.items() if k != "month")} for r in card.by_month
        ],
        "repeats": card.repeats,
        "sanctions": [
            {"code": r["sanctions__kind__code"], "count": r["n"]} for r in card.sanctions
        ],
    }


# --- One incident ------------------------------------------------------------------------------


@one_incident.get(
    "/{incident_id}",
    response={200: IncidentDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="incident_detail",
    summary="An incident: the breach, its facts, the investigation and its whole story",
    description="404 also when the incident exists but is not the caller's to read.",
)
def incident_detail_endpoint(request: HttpRequest, incident_id: IncidentId) -> dict[str, Any]:
    _visible(request, incident_id)
    return _detail(incident_id, request)


@one_incident.post(
    "/{incident_id}/explain",
    response={200: IncidentDetailOut, **STEP_ERRORS},
    operation_id="incident_explain",
    summary="The violator explains what happened",
    description="For the employee the incident names; an open incident goes under "
    "investigation. 409: the incident is decided, closed or dismissed.",
)
def incident_explain_endpoint(
    request: HttpRequest, incident_id: IncidentId, payload: ExplainIn
) -> dict[str, Any]:
    incident = _visible(request, incident_id)
    user = request_user(request)
    if not access.can_explain_incident(user, incident):
        raise PermissionDenied(_("Only the employee the incident names writes the explanation."))
    try:
        services.incident_explain(incident=incident, user=user, explanation=payload.explanation)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(incident_id, request)


@one_incident.post(
    "/{incident_id}/investigate",
    response={200: IncidentDetailOut, **STEP_ERRORS},
    operation_id="incident_investigate",
    summary="The handler takes an open incident up for investigation",
    description="For the handler, whoever holds the handler role, or the director (never the "
    "violator). 409 unless the incident is open.",
)
def incident_investigate_endpoint(
    request: HttpRequest, incident_id: IncidentId, payload: OptionalCommentIn | None = None
) -> dict[str, Any]:
    incident = _visible(request, incident_id)
    user = request_user(request)
    services.require_handler(incident, user)
    comment = payload.comment if payload is not None else ""
    try:
        services.incident_investigate(incident=incident, user=user, comment=comment)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(incident_id, request)


@one_incident.post(
    "/{incident_id}/comments",
    response={201: IncidentEventOut, **STEP_ERRORS},
    operation_id="incident_comment",
    summary="Add a comment to the incident's story",
    description="For the violator, the handler and the director.",
)
def incident_comment_endpoint(
    request: HttpRequest, incident_id: IncidentId, payload: CommentIn
) -> Status[dict[str, Any]]:
    incident = _visible(request, incident_id)
    try:
        event = services.incident_comment(
            incident=incident, user=request_user(request), text=payload.text
        )
    except ValidationError as error:
        raise _refused(error) from error
    return Status(201, _event(IncidentEvent.objects.select_related("actor").get(pk=event.pk)))


@one_incident.post(
    "/{incident_id}/decide",
    response={200: IncidentDetailOut, **STEP_ERRORS},
    operation_id="incident_decide",
    summary="Decide an incident: the conclusion, the sanction and corrective actions",
    description=(
        "The sanction from the catalogue is taken against the violator (`none`: explained and "
        "justified); a fine needs its `amount`, a bonus reduction its `percent`. At least one "
        "corrective action, each with its owner's employee code and due date. For the handler "
        "or the director. 409 unless the incident is under investigation. 422 names the field "
        "(`sanction_code`, `actions` and the item's `owner_code` …)."
    ),
)
def incident_decide_endpoint(
    request: HttpRequest, incident_id: IncidentId, payload: DecideIn
) -> dict[str, Any]:
    incident = _visible(request, incident_id)
    user = request_user(request)
    services.require_handler(incident, user)
    problems = []
    sanction = SanctionKind.objects.filter(code=payload.sanction_code).first()
    if sanction is None:
        message = _("No sanction with this code in the catalogue.")
        problems.append({"type": "value_error", "loc": [*BODY, "sanction_code"], "msg": message})
    codes = {a.owner_code for a in payload.actions}
    owners = {e.code: e for e in Employee.objects.filter(code__in=codes)}
    for index, action in enumerate(payload.actions):
        if action.owner_code not in owners:
            loc = [*BODY, "actions", index, "owner_code"]
            problems.append(
                {"type": "value_error", "loc": loc, "msg": _("No employee with this code.")}
            )
    if problems:
        raise RequestInvalid(problems)
    assert sanction is not None
    actions = [
        services.ActionInput(description=a.description, owner=owners[a.owner_code], due=a.due)
        for a in payload.actions
    ]
    try:
        services.incident_decide(
            incident=incident,
            user=user,
            conclusion=payload.conclusion,
            sanction=sanction,
            actions=actions,
            amount=payload.amount,
            percent=payload.percent,
            sanction_comment=payload.sanction_comment,
        )
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(incident_id, request)


@one_incident.post(
    "/{incident_id}/actions/{action_id}/done",
    response={200: IncidentDetailOut, **STEP_ERRORS},
    operation_id="incident_action_done",
    summary="Mark a corrective action done, saying what was done",
    description="For the action's owner and the incident's handler. 409: the action is done "
    "already, or the incident is closed or dismissed. 422: no outcome, a date in the future.",
)
def incident_action_done_endpoint(
    request: HttpRequest, incident_id: IncidentId, action_id: ActionId, payload: ActionDoneIn
) -> dict[str, Any]:
    incident = _visible(request, incident_id)
    user = request_user(request)
    action = (
        CorrectiveAction.objects.select_related("incident")
        .filter(incident=incident, pk=action_id)
        .first()
    )
    if action is None:
        raise Http404
    if not access.can_complete_corrective_action(user, action):
        raise PermissionDenied(_("The action's owner or the incident's handler marks it done."))
    try:
        services.corrective_action_done(
            action=action, user=user, outcome=payload.outcome, done_on=payload.done_on
        )
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(incident_id, request)


@one_incident.post(
    "/{incident_id}/close",
    response={200: IncidentDetailOut, **STEP_ERRORS},
    operation_id="incident_close",
    summary="Close a decided incident once every corrective action is done",
    description="For the handler or the director. 409: not decided, or corrective actions "
    "not done yet.",
)
def incident_close_endpoint(
    request: HttpRequest, incident_id: IncidentId, payload: OptionalCommentIn | None = None
) -> dict[str, Any]:
    incident = _visible(request, incident_id)
    user = request_user(request)
    services.require_handler(incident, user)
    comment = payload.comment if payload is not None else ""
    try:
        services.incident_close(incident=incident, user=user, comment=comment)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(incident_id, request)


@one_incident.post(
    "/{incident_id}/dismiss",
    response={200: IncidentDetailOut, **STEP_ERRORS},
    operation_id="incident_dismiss",
    summary="Dismiss an incident as a false alarm, saying why",
    description="It counts against the rule's precision (its false-alarm rate). For the "
    "handler or the director. 409: the incident is decided, closed or dismissed.",
)
def incident_dismiss_endpoint(
    request: HttpRequest, incident_id: IncidentId, payload: DismissIn
) -> dict[str, Any]:
    incident = _visible(request, incident_id)
    user = request_user(request)
    services.require_handler(incident, user)
    try:
        services.incident_dismiss(incident=incident, user=user, reason=payload.reason)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(incident_id, request)


router.add_router("/sanctions", sanctions.router)
router.add_router("", one_incident)
