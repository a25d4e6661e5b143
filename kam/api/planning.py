"""/api/plans: development plans of key accounts, their targets and actions, the approval
workflow and plan-vs-actual, in JSON.

A caller reads the plans of access.plan_scope (every plan for whoever reads every client, else
the plans they own and those of the accounts they keep); any other plan is 404, as a client
card. The account's responsible manager writes the plan (access.can_write_plan), the
key-account head or the director approves or returns it (access.can_approve_plan), and the
owner, the head or the director closes it after its period (access.can_close_plan). Everything
goes through kam.planning's selectors and services.

Refusals: 403 when the caller may not do it at all; 409 when the plan is not in a state that
allows it (a closed plan never changes, targets change only in a draft, only a submitted plan
is approved); 422 when the request's values are refused, ``loc`` naming the body field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
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

from kam.api.auth import request_user, require_role
from kam.api.errors import error_item, validation_message
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    DepartmentPlanFilters,
    DepartmentPlansOut,
    ErrorOut,
    PlanActionIn,
    PlanActionOut,
    PlanActionPatchIn,
    PlanActualsOut,
    PlanCloseIn,
    PlanCommentIn,
    PlanCreateIn,
    PlanDetailOut,
    PlanFilters,
    PlanListOut,
    PlanningSettingsIn,
    PlanningSettingsOut,
    PlanPatchIn,
    PlanReturnIn,
    PlanRowState,
    PlansApprovedOut,
    PlansApproveIn,
    PlanTargetIn,
    PlanTargetOut,
    PlanTargetPatchIn,
    ProposeMissingIn,
    ProposeMissingOut,
    ValidationErrorOut,
)
from kam.clients.models import Client
from kam.organization.models import Employee
from kam.planning import selectors, services
from kam.planning.actuals import PlanProgress, TargetProgress, plans_progress
from kam.planning.choices import ActionStatus, Light, PlanState, TargetKind
from kam.planning.models import DevelopmentPlan, PlanAction, PlanEvent, PlanTarget
from kam.planning.periods import Period, period_from_code
from kam.planning.proposals import basis_text
from kam.planning.selectors import PlanRow
from kam.web import access

router = Router(tags=["Plans"])

PlanId = PathEx[int, P(ge=1, le=MAX_ID)]
TargetId = PathEx[int, P(ge=1, le=MAX_ID)]
ActionId = PathEx[int, P(ge=1, le=MAX_ID)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
#: A write on one plan: not found (404), not in a state that allows it (409).
PLAN_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}

#: The states in which the services act: a refusal in any other state is a conflict (409).
DRAFT = {PlanState.DRAFT}
OPEN = {PlanState.DRAFT, PlanState.SUBMITTED, PlanState.APPROVED}
#: The services' field names as the request bodies call them.
BODY_FIELDS = {"responsible": "responsible_code"}
#: Where a refusal that names no field points: the plan (or target, action) of the path.
PLAN: list[str | int] = ["path", "plan_id"]
BODY: list[str | int] = ["body", "payload"]


# --- Access ------------------------------------------------------------------------------------


def _visible(request: HttpRequest, plan_id: int) -> DevelopmentPlan:
    """The plan if the caller may read it (404 otherwise, also when it exists)."""
    require_role(request)
    rows = DevelopmentPlan.objects.select_related("client", "client__responsible", "owner")
    plan = access.plan_scope(request_user(request), rows).filter(pk=plan_id).first()
    if plan is None:
        raise Http404
    return plan


# --- Errors ------------------------------------------------------------------------------------


def _invalid(
    error: ValidationError, where: list[str | int], names: dict[str, str] = BODY_FIELDS
) -> RequestInvalid:
    """A service's refusal as a 422 in django-ninja's shape: ``loc`` names the body field, or
    ``where`` when the refusal names none."""
    if hasattr(error, "error_dict"):
        return RequestInvalid(
            [
                error_item(
                    where if field == "__all__" else [*BODY, names.get(field, field)],
                    " ".join(e.messages),
                    e.code,
                )
                for field, errors in error.error_dict.items()
                for e in errors
            ]
        )
    return RequestInvalid(
        [error_item(where, " ".join(e.messages), e.code) for e in error.error_list]
    )


def _refused(
    error: ValidationError,
    plan: DevelopmentPlan,
    states: Collection[str],
    where: list[str | int],
    names: dict[str, str] = BODY_FIELDS,
) -> Exception:
    """409 when the plan is (now) in a state the service does not act in, else 422."""
    state = DevelopmentPlan.objects.filter(pk=plan.pk).values_list("state", flat=True).first()
    if not hasattr(error, "error_dict") and state not in states:
        return HttpError(409, validation_message(error))
    return _invalid(error, where, names)


def _period(code: str | None, field: list[str | int]) -> Period:
    """The period of a code (the current one when None); 422 naming ``field`` if unreadable."""
    if code is None:
        return services.current_period()
    try:
        return period_from_code(code)
    except ValueError as error:
        raise RequestInvalid([error_item(field, str(error))]) from error


def _employee_by_code(code: str, field: str) -> Employee:
    employee = Employee.objects.filter(code=code).first()
    if employee is None:
        raise RequestInvalid([error_item([*BODY, field], _("No employee with this code."))])
    return employee


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _period_out(period: Period) -> dict[str, Any]:
    return {
        "code": period.code,
        "kind": period.kind,
        "start": period.start,
        "end": period.end,
        "days": period.days,
        "label": str(period.label),
    }


def _client(client: Client) -> dict[str, Any]:
    return {"id": client.pk, "code": client.code, "name": client.name, "status": client.status}


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _plan(plan: DevelopmentPlan, progress: PlanProgress | None) -> dict[str, Any]:
    """A list row: plans_queryset's counts of actions, its prefetched targets."""
    return {
        "id": plan.pk,
        "client": _client(plan.client),
        "period": _period_out(plan.period),
        "owner": _employee(plan.owner),
        "state": plan.state,
        "summary": plan.summary,
        "light": progress.light if progress is not None else Light.NONE,
        "target_count": len(plan.targets.all()),
        "action_counts": {
            "total": getattr(plan, "actions_total", 0),
            "done": getattr(plan, "actions_done", 0),
            "overdue": getattr(plan, "actions_overdue", 0),
        },
        "continues_id": plan.copied_from_id,
        "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


def _plans(plans: list[DevelopmentPlan]) -> list[dict[str, Any]]:
    progress = plans_progress(plans, timezone.localdate())
    return [_plan(p, progress.get(p.pk)) for p in plans]


def _reread(ids: list[int]) -> list[DevelopmentPlan]:
    """Plans as the list shows them, in the order of ``ids``."""
    found = selectors.plans_queryset().in_bulk(ids)
    return [found[i] for i in ids if i in found]


def _target(target: PlanTarget) -> dict[str, Any]:
    return {
        "id": target.pk,
        "kind": target.kind,
        "product_group": target.product_group,
        "value": _number(target.value),
        "description": target.description,
        "proposed_value": _number(target.proposed_value),
        "basis": target.basis or {},
        "basis_text": str(basis_text(target.basis or {})),
        "position": target.position,
        "met": target.met,
        "miss_reason": target.miss_reason,
    }


def _action(action: PlanAction, today: dt.date) -> dict[str, Any]:
    return {
        "id": action.pk,
        "kind": action.kind,
        "title": action.title,
        "due": action.due,
        "responsible": _employee(action.responsible),
        "status": action.status,
        "outcome": action.outcome,
        "done_on": action.done_on,
        "overdue": action.status == ActionStatus.PLANNED and action.due < today,
        "carried_from_id": action.carried_from_id,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }


def _event(event: PlanEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "state_before": event.state_before or None,
        "state": event.state,
        "comment": event.comment,
        "actor": _username(event.actor),
        "at": event.at,
    }


def _target_actual(item: TargetProgress) -> dict[str, Any]:
    target = item.target
    return {
        "target_id": target.pk,
        "kind": target.kind,
        "product_group": target.product_group,
        "value": _number(target.value),
        "actual": item.actual,
        "forecast": item.forecast,
        "ratio": None if item.ratio is None else round(item.ratio, 4),
        "light": item.light,
    }


def _actuals(progress: PlanProgress) -> dict[str, Any]:
    return {
        "plan_id": progress.plan.pk,
        "state": progress.plan.state,
        "period": _period_out(progress.period),
        "measured_on": progress.measured_on,
        "data_until": progress.data_until,
        "elapsed_days": progress.elapsed_days,
        "light": progress.light,
        "targets": [_target_actual(t) for t in progress.targets],
    }


def _detail(plan_id: int) -> dict[str, Any]:
    plan = selectors.plan_detail(plan_id)
    today = timezone.localdate()
    progress = plans_progress([plan], today)[plan.pk]
    return {
        **_plan(plan, progress),
        "return_comment": plan.return_comment,
        "closing_summary": plan.closing_summary,
        "created_by": _username(plan.created_by),
        "submitted_at": plan.submitted_at,
        "approved_at": plan.approved_at,
        "approved_by": _username(plan.approved_by),
        "closed_at": plan.closed_at,
        "closed_by": _username(plan.closed_by),
        "targets": [_target(t) for t in plan.targets.all()],
        "actions": [_action(a, today) for a in plan.actions.all()],
        "events": [_event(e) for e in plan.events.all()],
        "actuals": _actuals(progress),
    }


# --- Lists and creating ------------------------------------------------------------------------


@router.get(
    "",
    response={200: PlanListOut, **READ_ERRORS},
    operation_id="plan_list",
    summary="Development plans the caller may read, the latest period first",
    description="Every plan for those who read every client; a manager's own plans and those "
    "of the accounts they keep for others. Each with the worst light of its targets.",
)
def plan_list_endpoint(
    request: HttpRequest,
    filters: Query[PlanFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    rows = access.plan_scope(request_user(request), selectors.plan_list())
    if filters.period is not None:
        period = _period(filters.period, ["query", "period"])
        rows = rows.filter(period_kind=period.kind, period_start=period.start)
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.client_code is not None:
        rows = rows.filter(client__code=filters.client_code)
    if filters.owner_code is not None:
        rows = rows.filter(owner__code=filters.owner_code)
    # Pages must not overlap: plans of one client and period are one.
    rows = rows.order_by("-period_start", "client__name", "id")
    return {"count": rows.count(), "items": _plans(list(rows[offset : offset + limit]))}


@router.post(
    "",
    response={201: PlanDetailOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="plan_create",
    summary="Make a key account's plan for a period, proposed from the data",
    description=(
        "A draft owned by the account's responsible manager: targets and actions proposed from "
        "the ledger and the latest assessment, or, continuing the latest earlier plan, its "
        "targets (today's proposal beside them) and open actions. For the responsible manager, "
        "the key-account head and the director. 404: no client with this code the caller may "
        "see. 409: the account already has a plan overlapping the period. 422 (`client_code`): "
        "not a key account, or nobody is responsible for it."
    ),
)
def plan_create_endpoint(request: HttpRequest, payload: PlanCreateIn) -> Status[dict[str, Any]]:
    require_role(request)
    user = request_user(request)
    client = (
        access.client_scope(user)
        .select_related("responsible")
        .filter(code=payload.client_code)
        .first()
    )
    if client is None:
        raise Http404
    period = _period(payload.period, [*BODY, "period"])
    try:
        plan = services.plan_create(
            client=client,
            user=user,
            period=period,
            continue_previous=payload.continue_previous,
        )
    except ValidationError as error:
        overlapping = DevelopmentPlan.objects.filter(
            client=client, period_start__lte=period.end, period_end__gte=period.start
        )
        if overlapping.exists():
            raise HttpError(409, validation_message(error)) from error
        raise _invalid(error, [*BODY, "client_code"]) from error
    return Status(201, _detail(plan.pk))


@router.post(
    "/propose-missing",
    response={200: ProposeMissingOut, 201: ProposeMissingOut, **WRITE_ERRORS},
    operation_id="plan_propose_missing",
    summary="A proposed plan for every key account without one for the period",
    description=(
        "The one click of the department page: each key account the caller may make a plan "
        "for (a manager: the accounts they keep) gets a proposed draft; accounts that cannot "
        "get one are listed with the reason. 201 when a plan was made, else 200. For "
        "key-account managers, the key-account head and the director."
    ),
)
def plan_propose_missing_endpoint(
    request: HttpRequest, payload: ProposeMissingIn
) -> Status[dict[str, Any]]:
    user = request_user(request)
    if not access.makes_plans(user):
        raise PermissionDenied(
            _(
                "A plan is made by the account's responsible manager, the key-account head or "
                "the director."
            )
        )
    period = _period(payload.period, [*BODY, "period"])
    result = services.plans_create_missing(user=user, period=period)
    created = _reread([p.pk for p in result.created])
    body = {
        "period": _period_out(period),
        "created": _plans(created),
        "skipped": [{"client": _client(c), "reason": reason} for c, reason in result.skipped],
    }
    return Status(201 if created else 200, body)


@router.post(
    "/approve",
    response={200: PlansApprovedOut, **WRITE_ERRORS},
    operation_id="plan_approve_bulk",
    summary="Approve several submitted plans at once",
    description=(
        "Each plan on its own: the approved ones, and the refused ones with the reason (not "
        "submitted, the approver's own plan, not found). For the key-account head and the "
        "director."
    ),
)
def plan_approve_bulk_endpoint(request: HttpRequest, payload: PlansApproveIn) -> dict[str, Any]:
    user = request_user(request)
    if not access.approves_plans(user):
        raise PermissionDenied(_("Plans are approved by the key-account head or the director."))
    ids = list(dict.fromkeys(payload.plan_ids))
    rows = DevelopmentPlan.objects.select_related("client", "client__responsible", "owner")
    found = access.plan_scope(user, rows).in_bulk(ids)
    result = services.plans_approve_bulk(
        plans=[found[i] for i in ids if i in found], user=user, comment=payload.comment
    )
    reasons = {plan.pk: reason for plan, reason in result.refused}
    refused = [
        {"plan_id": i, "reason": reasons.get(i, _("Not found."))}
        for i in ids
        if i not in found or i in reasons
    ]
    return {"approved": _plans(_reread([p.pk for p in result.done])), "refused": refused}


# --- The department and the settings -----------------------------------------------------------


@router.get(
    "/department",
    response={200: DepartmentPlansOut, **READ_ERRORS},
    operation_id="plan_department",
    summary="Every key account × a period: its plan's state (or missing) and revenue",
    description="For those who read every client. Filters narrow the rows; the counts are "
    "the whole period's.",
)
def plan_department_endpoint(
    request: HttpRequest, filters: Query[DepartmentPlanFilters]
) -> dict[str, Any]:
    if not access.can_view_plans(request_user(request)):
        raise PermissionDenied(_("The department's plans are for those who see every client."))
    period = _period(filters.period, ["query", "period"])
    manager = None
    if filters.manager_code is not None:
        manager = Employee.objects.filter(code=filters.manager_code).first()
    board = selectors.department_plans(period, state=str(filters.state or ""), manager=manager)
    if filters.manager_code is not None and manager is None:
        board.rows = []  # nobody has the code: nobody's accounts
    approve_by = services.approve_by(period)
    return {
        "period": _period_out(period),
        "data_until": board.data_until,
        "approve_by": approve_by,
        "counts": {s.value: board.counts.get(s.value, 0) for s in PlanRowState},
        "revenue": {
            "target": round(board.revenue_target, 2),
            "actual": round(board.revenue_actual, 2),
            "forecast": round(board.revenue_forecast, 2),
        },
        "rows": [_department_row(r) for r in board.rows],
    }


def _department_row(row: PlanRow) -> dict[str, Any]:
    plan = row.plan
    return {
        "client": _client(row.client),
        "state": row.state,
        "plan_id": plan.pk if plan is not None else None,
        "manager": _employee(plan.owner if plan is not None else row.client.responsible),
        "light": row.progress.light if row.progress is not None else Light.NONE,
        "revenue": _target_actual(row.revenue) if row.revenue is not None else None,
    }


def _settings() -> dict[str, Any]:
    current = services.planning_settings()
    return {
        "period": current.period,
        "approve_by_day": current.approve_by_day,
        "current_period": _period_out(services.current_period()),
        "updated_at": current.updated_at,
    }


@router.get(
    "/settings",
    response={200: PlanningSettingsOut, **READ_ERRORS},
    operation_id="plan_settings",
    summary="The planning period (month or quarter) and the day plans are approved by",
)
def plan_settings_endpoint(request: HttpRequest) -> dict[str, Any]:
    require_role(request)
    return _settings()


@router.put(
    "/settings",
    response={200: PlanningSettingsOut, **WRITE_ERRORS},
    operation_id="plan_settings_set",
    summary="Set the planning period and the approval day",
    description="Plans made from now on cover the new period; existing plans keep theirs. For "
    "the key-account head and the director; the change is audited.",
)
def plan_settings_set_endpoint(request: HttpRequest, payload: PlanningSettingsIn) -> dict[str, Any]:
    try:
        services.planning_settings_update(
            period=str(payload.period),
            approve_by_day=payload.approve_by_day,
            user=request_user(request),
        )
    except ValidationError as error:
        raise _invalid(error, BODY) from error
    return _settings()


# --- One plan ----------------------------------------------------------------------------------


@router.get(
    "/{plan_id}",
    response={200: PlanDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="plan_detail",
    summary="A plan: targets (with the proposals), actions, history and plan-vs-actual",
    description="404 also when the plan exists but is not the caller's to read.",
)
def plan_detail_endpoint(request: HttpRequest, plan_id: PlanId) -> dict[str, Any]:
    _visible(request, plan_id)
    return _detail(plan_id)


@router.get(
    "/{plan_id}/actuals",
    response={200: PlanActualsOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="plan_actuals",
    summary="A plan against actual: each target's actual, forecast and light",
    description=(
        "Read from the ledger now, so every import moves it: money summed over the period's "
        "months, the run-rate forecast counting the days up to the last sales document "
        "imported (`data_until`). A closed plan shows the results recorded when it closed."
    ),
)
def plan_actuals_endpoint(request: HttpRequest, plan_id: PlanId) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    plan = selectors.plans_queryset().get(pk=plan.pk)
    return _actuals(plans_progress([plan], timezone.localdate())[plan.pk])


@router.patch(
    "/{plan_id}",
    response={200: PlanDetailOut, **PLAN_ERRORS},
    operation_id="plan_update",
    summary="Change a draft plan's goal for the period",
    description="For the plan's owner; 409 unless the plan is a draft.",
)
def plan_update_endpoint(
    request: HttpRequest, plan_id: PlanId, payload: PlanPatchIn
) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    try:
        services.plan_summary_update(plan=plan, user=user, summary=payload.summary)
    except ValidationError as error:
        raise _refused(error, plan, DRAFT, BODY) from error
    return _detail(plan_id)


# --- Targets -----------------------------------------------------------------------------------


def _plan_target(plan: DevelopmentPlan, target_id: int) -> PlanTarget:
    target = PlanTarget.objects.filter(plan=plan, pk=target_id).first()
    if target is None:
        raise Http404
    return target


@router.post(
    "/{plan_id}/targets",
    response={201: PlanTargetOut, **PLAN_ERRORS},
    operation_id="plan_target_add",
    summary="Add a target to a draft plan",
    description=(
        "For the plan's owner; 409 unless the plan is a draft. 422 names the field: a measured "
        "target without a number (`value`, a whole number for counts and days), a revenue of a "
        "group without the group, a qualitative goal without a description, a target the plan "
        "has already (`kind`)."
    ),
)
def plan_target_add_endpoint(
    request: HttpRequest, plan_id: PlanId, payload: PlanTargetIn
) -> Status[dict[str, Any]]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    try:
        target = services.target_add(
            plan=plan,
            user=user,
            kind=str(payload.kind),
            value=payload.value,
            product_group=payload.product_group,
            description=payload.description,
        )
    except ValidationError as error:
        raise _refused(error, plan, DRAFT, BODY) from error
    return Status(201, _target(target))


@router.patch(
    "/{plan_id}/targets/{target_id}",
    response={200: PlanTargetOut, **PLAN_ERRORS},
    operation_id="plan_target_update",
    summary="Change a target of a draft plan",
    description="Only the fields given change (not the kind). For the plan's owner; 409 "
    "unless the plan is a draft; 422 names the refused field.",
)
def plan_target_update_endpoint(
    request: HttpRequest, plan_id: PlanId, target_id: TargetId, payload: PlanTargetPatchIn
) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    target = _plan_target(plan, target_id)
    try:
        target = services.target_update(
            target=target,
            user=user,
            value=payload.value,
            product_group=payload.product_group,
            description=payload.description,
        )
    except ValidationError as error:
        raise _refused(error, plan, DRAFT, BODY) from error
    return _target(target)


@router.delete(
    "/{plan_id}/targets/{target_id}",
    response={204: None, **PLAN_ERRORS},
    operation_id="plan_target_remove",
    summary="Remove a target from a draft plan",
    description="For the plan's owner; 409 unless the plan is a draft.",
)
def plan_target_remove_endpoint(
    request: HttpRequest, plan_id: PlanId, target_id: TargetId
) -> Status[None]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    target = _plan_target(plan, target_id)
    try:
        services.target_remove(target=target, user=user)
    except ValidationError as error:
        raise _refused(error, plan, DRAFT, ["path", "target_id"]) from error
    return Status(204, None)


# --- Actions -----------------------------------------------------------------------------------


def _plan_action(plan: DevelopmentPlan, action_id: int) -> PlanAction:
    action = (
        PlanAction.objects.select_related("plan", "responsible")
        .filter(plan=plan, pk=action_id)
        .first()
    )
    if action is None:
        raise Http404
    return action


def _action_out(action_id: int) -> dict[str, Any]:
    action = PlanAction.objects.select_related("responsible").get(pk=action_id)
    return _action(action, timezone.localdate())


@router.post(
    "/{plan_id}/actions",
    response={201: PlanActionOut, **PLAN_ERRORS},
    operation_id="plan_action_add",
    summary="Plan an action with the key account",
    description=(
        "Also in a submitted or approved plan, as things come up during the period; 409 for a "
        "closed plan. For the plan's owner. 422 names the field: a blank title, a due date far "
        "outside the period, a responsible employee unknown or no longer working here."
    ),
)
def plan_action_add_endpoint(
    request: HttpRequest, plan_id: PlanId, payload: PlanActionIn
) -> Status[dict[str, Any]]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    code = payload.responsible_code
    responsible = None if code is None else _employee_by_code(code, "responsible_code")
    try:
        action = services.action_add(
            plan=plan,
            user=user,
            kind=str(payload.kind),
            title=payload.title,
            due=payload.due,
            responsible=responsible,
        )
    except ValidationError as error:
        raise _refused(error, plan, OPEN, BODY) from error
    return Status(201, _action_out(action.pk))


@router.patch(
    "/{plan_id}/actions/{action_id}",
    response={200: PlanActionOut, **PLAN_ERRORS},
    operation_id="plan_action_update",
    summary="Change an action or record what came of it",
    description=(
        "Only the fields given change. The plan's owner edits anything; the employee "
        "responsible for the action records its `status`, `outcome` and `done_on` (403 for "
        "other fields). A done action needs an outcome and a date not in the future (422). "
        "409 for a closed plan."
    ),
)
def plan_action_update_endpoint(
    request: HttpRequest, plan_id: PlanId, action_id: ActionId, payload: PlanActionPatchIn
) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    action = _plan_action(plan, action_id)
    employee = access.user_employee(user)
    if not access.can_write_plan(user, plan) and (
        employee is None or employee.pk != action.responsible_id
    ):
        raise PermissionDenied(
            _(
                "Only the plan's owner edits its actions; the employee responsible for an action "
                "records its outcome."
            )
        )
    code = payload.responsible_code
    responsible = None if code is None else _employee_by_code(code, "responsible_code")
    try:
        services.action_update(
            action=action,
            user=user,
            kind=None if payload.kind is None else str(payload.kind),
            title=payload.title,
            due=payload.due,
            responsible=responsible,
            status=None if payload.status is None else str(payload.status),
            outcome=payload.outcome,
            done_on=payload.done_on,
        )
    except ValidationError as error:
        raise _refused(error, plan, OPEN, BODY) from error
    return _action_out(action.pk)


@router.delete(
    "/{plan_id}/actions/{action_id}",
    response={204: None, **PLAN_ERRORS},
    operation_id="plan_action_remove",
    summary="Remove a planned action",
    description="For the plan's owner; 409 for a closed plan. A done action is the account's "
    "history and stays (422).",
)
def plan_action_remove_endpoint(
    request: HttpRequest, plan_id: PlanId, action_id: ActionId
) -> Status[None]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    action = _plan_action(plan, action_id)
    try:
        services.action_remove(action=action, user=user)
    except ValidationError as error:
        raise _refused(error, plan, OPEN, ["path", "action_id"]) from error
    return Status(204, None)


# --- Workflow ----------------------------------------------------------------------------------


@router.post(
    "/{plan_id}/submit",
    response={200: PlanDetailOut, **PLAN_ERRORS},
    operation_id="plan_submit",
    summary="Submit a draft plan for approval",
    description="For the plan's owner; 409 unless the plan is a draft. 422: the plan has no "
    "measurable target with a value, or no action.",
)
def plan_submit_endpoint(request: HttpRequest, plan_id: PlanId) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_writer(plan, user)
    try:
        services.plan_submit(plan=plan, user=user)
    except ValidationError as error:
        raise _refused(error, plan, DRAFT, PLAN) from error
    return _detail(plan_id)


@router.post(
    "/{plan_id}/approve",
    response={200: PlanDetailOut, **PLAN_ERRORS},
    operation_id="plan_approve",
    summary="Approve a submitted plan",
    description="For the key-account head and the director, never for their own plan (the "
    "director approves the head's). 409 unless the plan is submitted. The comment goes to the "
    "plan's history.",
)
def plan_approve_endpoint(
    request: HttpRequest, plan_id: PlanId, payload: PlanCommentIn | None = None
) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_approver(plan, user)
    try:
        services.plan_approve(plan=plan, user=user, comment=payload.comment if payload else "")
    except ValidationError as error:
        raise _refused(error, plan, {PlanState.SUBMITTED}, PLAN) from error
    return _detail(plan_id)


@router.post(
    "/{plan_id}/return",
    response={200: PlanDetailOut, **PLAN_ERRORS},
    operation_id="plan_return",
    summary="Return a submitted or approved plan to its owner for rework",
    description="For the key-account head and the director. 422: no comment (it tells the "
    "manager what to rework). 409 for a draft or closed plan.",
)
def plan_return_endpoint(
    request: HttpRequest, plan_id: PlanId, payload: PlanReturnIn
) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_approver(plan, user)
    try:
        services.plan_return(plan=plan, user=user, comment=payload.comment)
    except ValidationError as error:
        raise _refused(error, plan, {PlanState.SUBMITTED, PlanState.APPROVED}, PLAN) from error
    return _detail(plan_id)


@router.post(
    "/{plan_id}/close",
    response={200: PlanDetailOut, **PLAN_ERRORS},
    operation_id="plan_close",
    summary="Close a plan with its results after the period",
    description=(
        "Each measured target's actual is read from the ledger and compared with the target; "
        "each qualitative goal is as `results` say (`achieved`); every missed target needs a "
        "`reason`. The plan never changes afterwards. For the plan's owner, the key-account "
        "head and the director. 422: the period has not ended, or a result is missing "
        "(`loc` names `results`, the item and its field; `target_id` says which target). 409: "
        "the plan is closed already."
    ),
)
def plan_close_endpoint(
    request: HttpRequest, plan_id: PlanId, payload: PlanCloseIn
) -> dict[str, Any]:
    plan = _visible(request, plan_id)
    user = request_user(request)
    services.require_closer(plan, user)
    targets = {t.pk: t for t in plan.targets.all()}
    given: dict[int, int] = {}
    problems = []
    for index, item in enumerate(payload.results):
        if item.target_id not in targets:
            message = _("Not a target of this plan.")
        elif item.target_id in given:
            message = _("This target's result is given twice.")
        else:
            given[item.target_id] = index
            continue
        problems.append(error_item([*BODY, "results", index, "target_id"], message))
    if problems:
        raise RequestInvalid(problems)
    results = {
        item.target_id: services.TargetResult(achieved=item.achieved, reason=item.reason)
        for item in payload.results
    }
    try:
        services.plan_close(plan=plan, user=user, results=results, summary=payload.summary)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise _refused(error, plan, OPEN, PLAN) from error
        raise _close_invalid(error, targets, given, results) from error
    return _detail(plan_id)


def _close_invalid(
    error: ValidationError,
    targets: dict[int, PlanTarget],
    given: dict[int, int],
    results: dict[int, Any],
) -> RequestInvalid:
    """``target_<id>`` refusals point at the target's item of ``results`` (or at ``results``
    when it has none) and its field: ``achieved`` of a goal not said, else ``reason``."""
    items = []
    for field, messages in error.message_dict.items():
        target_id = int(field.removeprefix("target_")) if field.startswith("target_") else None
        loc: list[str | int] = [*BODY, "results"]
        if target_id is not None and target_id in given:
            said = results[target_id].achieved is not None
            qualitative = targets[target_id].kind == TargetKind.QUALITATIVE
            loc += [given[target_id], "achieved" if qualitative and not said else "reason"]
        elif target_id is None:
            loc = PLAN
        items.append({**error_item(loc, " ".join(messages)), "target_id": target_id})
    return RequestInvalid(items)
