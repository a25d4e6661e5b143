"""/api/deals/prospects: prospects (the acquisition subprocess) in JSON: the list, one with its
status history and deals, writing one, moving it along new → contacted → qualified (or losing
it with a reason), the clients it may duplicate, converting it into a client.

A caller reads the prospects of access.prospect_scope (every prospect for whoever reads every
client, else their own); any other prospect is 404. Sales staff, the key-account head and the
director create prospects (access.can_work_deals; the key-account department owns none: the
service refuses such an owner); the owner (a sales rep) and the director change, move and
convert one (access.can_edit_prospect). Everything goes through kam.deals.services.

Refusals: 403 when the caller may not do it at all (checked before the prospect's state); 409
when the prospect is not in a state that allows it (converted, lost, a status it cannot go to)
or may be a client already (the candidates named); 422 when the request's values are refused,
``loc`` naming the body field.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user, require_role
from kam.api.deals_schemas import (
    ProspectConvertIn,
    ProspectConvertRefusedOut,
    ProspectDetailOut,
    ProspectDuplicateOut,
    ProspectFilters,
    ProspectIn,
    ProspectListOut,
    ProspectPatchIn,
    ProspectStatusIn,
)
from kam.api.errors import error_item
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.clients.models import Client
from kam.deals import selectors, services
from kam.deals.filters import PROSPECT_DEFAULT_SORT, sort_prospects
from kam.deals.models import Prospect
from kam.organization.models import Employee
from kam.web import access

router = Router(tags=["Prospects"])

ProspectId = PathEx[int, P(ge=1, le=MAX_ID)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
#: A write on one prospect: not found (404), not in a state that allows it (409).
STEP_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}
BODY: list[str | int] = ["body", "payload"]
#: The services' field names as the request bodies call them.
BODY_FIELDS = {"owner": "owner_code", "existing": "client_code", "code": "new_client_code"}

# --- Access and errors -------------------------------------------------------------------------


def _visible(request: HttpRequest, prospect_id: int) -> Prospect:
    """The prospect if the caller may read it (404 otherwise, also when it exists)."""
    require_role(request)
    rows = access.prospect_scope(request_user(request), Prospect.objects.select_related("owner"))
    prospect = rows.filter(pk=prospect_id).first()
    if prospect is None:
        raise Http404
    return prospect


def _editable(request: HttpRequest, prospect_id: int) -> Prospect:
    prospect = _visible(request, prospect_id)
    if not access.can_edit_prospect(request_user(request), prospect):
        raise PermissionDenied(_("A prospect is worked by its owner (or the director)."))
    return prospect


def _refused(error: ValidationError, conflicts: tuple[str, ...] = ()) -> Exception:
    """A service's refusal: naming no field (or one of ``conflicts``, the prospect's state), a
    409; else a 422 with ``loc`` on the body's fields."""
    if not hasattr(error, "error_dict") or set(error.error_dict) & set(conflicts):
        return HttpError(409, " ".join(error.messages))
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


def owner_by_code(code: str | None) -> Employee | None:
    """The employee a body's ``owner_code`` names (None when not given); 422 if nobody."""
    if code is None:
        return None
    owner = Employee.objects.filter(code=code).first()
    if owner is None:
        raise RequestInvalid([error_item([*BODY, "owner_code"], _("No employee with this code."))])
    return owner


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _client(client: Client | None) -> dict[str, Any] | None:
    if client is None:
        return None
    return {"id": client.pk, "code": client.code, "name": client.name}


def prospect_row(prospect: Prospect) -> dict[str, Any]:
    """A list row: selectors.prospects_base's related rows and counts, no query more."""
    return {
        "id": prospect.pk,
        "name": prospect.name,
        "tax_id": prospect.tax_id,
        "industry": prospect.industry,
        "region": prospect.region,
        "contact_name": prospect.contact_name,
        "phone": prospect.phone,
        "email": prospect.email,
        "source": prospect.source,
        "status": prospect.status,
        "status_since": prospect.status_since,
        "owner": _employee(prospect.owner),
        "client": _client(prospect.client),
        "lost_reason": prospect.lost_reason,
        "open_deals": getattr(prospect, "open_deals", 0),
        "open_amount": float(getattr(prospect, "open_amount", None) or 0),
        "created_at": prospect.created_at,
        "updated_at": prospect.updated_at,
    }


