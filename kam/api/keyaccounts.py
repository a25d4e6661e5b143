"""/api/key-accounts: the key-account department's board, assignment history, handovers and
workload limits, in JSON.

The board and the workload are for whoever reads every client (access.can_view_department);
"my accounts" for key-account staff (access.has_key_accounts_page). Histories list what the
caller may see: assignments of the clients in access.client_scope, handovers naming the caller
(all of them for whoever sees the department).
Handovers and limits are written by the key-account head and the director
(access.can_manage_department, then access.can_hand_over per client); only the receiver
acknowledges a handover. Everything goes through kam.keyaccounts' selectors and services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user, require_role
from kam.api.schemas import (
    CODE_MAX,
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    AssignmentFilters,
    AssignmentListOut,
    BoardOut,
    BulkHandoverIn,
    BulkHandoverOut,
    ErrorOut,
    HandoverDetailOut,
    HandoverFilters,
    HandoverIn,
    HandoverListOut,
    MyAccountsOut,
    ValidationErrorOut,
    WorkloadLimitIn,
    WorkloadOut,
)
from kam.clients.models import Client
from kam.clients.selectors import clients_revenue
from kam.keyaccounts import selectors, services
from kam.keyaccounts.briefing import TITLES
from kam.keyaccounts.models import Assignment, Handover, WorkloadLimit
from kam.keyaccounts.selectors import Account, ManagerColumn
from kam.keyaccounts.services import HandoverConflict, Limit, Load
from kam.organization.models import Employee
from kam.web import access

router = Router(tags=["Key accounts"])

PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]
HandoverId = PathEx[int, P(ge=1, le=MAX_ID)]
ManagerCode = PathEx[str, P(min_length=1, max_length=CODE_MAX, pattern=r"^[^\x00]+$")]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}

#: The services' field names as the request bodies call them.
BODY_FIELDS = {
    "to_manager": "to_manager_code",
    "manager": "manager_code",
    "receivers": "receiver_codes",
}
#: In a bulk handover the receiver of each account is one of the receivers.
BULK_FIELDS = {**BODY_FIELDS, "to_manager": "receiver_codes"}


# --- Access ------------------------------------------------------------------------------------


def require_view(request: HttpRequest) -> None:
    if not access.can_view_department(request_user(request)):
        raise PermissionDenied(
            _("The key-account department's board is for those who read every client.")
        )


def require_manage(request: HttpRequest, message: str) -> None:
    if not access.can_manage_department(request_user(request)):
        raise PermissionDenied(message)


def hand_over_refused() -> str:
    # The services' words: the same refusal whichever check comes first.
    return _("Accounts are handed over by the key-account head or the director.")


def limits_refused() -> str:
    return _("Workload limits are set by the key-account head or the director.")


def _visible_handovers(user: Any) -> QuerySet[Handover]:
    return access.handover_scope(user, selectors.handover_list())


# --- Errors ------------------------------------------------------------------------------------


def _item(field: str | None, message: str, code: str | None, names: dict[str, str]) -> Any:
    loc: list[str] = ["body", "payload"]
    if field is not None and field != "__all__":
        loc.append(names.get(field, field))
    # A refusal with a code says what it is (``over_limit``: confirm the assignment).
    return {"type": code or "value_error", "loc": loc, "msg": message}


def _invalid(error: ValidationError, names: dict[str, str] = BODY_FIELDS) -> RequestInvalid:
    """A service's refusal as a 422 in django-ninja's shape: ``loc`` names the body field."""
    if hasattr(error, "error_dict"):
        return RequestInvalid(
            [
                _item(field, " ".join(e.messages), e.code, names)
                for field, errors in error.error_dict.items()
                for e in errors
            ]
        )
    return RequestInvalid(
        [_item(None, " ".join(e.messages), e.code, names) for e in error.error_list]
    )


def _bulk_invalid(error: ValidationError) -> RequestInvalid:
    """A bulk handover's refusal names the account; the field is the refused handover's."""
    cause = error.__cause__
    field = code = None
    if isinstance(cause, ValidationError) and hasattr(cause, "error_dict"):
        field = next(iter(cause.error_dict))
        code = cause.error_dict[field][0].code
    return RequestInvalid([_item(field, " ".join(error.messages), code, BULK_FIELDS)])


def _unknown(field: str | list[str | int]) -> RequestInvalid:
    loc = ["body", "payload", *([field] if isinstance(field, str) else field)]
    return RequestInvalid(
        [{"type": "value_error", "loc": loc, "msg": _("No employee with this code.")}]
    )


def _by_code(code: str, field: str) -> Employee:
    employee = Employee.objects.select_related("department").filter(code=code).first()
    if employee is None:
        raise _unknown(field)
    return employee


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _money(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _client(client: Client) -> dict[str, Any]:
    return {"id": client.pk, "code": client.code, "name": client.name, "status": client.status}


def _load(load: Load) -> dict[str, Any]:
    return {"accounts": load.accounts, "revenue_12m": float(load.revenue)}


def _limit(limit: Limit) -> dict[str, Any]:
    return {"max_accounts": limit.max_accounts, "max_revenue": _money(limit.max_revenue)}


def _over(employee: Employee, load: Load) -> bool:
    """Above the limit, as the board counts it."""
    return ManagerColumn(employee, [], load).over_limit


def _account(account: Account) -> dict[str, Any]:
    growth = account.growth
    return {
        "client": _client(account.client),
        "since": account.since,
        "revenue_12m": float(account.revenue),
        "revenue_prev_12m": float(account.revenue_prev),
        "growth_pct": None if growth is None else round(growth, 2),
        "trend": account.trend,
        "next_review": account.next_review,
        "further_work": account.further_work or None,
        "pending_handover_id": account.pending_handover.pk if account.pending_handover else None,
    }


def _handover(handover: Handover) -> dict[str, Any]:
    client = handover.client
    return {
        "id": handover.pk,
        "client": {"id": client.pk, "code": client.code, "name": client.name},
        "from_manager": _employee(handover.from_manager),
        "to_manager": _employee(handover.to_manager),
        "effective": handover.effective,
        "cause": handover.cause,
        "reason": handover.reason,
        "notes": handover.notes,
        "load_before": handover.load_before,
        "limit": handover.limit,
        "over_limit": handover.over_limit,
        "bulk": str(handover.bulk) if handover.bulk else None,
        "created_by": _username(handover.created_by),
        "created_at": handover.created_at,
        "acknowledged_at": handover.acknowledged_at,
        "acknowledged_by": _username(handover.acknowledged_by),
    }


def _briefing(data: dict[str, Any]) -> dict[str, Any]:
    sections: dict[str, Any] = data.get("sections") or {}
    keys = [k for k in TITLES if k in sections] + [k for k in sections if k not in TITLES]
    return {
        "as_of": data.get("as_of"),
        "sections": [
            {"key": key, "title": str(TITLES.get(key, key)), "items": sections[key]} for key in keys
        ],
    }


def _handover_detail(handover_id: int) -> dict[str, Any]:
    handover = selectors.handover_list().get(pk=handover_id)
    return {**_handover(handover), "briefing": _briefing(handover.briefing)}


def _with_users(handovers: list[Handover]) -> list[Handover]:
    """Who recorded and acknowledged them: two queries for any number."""
    prefetch_related_objects(handovers, "created_by", "acknowledged_by")
    return handovers


# --- The board and my accounts -----------------------------------------------------------------


@router.get(
    "/board",
    response={200: BoardOut, **READ_ERRORS},
    operation_id="keyaccounts_board",
    summary="The department's board: managers, their load and accounts, gaps, conflicts",
    description="For those who read every client (director, key-account head, analyst, "
    "auditor, credit committee). Revenue over the last 12 months, this month included.",
)
def board_endpoint(request: HttpRequest) -> dict[str, Any]:
    require_view(request)
    board = selectors.board()
    return {
        "as_of": board.as_of,
        "key_accounts": board.key_accounts,
        "managers": [
            {
                "id": column.employee.pk,
                "code": column.employee.code,
                "name": column.employee.name,
                "active": column.employee.is_active,
                "load": _load(column.load),
                "limit": _limit(column.load.limit),
                "over_limit": column.over_limit,
                "accounts": [_account(a) for a in column.accounts],
            }
            for column in board.managers
        ],
        "gaps": [
            {
                "client": _client(gap.client),
                "responsible": _employee(gap.responsible),
                "problem": gap.problem,
                "since": gap.since,
            }
            for gap in board.gaps
        ],
        "conflicts": [
            {
                "client": _client(conflict.client),
                "responsible": _employee(conflict.responsible),
                "problem": conflict.problem,
            }
            for conflict in board.conflicts
        ],
        "pending": [_handover(h) for h in _with_users(board.pending)],
    }


@router.get(
    "/mine",
    response={200: MyAccountsOut, **READ_ERRORS},
    operation_id="keyaccounts_mine",
    summary="The caller's accounts, load and limit, and handovers to acknowledge",
    description="For key-account managers and the head (403 for others, and for an account "
    "not linked to an employee).",
)
def mine_endpoint(request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    if not access.has_key_accounts_page(user):
        raise PermissionDenied(_("My accounts are for the key-account department's staff."))
    employee = access.user_employee(user)
    if employee is None:
        raise PermissionDenied(_("Your account is not linked to an employee."))
    accounts = selectors.my_accounts(employee)
    limit = services.limits_for([employee])[employee.pk]
    load = Load(len(accounts), sum((a.revenue for a in accounts), Decimal(0)), limit)
    pending = selectors.pending_for(employee).select_related(
        "to_manager", "created_by", "acknowledged_by"
    )
    return {
        "employee": _employee(employee),
        "load": _load(load),
        "limit": _limit(limit),
        "over_limit": _over(employee, load),
        "accounts": [_account(a) for a in accounts],
        "pending": [_handover(h) for h in pending],
    }


# --- Assignment history ------------------------------------------------------------------------


@router.get(
    "/assignments",
    response={200: AssignmentListOut, **READ_ERRORS},
    operation_id="keyaccounts_assignment_list",
    summary="Who was responsible for which client, from when to when; the latest first",
    description="Only the clients the caller may see.",
)
def assignment_list_endpoint(
    request: HttpRequest,
    filters: Query[AssignmentFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    user = request_user(request)
    rows = Assignment.objects.select_related("client", "manager", "assigned_by").order_by(
        "-start", "-id"
    )
    if not access.sees_others_clients(user):
        rows = rows.filter(client__in=access.client_scope(user))
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.manager_code is not None:
        rows = rows.filter(manager__code=filters.manager_code)
    if filters.open is not None:
        rows = rows.filter(end__isnull=filters.open)
    return {
        "count": rows.count(),
        "items": [
            {
                "id": a.pk,
                "client": {"id": a.client.pk, "code": a.client.code, "name": a.client.name},
                "manager": _employee(a.manager),
                "start": a.start,
                "end": a.end,
                "source": a.source,
                "handover_id": a.handover_id,
                "assigned_by": _username(a.assigned_by),
                "reason": a.reason,
                "end_reason": a.end_reason,
            }
            for a in rows[offset : offset + limit]
        ],
    }


# --- Handovers ---------------------------------------------------------------------------------


@router.get(
    "/handovers",
    response={200: HandoverListOut, **READ_ERRORS},
    operation_id="keyaccounts_handover_list",
    summary="Handovers, the latest first",
    description="All of them for those who read every client; for others, those that name "
    "the caller as giver or receiver.",
)
def handover_list_endpoint(
    request: HttpRequest,
    filters: Query[HandoverFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    rows = _visible_handovers(request_user(request))
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.to_manager_code is not None:
        rows = rows.filter(to_manager__code=filters.to_manager_code)
    if filters.from_manager_code is not None:
        rows = rows.filter(from_manager__code=filters.from_manager_code)
    if filters.cause is not None:
        rows = rows.filter(cause=filters.cause)
    if filters.acknowledged is not None:
        rows = rows.filter(acknowledged_at__isnull=not filters.acknowledged)
    return {"count": rows.count(), "items": [_handover(h) for h in rows[offset : offset + limit]]}


class _DryRun(Exception):
    """Rolls a bulk handover back once it has been checked."""


# Declared before /handovers/{handover_id}: Django tries the routes in order, and "bulk"
# would be taken for an id (405 for a POST).
@router.post(
    "/handovers/bulk",
    response={200: BulkHandoverOut, 201: BulkHandoverOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="keyaccounts_handover_bulk",
    summary="Hand over several accounts of one manager at once: all or nothing",
    description=(
        "The plan says who gets which account. A dry run (200) records every handover and "
        "rolls them back, so it refuses exactly what the real run would; the real run (201, "
        "200 when the manager keeps none of the accounts) records them all with one bulk id, "
        "or none. For the key-account head and the director. 422 names the first refused "
        "account (type `over_limit`: confirm with `confirm_over_limit`). 409: an account "
        "changed hands while the plan was made; nothing was written."
    ),
)
def handover_bulk_endpoint(request: HttpRequest, payload: BulkHandoverIn) -> Status[dict[str, Any]]:
    require_manage(request, hand_over_refused())
    user = request_user(request)
    from_manager = _by_code(payload.from_manager_code, "from_manager_code")
    codes = list(dict.fromkeys(payload.receiver_codes))
    found = Employee.objects.select_related("department").in_bulk(codes, field_name="code")
    for index, code in enumerate(payload.receiver_codes):
        if code not in found:
            raise _unknown(["receiver_codes", index])
    receivers = [found[code] for code in codes]
    client_ids = None if payload.client_ids is None else list(dict.fromkeys(payload.client_ids))
    try:
        plan = services.bulk_plan(
            from_manager=from_manager,
            rule=str(payload.rule),
            receivers=receivers,
            client_ids=client_ids,
        )
    except ValidationError as error:
        raise _invalid(error) from error
    planned = {client.pk for client, _receiver in plan}
    today = timezone.localdate()
    revenue = clients_revenue(client_ids=list(planned), as_of=today)
    loads = services.loads_of(receivers, today)
    handovers: list[Handover] = []
    try:
        with transaction.atomic():
            handovers = services.handovers_bulk(
                plan=plan,
                user=user,
                cause=str(payload.cause),
                reason=payload.reason,
                notes=payload.notes,
                effective=payload.effective,
                confirm_over_limit=payload.confirm_over_limit,
                # The plan was read without locks: each account must still be the manager's.
                from_manager=from_manager,
            )
            if payload.dry_run:
                raise _DryRun
    except _DryRun:
        handovers = []
    except HandoverConflict as conflict:
        return Status(409, {"detail": str(conflict)})
    except ValidationError as error:
        raise _bulk_invalid(error) from error
    recorded = {h.pk: h for h in selectors.handover_list().filter(pk__in=[h.pk for h in handovers])}
    body = {
        "dry_run": payload.dry_run,
        "plan": [
            {
                "client": _client(client),
                "to_manager": _employee(receiver),
                "revenue_12m": float(revenue.get(client.pk) or 0),
            }
            for client, receiver in plan
        ],
        "receivers": [_receiver_load(r, loads[r.pk], plan, revenue) for r in receivers],
        "skipped": [] if client_ids is None else [i for i in client_ids if i not in planned],
        "handovers": [_handover(recorded[h.pk]) for h in handovers],
    }
    return Status(201 if handovers else 200, body)


def _receiver_load(
    receiver: Employee,
    load: Load,
    plan: list[tuple[Client, Employee]],
    revenue: dict[int, Decimal],
) -> dict[str, Any]:
    taken = [client for client, to in plan if to.pk == receiver.pk]
    after = Load(
        load.accounts + len(taken),
        load.revenue + sum((revenue.get(c.pk) or Decimal(0) for c in taken), Decimal(0)),
        load.limit,
    )
    return {
        "manager": _employee(receiver),
        "before": _load(load),
        "after": _load(after),
        "limit": _limit(load.limit),
        "over_limit_after": _over(receiver, after),
    }


@router.get(
    "/handovers/{handover_id}",
    response={200: HandoverDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="keyaccounts_handover_detail",
    summary="One handover with the receiver's briefing",
    description="404 also when the handover exists but is not the caller's to see.",
)
def handover_detail_endpoint(request: HttpRequest, handover_id: HandoverId) -> dict[str, Any]:
    require_role(request)
    if not _visible_handovers(request_user(request)).filter(pk=handover_id).exists():
        raise Http404
    return _handover_detail(handover_id)


@router.post(
    "/handovers",
    response={201: HandoverDetailOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="keyaccounts_handover_create",
    summary="Hand a client over to another responsible manager",
    description=(
        "Closes the current assignment and opens the receiver's from the effective date; the "
        "briefing lists what the receiver takes over. For the director (any client) and the "
        "key-account head (key and potential key accounts, and accounts a key-account manager "
        "keeps); nobody reassigns their own accounts. 409: the account changed hands since "
        "the caller saw it (`expected_from_code`), nothing was written. 422 names the refused "
        "field: a receiver who may not keep the client (separation of functions), a date in "
        "the future or before the current responsibility, a receiver at their workload limit "
        "(`confirm_over_limit`, type `over_limit`)."
    ),
)
def handover_create_endpoint(request: HttpRequest, payload: HandoverIn) -> Status[dict[str, Any]]:
    require_manage(request, hand_over_refused())
    user = request_user(request)
    client = (
        access.client_scope(user)
        .select_related("responsible__department")
        .filter(pk=payload.client_id)
        .first()
    )
    if client is None:
        raise Http404
    if not access.can_hand_over(user, client):
        raise PermissionDenied(hand_over_refused())
    to_manager = _by_code(payload.to_manager_code, "to_manager_code")
    expected_from: Any = services.ANYONE
    if "expected_from_code" in payload.model_fields_set:
        code = payload.expected_from_code
        expected_from = None if code is None else _by_code(code, "expected_from_code")
    try:
        handover = services.handover_record(
            client=client,
            to_manager=to_manager,
            user=user,
            cause=str(payload.cause),
            reason=payload.reason,
            notes=payload.notes,
            effective=payload.effective,
            expected_from=expected_from,
            confirm_over_limit=payload.confirm_over_limit,
        )
    except HandoverConflict as conflict:
        return Status(409, {"detail": str(conflict)})
    except ValidationError as error:
        raise _invalid(error) from error
    return Status(201, _handover_detail(handover.pk))


@router.post(
    "/handovers/{handover_id}/acknowledge",
    response={200: HandoverDetailOut, 404: ErrorOut, **WRITE_ERRORS},
    operation_id="keyaccounts_handover_acknowledge",
    summary="The receiver confirms they have taken the account over and read the briefing",
    description="Only the receiver (403 for anyone else). Acknowledging again changes nothing.",
)
def handover_acknowledge_endpoint(request: HttpRequest, handover_id: HandoverId) -> dict[str, Any]:
    require_role(request)
    handover = Handover.objects.filter(pk=handover_id).first()
    if handover is None:
        raise Http404
    services.handover_acknowledge(handover=handover, user=request_user(request))
    return _handover_detail(handover_id)


# --- Workload limits ---------------------------------------------------------------------------


def _workload() -> dict[str, Any]:
    managers = list(selectors.department_managers())
    loads = services.loads_of(managers)
    own = set(
        WorkloadLimit.objects.filter(manager__in=managers).values_list("manager_id", flat=True)
    )
    default = WorkloadLimit.objects.filter(manager__isnull=True).select_related("updated_by")
    row = default.first()
    return {
        "default": {
            "max_accounts": row.max_accounts if row else services.DEFAULT_MAX_ACCOUNTS,
            "max_revenue": _money(row.max_revenue) if row else None,
            "set": row is not None,
            "updated_by": _username(row.updated_by) if row else None,
            "updated_at": row.updated_at if row else None,
        },
        "managers": [
            {
                "manager": _employee(m),
                "active": m.is_active,
                "own_limit": m.pk in own,
                "limit": _limit(loads[m.pk].limit),
                "load": _load(loads[m.pk]),
                "over_limit": _over(m, loads[m.pk]),
            }
            for m in managers
        ],
    }


@router.get(
    "/workload",
    response={200: WorkloadOut, **READ_ERRORS},
    operation_id="keyaccounts_workload",
    summary="Workload limits: the department's default and each manager's, with their load",
    description="For those who read every client.",
)
def workload_endpoint(request: HttpRequest) -> dict[str, Any]:
    require_view(request)
    return _workload()


@router.put(
    "/workload",
    response={200: WorkloadOut, **WRITE_ERRORS},
    operation_id="keyaccounts_workload_set",
    summary="Set the department's default limit or a key-account manager's own",
    description="For the key-account head and the director; the change is audited.",
)
def workload_set_endpoint(request: HttpRequest, payload: WorkloadLimitIn) -> dict[str, Any]:
    require_manage(request, limits_refused())
    code = payload.manager_code
    manager = None if code is None else _by_code(code, "manager_code")
    max_revenue = payload.max_revenue
    try:
        services.workload_limit_set(
            manager=manager,
            max_accounts=payload.max_accounts,
            max_revenue=None
            if max_revenue is None
            else Decimal(str(max_revenue)).quantize(Decimal("0.01")),
            user=request_user(request),
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return _workload()


@router.delete(
    "/workload/{manager_code}",
    response={204: None, 404: ErrorOut, **WRITE_ERRORS},
    operation_id="keyaccounts_workload_remove",
    summary="Drop a manager's own limit: the department's default applies again",
    description="For the key-account head and the director. 404: no employee with this code.",
)
def workload_remove_endpoint(request: HttpRequest, manager_code: ManagerCode) -> Status[None]:
    require_manage(request, limits_refused())
    manager = Employee.objects.filter(code=manager_code).first()
    if manager is None:
        raise Http404
    services.workload_limit_remove(manager=manager, user=request_user(request))
    return Status(204, None)
