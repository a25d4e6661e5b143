"""/api/incidents/sanctions: the company's catalogue of sanctions (note, warning, reprimand,
fine with an amount, bonus reduction in percent …), in JSON.

Everyone with a role reads it (a decision names a sanction by its code); the sales director
adds, changes and removes kinds (access.can_manage_sanctions, asked by the services).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import P, PathEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user, require_role
from kam.api.errors import validation_message
from kam.api.incidents_schemas import (
    SANCTION_CODE,
    SANCTION_CODE_MAX,
    SanctionKindIn,
    SanctionKindOut,
    SanctionKindPatchIn,
)
from kam.api.schemas import ErrorOut, ValidationErrorOut
from kam.incidents import services
from kam.incidents.models import SanctionKind
from kam.web import access

router = Router(tags=["Incidents"])

SanctionCode = PathEx[str, P(min_length=1, max_length=SANCTION_CODE_MAX, pattern=SANCTION_CODE)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
ONE_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}
BODY: list[str | int] = ["body", "payload"]


def require_manager(request: HttpRequest) -> None:
    if not access.can_manage_sanctions(request_user(request)):
        raise PermissionDenied(_("The catalogue of sanctions is changed by the sales director."))


def _kind(code: str) -> SanctionKind:
    kind = SanctionKind.objects.filter(code=code).first()
    if kind is None:
        raise Http404
    return kind


def _out(kind: SanctionKind) -> dict[str, Any]:
    return {
        "code": kind.code,
        "name": kind.name,
        "name_ru": kind.name_ru,
        "name_en": kind.name_en,
        "measure": kind.measure,
        "is_sanction": kind.is_sanction,
        "is_active": kind.is_active,
        "position": kind.position,
    }


def _refused(error: ValidationError) -> Exception:
    """Field refusals are a 422 naming the field; others (a kind in use) a 409."""
    if not hasattr(error, "error_dict"):
        return HttpError(409, validation_message(error))
    return RequestInvalid(
        [
            {
                "type": e.code or "value_error",
                "loc": BODY if field == "__all__" else [*BODY, field],
                "msg": " ".join(e.messages),
            }
            for field, errors in error.error_dict.items()
            for e in errors
        ]
    )


@router.get(
    "",
    response={200: list[SanctionKindOut], **READ_ERRORS},
    operation_id="sanction_kind_list",
    summary="The catalogue of sanctions, in its order",
    description="Kinds taken out of use are listed too (`is_active` false): decisions that "
    "applied them keep them. For everyone with a role.",
)
def sanction_kind_list_endpoint(request: HttpRequest) -> list[dict[str, Any]]:
    require_role(request)
    return [_out(k) for k in SanctionKind.objects.order_by("position", "code")]


@router.post(
    "",
    response={201: SanctionKindOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="sanction_kind_add",
    summary="Add a kind of sanction to the catalogue",
    description="For the sales director. 409: the code is taken. 422 names the refused field.",
)
def sanction_kind_add_endpoint(
    request: HttpRequest, payload: SanctionKindIn
) -> Status[dict[str, Any]]:
    require_manager(request)
    user = request_user(request)
    if SanctionKind.objects.filter(code=payload.code).exists():
        raise HttpError(409, _("A sanction with this code exists."))
    try:
        kind = services.sanction_kind_save(
            kind=None,
            user=user,
            code=payload.code,
            name_ru=payload.name_ru,
            name_en=payload.name_en,
            measure=str(payload.measure),
            is_sanction=payload.is_sanction,
            position=payload.position,
            is_active=payload.is_active,
        )
    except ValidationError as error:
        raise _refused(error) from error
    return Status(201, _out(kind))


@router.patch(
    "/{code}",
    response={200: SanctionKindOut, **ONE_ERRORS},
    operation_id="sanction_kind_update",
    summary="Change a kind of sanction: names, what it carries, its order, whether in use",
    description=(
        "Only the fields given change; the code never does. What a kind carries (`measure`) "
        "no longer changes once a decision applied it (422). For the sales director."
    ),
)
def sanction_kind_update_endpoint(
    request: HttpRequest, code: SanctionCode, payload: SanctionKindPatchIn
) -> dict[str, Any]:
    require_manager(request)
    kind = _kind(code)
    try:
        kind = services.sanction_kind_save(
            kind=kind,
            user=request_user(request),
            name_ru=payload.name_ru,
            name_en=payload.name_en,
            measure=None if payload.measure is None else str(payload.measure),
            is_sanction=payload.is_sanction,
            position=payload.position,
            is_active=payload.is_active,
        )
    except ValidationError as error:
        raise _refused(error) from error
    return _out(kind)


@router.delete(
    "/{code}",
    response={204: None, **ONE_ERRORS},
    operation_id="sanction_kind_delete",
    summary="Remove a kind of sanction nobody used (a typo)",
    description="409: a decision applied it or a rule names it as its default: take it out of "
    "use instead (`is_active` false). For the sales director.",
)
def sanction_kind_delete_endpoint(request: HttpRequest, code: SanctionCode) -> Status[None]:
    require_manager(request)
    kind = _kind(code)
    try:
        services.sanction_kind_delete(kind=kind, user=request_user(request))
    except ValidationError as error:
        raise _refused(error) from error
    return Status(204, None)