def _detail(prospect_id: int, request: HttpRequest) -> dict[str, Any]:
    from kam.api.deals import deal_row

    user = request_user(request)
    prospect = selectors.prospects_base().select_related("created_by").get(pk=prospect_id)
    events = selectors.prospect_history(prospect)
    deals = selectors.deals_visible(user).filter(prospect=prospect)
    return {
        **prospect_row(prospect),
        "notes": prospect.notes,
        "created_by": _username(prospect.created_by),
        "may_edit": access.can_edit_prospect(user, prospect),
        "events": [
            {
                "status_before": e.status_before or None,
                "status": e.status,
                "comment": e.comment,
                "actor": _username(e.actor),
                "at": e.at,
            }
            for e in events
        ],
        "deals": [deal_row(d) for d in deals.order_by("-created_at", "-id")],
    }


def _duplicates(prospect: Prospect) -> list[dict[str, Any]]:
    found = services.prospect_duplicates(prospect)
    responsible = Employee.objects.in_bulk({c.responsible_id for c in found if c.responsible_id})
    key = services.normalised_name(prospect.name)
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "tax_id": c.tax_id,
            "responsible": _employee(responsible.get(c.responsible_id or 0)),
            "matched_by": [
                reason
                for reason, matched in (
                    ("tax_id", bool(prospect.tax_id) and c.tax_id == prospect.tax_id),
                    ("name", bool(key) and services.normalised_name(c.name) == key),
                )
                if matched
            ],
        }
        for c in found
    ]


# --- Operations --------------------------------------------------------------------------------


