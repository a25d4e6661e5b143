"""/api/deals: deals (deal support and closing) in JSON: the list, the pipeline by stage, one
deal with its stage history and the client's credit, writing and changing one, moving it
along the pipeline under the rulebook's guard; prospects under /api/deals/prospects
(kam.api.prospects).

A caller reads the deals of access.deal_scope (every deal for whoever reads every client, else
the deals they own and those of the clients they keep); any other deal is 404. Sales reps,
key-account managers, the key-account head and the director make deals
(access.can_work_deals); the owner, the key-account head (for the department's deals) and the
director change and move one (access.can_edit_deal). Everything goes through
kam.deals.services.

A move of a deal on deferred payment into the contract or shipped stage is guarded by the
credit rules (a valid committee decision allowing the terms, the exposure within the limit, no
debt overdue beyond the rule's days): a refusal is 409 naming each rule (code, title, message)
and whether the caller may override; sent again with an ``override_reason`` by a role the rules
allow, the deal moves and an incident is opened for each override.

Refusals: 403 when the caller may not do it at all (checked before the deal's state); 409 when
the deal is not in a state that allows it; 422 when the request's values are refused, ``loc``
naming the body field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api import prospects
from kam.api.auth import request_user, require_role
from kam.api.credit_decisions import position_out
from kam.api.deals_schemas import (
    DealDetailOut,
    DealFilters,
    DealIn,
    DealListOut,
    DealMovedOut,
    DealMoveIn,
    DealMoveRefusedOut,
    DealPatchIn,
    PipelineFilters,
    PipelineOut,
)
from kam.api.errors import error_item, validation_message
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.clients.models import Client
from kam.credit.models import CreditApplication
from kam.credit.services import credit_position
from kam.deals import selectors, services
from kam.deals.choices import OPEN_STAGES, PIPELINE, DealStage
from kam.deals.filters import DEAL_DEFAULT_SORT, sort_deals
from kam.deals.models import Deal, Prospect
from kam.organization.models import Employee
from kam.rules.guards import GuardRefused
from kam.web import access

#: /api/deals: the list, the pipeline and a new deal, then the prospects' paths, then one
#: deal's (tagged one by one: the mounted router keeps its own tag).
router = Router()
TAGS = ["Deals"]
one_deal = Router(tags=TAGS)

DealId = PathEx[int, P(ge=1, le=MAX_ID)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
#: A write on one deal: not found (404), not in a state that allows it (409).
STEP_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}
BODY: list[str | int] = ["body", "payload"]
#: The services' field names as the request bodies call them.
BODY_FIELDS = {"client": "client_code", "prospect": "prospect_id", "owner": "owner_code"}
#: The pipeline's order, lost last.
STAGE_ORDER = [*PIPELINE, DealStage.LOST]


# --- Access and errors -------------------------------------------------------------------------


def _visible(request: HttpRequest, deal_id: int) -> Deal:
    """The deal if the caller may read it (404 otherwise, also when it exists)."""
    require_role(request)
    rows = Deal.objects.select_related("owner__department")
    deal = access.deal_scope(request_user(request), rows).filter(pk=deal_id).first()
    if deal is None:
        raise Http404
    return deal


def _editable(request: HttpRequest, deal_id: int) -> Deal:
    deal = _visible(request, deal_id)
    if not access.can_edit_deal(request_user(request), deal):
        raise PermissionDenied(_("A deal is changed by its owner (or the director)."))
    return deal


def _invalid(error: ValidationError) -> RequestInvalid:
    assert hasattr(error, "error_dict")
    return RequestInvalid(
        [
            error_item(
                BODY if field == "__all__" else [*BODY, BODY_FIELDS.get(field, field)],
                " ".join(e.messages),
                e.code,
            )
            for field, errors in error.error_dict.items()
            for e in errors
        ]
    )


def _conflict(error: ValidationError) -> dict[str, Any]:
    return {"detail": " ".join(error.messages), "rules": [], "overridable": False}


def _refusal(refusal: GuardRefused) -> dict[str, Any]:
    return {
        "detail": " ".join(refusal.messages),
        "rules": [
            {
                "code": breach.version.rule.code,
                "title": breach.version.title,
                "message": breach.version.message(breach.facts),
            }
            for breach in refusal.breaches
        ],
        "overridable": refusal.overridable,
    }


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _employee(employee: Employee) -> dict[str, Any]:
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _client(client: Client | None) -> dict[str, Any] | None:
    if client is None:
        return None
    return {"id": client.pk, "code": client.code, "name": client.name}


def deal_row(deal: Deal, today: dt.date | None = None) -> dict[str, Any]:
    """A list row: selectors.deals_base's related rows, no query more."""
    prospect = deal.prospect
    return {
        "id": deal.pk,
        "number": deal.number,
        "title": deal.title,
        "client": _client(deal.client),
        "prospect": None
        if prospect is None
        else {"id": prospect.pk, "name": prospect.name, "status": prospect.status},
        "owner": _employee(deal.owner),
        "amount": float(deal.amount),
        "product_groups": [str(g) for g in deal.product_groups or []],
        "payment_terms_days": deal.payment_terms_days,
        "deferred": deal.payment_terms_days > 0,
        "expected_close": deal.expected_close,
        "late": selectors.is_late(deal, today),
        "stage": deal.stage,
        "stage_since": deal.stage_since,
        "lost_reason": deal.lost_reason,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


def _detail(deal_id: int, request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    deal = selectors.deals_base().select_related("created_by").get(pk=deal_id)
    history = selectors.deal_history(deal)
    applications = access.credit_application_scope(
        user, CreditApplication.objects.filter(deal=deal)
    ).order_by("-created_at", "-id")
    return {
        **deal_row(deal),
        "notes": deal.notes,
        "created_by": _username(deal.created_by),
        "may_edit": access.can_edit_deal(user, deal),
        "stage_history": [
            {
                "stage_before": change.stage_before or None,
                "stage": change.stage,
                "comment": change.comment,
                "actor": _username(change.actor),
                "at": change.at,
            }
            for change in history
        ],
        "credit": None if deal.client is None else position_out(credit_position(deal.client)),
        "credit_applications": [
            {"id": a.pk, "number": a.number, "state": a.state} for a in applications
        ],
        "incidents": [
            {"id": i.pk, "number": i.number, "rule": i.rule.code}
            for i in selectors.deal_incidents(deal, user)
        ],
    }


# --- Lists -------------------------------------------------------------------------------------


def _filtered(request: HttpRequest, filters: PipelineFilters) -> QuerySet[Deal]:
    rows = selectors.deals_visible(request_user(request))
    if filters.owner_code is not None:
        rows = rows.filter(owner__code=filters.owner_code)
    if filters.client_code is not None:
        rows = rows.filter(client__code=filters.client_code)
    if filters.prospect_id is not None:
        rows = rows.filter(prospect_id=filters.prospect_id)
    if filters.deferred is not None:
        terms = Q(payment_terms_days__gt=0)
        rows = rows.filter(terms if filters.deferred else ~terms)
    if filters.expected_close_from is not None:
        rows = rows.filter(expected_close__gte=filters.expected_close_from)
    if filters.expected_close_to is not None:
        rows = rows.filter(expected_close__lte=filters.expected_close_to)
    if filters.q:
        rows = selectors.deal_search(rows, filters.q)
    return rows


@router.get(
    "",
    tags=TAGS,
    response={200: DealListOut, **READ_ERRORS},
    operation_id="deal_list",
    summary="Deals the caller may read, filtered and sorted",
    description=(
        "Every deal for those who read every client; otherwise the caller's own and those of "
        "the clients the caller keeps. `amount`: the total of every deal matching the filters."
    ),
)
def deal_list_endpoint(
    request: HttpRequest,
    filters: Query[DealFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    rows = _filtered(request, filters)
    if filters.stage:
        rows = rows.filter(stage__in=[str(s) for s in filters.stage])
    if filters.open is not None:
        is_open = Q(stage__in=OPEN_STAGES)
        rows = rows.filter(is_open if filters.open else ~is_open)
    # Every sort ends with the id: pages never overlap.
    rows = sort_deals(rows, str(filters.sort or DEAL_DEFAULT_SORT))
    total = rows.aggregate(total=Sum("amount"))["total"]
    today = timezone.localdate()
    return {
        "count": rows.count(),
        "amount": float(total or 0),
        "items": [deal_row(d, today) for d in rows[offset : offset + limit]],
    }


@router.get(
    "/pipeline",
    tags=TAGS,
    response={200: PipelineOut, **READ_ERRORS},
    operation_id="deal_pipeline",
    summary="The pipeline: how many deals and how much at each stage",
    description="Over the deals the caller may read, with the list's filters.",
)
def deal_pipeline_endpoint(request: HttpRequest, filters: Query[PipelineFilters]) -> dict[str, Any]:
    require_role(request)
    totals = services.pipeline_totals(_filtered(request, filters).order_by())
    stages = [
        {
            "stage": stage,
            "label": str(DealStage(stage).label),
            "count": totals[stage]["n"],
            "amount": float(totals[stage]["amount"]),
        }
        for stage in STAGE_ORDER
    ]
    return {
        "stages": stages,
        "open_count": sum(s["count"] for s in stages if s["stage"] in OPEN_STAGES),
        "open_amount": sum(s["amount"] for s in stages if s["stage"] in OPEN_STAGES),
    }


@router.post(
    "",
    tags=TAGS,
    response={201: DealDetailOut, 404: ErrorOut, **WRITE_ERRORS},
    operation_id="deal_create",
    summary="Open a deal for a client or a prospect",
    description=(
        "At the qualification stage, owned by `owner_code` (default: the caller). For sales "
        "reps, key-account managers, the key-account head and the director. 404: no client "
        "with this code (or prospect with this id) the caller may see. 422 names the field: "
        "both or neither of `client_code` and `prospect_id`, a lost prospect, an owner unknown "
        "or no longer active, a prospect's deal owned in the key-account department (which "
        "does not prospect)."
    ),
)
def deal_create_endpoint(request: HttpRequest, payload: DealIn) -> Status[dict[str, Any]]:
    require_role(request)
    user = request_user(request)
    if not access.can_work_deals(user):
        raise PermissionDenied(_("Deals are worked by the sales staff."))
    client = prospect = None
    if payload.client_code is not None:
        client = access.client_scope(user).filter(code=payload.client_code).first()
        if client is None:
            raise Http404
    if payload.prospect_id is not None:
        rows = access.prospect_scope(user, Prospect.objects.select_related("client"))
        prospect = rows.filter(pk=payload.prospect_id).first()
        if prospect is None:
            raise Http404
    owner = prospects.owner_by_code(payload.owner_code)
    try:
        deal = services.deal_create(
            user=user,
            client=client,
            prospect=prospect,
            owner=owner,
            title=payload.title,
            amount=payload.amount,
            payment_terms_days=payload.payment_terms_days,
            expected_close=payload.expected_close,
            product_groups=payload.product_groups,
            notes=payload.notes,
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return Status(201, _detail(deal.pk, request))


# --- One deal ----------------------------------------------------------------------------------


@one_deal.get(
    "/{deal_id}",
    response={200: DealDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="deal_detail",
    summary="A deal: its stage history, the client's credit position, applications, incidents",
    description="404 also when the deal exists but is not the caller's to read.",
)
def deal_detail_endpoint(request: HttpRequest, deal_id: DealId) -> dict[str, Any]:
    _visible(request, deal_id)
    return _detail(deal_id, request)


@one_deal.patch(
    "/{deal_id}",
    response={200: DealDetailOut, **STEP_ERRORS},
    operation_id="deal_update",
    summary="Change a deal's terms",
    description=(
        "Only the fields given change. From the contract on, the amount and the payment terms "
        "are what the credit rules were checked against: changing them is 409 (move the deal "
        "back to negotiation first); 409 too for a paid or lost deal. For the owner, the "
        "key-account head (the department's deals) and the director. 422 names the field."
    ),
)
def deal_update_endpoint(
    request: HttpRequest, deal_id: DealId, payload: DealPatchIn
) -> dict[str, Any]:
    deal = _editable(request, deal_id)
    try:
        services.deal_update(
            deal=deal, user=request_user(request), **payload.model_dump(exclude_none=True)
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise HttpError(409, validation_message(error)) from error
        raise _invalid(error) from error
    return _detail(deal_id, request)


@one_deal.post(
    "/{deal_id}/move",
    response={**STEP_ERRORS, 200: DealMovedOut, 409: DealMoveRefusedOut},
    operation_id="deal_move",
    summary="Move a deal to another stage, or lose it saying why",
    description=(
        "Stages may be skipped (a repeat order goes straight to the contract) or gone back to. "
        "Into the contract or shipped stage on deferred payment, the credit rules judge the "
        "move first: 409 names each rule that refuses it (code, title, message) and whether "
        "the caller may let it through; sent again with an `override_reason` by a role the "
        "rules allow, it moves (200) and `opened_incidents` lists an incident per override. "
        "409 too, without rules: the deal is paid or lost, at that stage already, or a "
        "prospect's deal going to the contract before the prospect is converted. 422: no "
        "`comment` to lose it. For the owner, the key-account head (the department's deals) "
        "and the director."
    ),
)
def deal_move_endpoint(
    request: HttpRequest, deal_id: DealId, payload: DealMoveIn
) -> Status[dict[str, Any]]:
    deal = _editable(request, deal_id)
    try:
        moved = services.deal_move(
            deal=deal,
            user=request_user(request),
            stage=str(payload.stage),
            comment=payload.comment,
            override_reason=payload.override_reason,
        )
    except GuardRefused as refusal:
        return Status(409, _refusal(refusal))
    except ValidationError as error:
        # The stage refused is the deal's state (there already, closed, not a client's yet).
        if not hasattr(error, "error_dict") or "stage" in error.error_dict:
            return Status(409, _conflict(error))
        raise _invalid(error) from error
    opened = getattr(moved, "rule_incidents", [])
    return Status(
        200,
        {
            **_detail(deal_id, request),
            "opened_incidents": [
                {"id": i.pk, "number": i.number, "rule": i.rule.code} for i in opened
            ],
            "warnings": getattr(moved, "rule_warnings", []),
        },
    )


router.add_router("/prospects", prospects.router)
router.add_router("", one_deal)