@router.get(
    "",
    response={200: ProspectListOut, **READ_ERRORS},
    operation_id="prospect_list",
    summary="Prospects the caller may read, filtered and sorted",
    description="Every prospect for those who read every client; otherwise the caller's own.",
)
def prospect_list_endpoint(
    request: HttpRequest,
    filters: Query[ProspectFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    rows = selectors.prospects_visible(request_user(request))
    if filters.status:
        rows = rows.filter(status__in=[str(s) for s in filters.status])
    if filters.source is not None:
        rows = rows.filter(source=filters.source)
    if filters.owner_code is not None:
        rows = rows.filter(owner__code=filters.owner_code)
    if filters.q:
        rows = selectors.prospect_search(rows, filters.q)
    # Every sort ends with the id: pages never overlap.
    rows = sort_prospects(rows, str(filters.sort or PROSPECT_DEFAULT_SORT))
    return {
        "count": rows.count(),
        "items": [prospect_row(p) for p in rows[offset : offset + limit]],
    }


@router.post(
    "",
    response={201: ProspectDetailOut, **WRITE_ERRORS},
    operation_id="prospect_create",
    summary="Record a prospect: a company the sales staff work to win",
    description=(
        "Status new, owned by `owner_code` (default: the caller). For sales reps, the "
        "key-account head and the director. 422 names the field: no name, an owner unknown, "
        "no longer active or in the key-account department (which does not prospect)."
    ),
)
def prospect_create_endpoint(request: HttpRequest, payload: ProspectIn) -> Status[dict[str, Any]]:
    require_role(request)
    user = request_user(request)
    if not access.can_work_deals(user):
        raise PermissionDenied(_("Prospects are worked by the sales staff."))
    owner = owner_by_code(payload.owner_code)
    try:
        prospect = services.prospect_create(
            user=user,
            name=payload.name,
            source=str(payload.source),
            owner=owner,
            tax_id=payload.tax_id,
            industry=payload.industry,
            region=payload.region,
            contact_name=payload.contact_name,
            phone=payload.phone,
            email=payload.email,
            notes=payload.notes,
        )
    except ValidationError as error:
        raise _refused(error) from error
    return Status(201, _detail(prospect.pk, request))


@router.get(
    "/{prospect_id}",
    response={200: ProspectDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="prospect_detail",
    summary="A prospect with its status history and deals",
    description="404 also when the prospect exists but is not the caller's to read.",
)
def prospect_detail_endpoint(request: HttpRequest, prospect_id: ProspectId) -> dict[str, Any]:
    _visible(request, prospect_id)
    return _detail(prospect_id, request)


@router.patch(
    "/{prospect_id}",
    response={200: ProspectDetailOut, **STEP_ERRORS},
    operation_id="prospect_update",
    summary="Change a prospect's details or owner",
    description=(
        "Only the fields given change. For the owner and the director. 409: the prospect is "
        "converted (change the client instead). 422 names the field."
    ),
)
def prospect_update_endpoint(
    request: HttpRequest, prospect_id: ProspectId, payload: ProspectPatchIn
) -> dict[str, Any]:
    prospect = _editable(request, prospect_id)
    owner = owner_by_code(payload.owner_code)
    fields = payload.model_dump(exclude={"owner_code"}, exclude_none=True)
    if "source" in fields:
        fields["source"] = str(fields["source"])
    try:
        services.prospect_update(
            prospect=prospect, user=request_user(request), owner=owner, **fields
        )
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(prospect_id, request)


@router.post(
    "/{prospect_id}/status",
    response={200: ProspectDetailOut, **STEP_ERRORS},
    operation_id="prospect_status_set",
    summary="Move a prospect along, or lose it saying why",
    description=(
        "new → contacted → qualified (and back to contacted); lost from any of them, with a "
        "`comment` (422 without one); a lost prospect may start again as new. Converting is "
        "its own operation. For the owner and the director. 409: the prospect cannot go to "
        "that status from where it is (a converted one never moves)."
    ),
)
def prospect_status_endpoint(
    request: HttpRequest, prospect_id: ProspectId, payload: ProspectStatusIn
) -> dict[str, Any]:
    prospect = _editable(request, prospect_id)
    try:
        services.prospect_status_set(
            prospect=prospect,
            user=request_user(request),
            status=str(payload.status),
            comment=payload.comment,
        )
    except ValidationError as error:
        raise _refused(error, conflicts=("status",)) from error
    return _detail(prospect_id, request)


@router.get(
    "/{prospect_id}/duplicates",
    response={200: list[ProspectDuplicateOut], 404: ErrorOut, **READ_ERRORS},
    operation_id="prospect_duplicates",
    summary="Clients that may be the same company as the prospect",
    description=(
        "The same tax id, or the same name once the legal form and quotes are left out "
        '(«ООО "Ромашка"» is «Ромашка, ООО»). Converting is refused while any is found, '
        "unless the prospect is linked to one of them or a new client is confirmed."
    ),
)
def prospect_duplicates_endpoint(
    request: HttpRequest, prospect_id: ProspectId
) -> list[dict[str, Any]]:
    prospect = _visible(request, prospect_id)
    return _duplicates(prospect)


@router.post(
    "/{prospect_id}/convert",
    response={**STEP_ERRORS, 200: ProspectDetailOut, 409: ProspectConvertRefusedOut},
    operation_id="prospect_convert",
    summary="Convert a prospect into a client",
    description=(
        "A new client (coded `new_client_code`, or N-000001 onward) kept by the prospect's "
        "owner, or the existing client `client_code` names; the prospect's deals become the "
        "client's. 409 names the clients that may be the same company (`candidates`): link "
        "one, or send `confirm_new`; 409 too for a converted or lost prospect. For the owner "
        "and the director. 422: `client_code` is neither one of the caller's clients nor a "
        "candidate, `new_client_code` is taken."
    ),
)
def prospect_convert_endpoint(
    request: HttpRequest, prospect_id: ProspectId, payload: ProspectConvertIn
) -> Status[dict[str, Any]]:
    prospect = _editable(request, prospect_id)
    user = request_user(request)
    existing = None
    if payload.client_code is not None:
        # Linking to a client the caller does not keep is for the duplicates found: the
        # prospect was that company all along.
        existing = access.client_scope(user).filter(code=payload.client_code).first()
        if existing is None:
            candidates = {c.code: c for c in services.prospect_duplicates(prospect)}
            existing = candidates.get(payload.client_code)
        if existing is None:
            message = _("Neither one of your clients nor a possible duplicate of the prospect.")
            raise RequestInvalid([error_item([*BODY, "client_code"], message)])
    try:
        services.prospect_convert(
            prospect=prospect,
            user=user,
            code=payload.new_client_code or "",
            existing=existing,
            confirm_new=payload.confirm_new,
        )
    except ValidationError as error:
        fields = set(getattr(error, "error_dict", {}))
        if "existing" in fields:
            message = " ".join(error.message_dict["existing"])
            return Status(409, {"detail": message, "candidates": _duplicates(prospect)})
        if not fields:
            return Status(409, {"detail": " ".join(error.messages), "candidates": []})
        raise _refused(error) from error
    return Status(200, _detail(prospect_id, request))
