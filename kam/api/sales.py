"""/api/sales: register a sale (a shipment about to go out) in JSON, guarded by the rulebook.

The same service as the page (kam.ledger.services.sale_register): the document joins the
ledger like an imported one. A mandatory rule that the sale breaks (a deferred sale without a
valid credit-committee decision, over the credit limit, to a client whose debt is overdue …)
refuses it with 409 naming each rule, unless the caller holds a role the rule lets override and
gives a reason: then the sale goes through and an incident is opened for the override.

Who: the client's responsible employee (a manager or a rep), the key-account head and the
director (access.can_register_sale); a client outside access.client_scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user
from kam.api.sales_schemas import SaleIn, SaleOut, SaleRefusedOut
from kam.api.schemas import ErrorOut, ValidationErrorOut
from kam.ledger.services import SaleLineInput, sale_register
from kam.rules.guards import GuardRefused
from kam.web import access

router = Router(tags=["Sales"])

BODY: list[str | int] = ["body", "payload"]


def _loc(field: str) -> list[str | int]:
    """The body's place of a service's field: ``lines.2.amount`` is the second line's amount
    (the service counts lines from 1, ``loc`` from 0)."""
    if field == "__all__":
        return BODY
    parts: list[str | int] = []
    for part in field.split("."):
        parts.append(int(part) - 1 if part.isdigit() else part)
    return [*BODY, *parts]


def _invalid(error: ValidationError) -> RequestInvalid:
    if not hasattr(error, "error_dict"):
        return RequestInvalid(
            [
                {"type": e.code or "value_error", "loc": BODY, "msg": " ".join(e.messages)}
                for e in error.error_list
            ]
        )
    return RequestInvalid(
        [
            {"type": e.code or "value_error", "loc": _loc(field), "msg": " ".join(e.messages)}
            for field, errors in error.error_dict.items()
            for e in errors
        ]
    )


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


@router.post(
    "",
    response={
        201: SaleOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: SaleRefusedOut,
        422: ValidationErrorOut,
    },
    operation_id="sale_register",
    summary="Register a sale to a client: a shipment about to go out",
    description=(
        "The document joins the ledger (its lines, totals and the month's roll-up), numbered "
        "by kam unless `doc_no` gives the 1C number. The rulebook's mandatory rules judge it "
        "first: 409 names each rule the sale breaks (code, title, message) and whether the "
        "caller may let it through; sent again with an `override_reason` by a role the rules "
        "allow, it is registered (201) and an incident is opened for each override. Broken "
        "recommendations come back as `warnings`. For the client's responsible employee, the "
        "key-account head and the director (403 for others who see the client); 404: no "
        "client with this code the caller may see. 422 names the field: a date in the future "
        "or more than 31 days back, a line without its amount or product group "
        "(`lines`, the item and its field), a document number already in the ledger."
    ),
)
def sale_register_endpoint(request: HttpRequest, payload: SaleIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    if not access.can_use_app(user):
        raise PermissionDenied(_("Your account has no role in kam yet."))
    client = access.client_scope(user).filter(code=payload.client_code).first()
    if client is None:
        raise Http404
    if not access.can_register_sale(user, client):
        raise PermissionDenied(
            _(
                "Sales are registered by the client's responsible employee, the key-account "
                "head or the director."
            )
        )
    lines = [
        SaleLineInput(
            product_group=line.product_group,
            product_code=line.product_code,
            quantity=line.quantity,
            amount=line.amount,
            cost=line.cost,
        )
        for line in payload.lines
    ]
    try:
        sale = sale_register(
            client=client,
            date=payload.date or timezone.localdate(),
            payment_terms_days=payload.payment_terms_days,
            lines=lines,
            user=user,
            doc_no=payload.doc_no or "",
            override_reason=payload.override_reason,
        )
    except GuardRefused as refusal:
        return Status(409, _refusal(refusal))
    except ValidationError as error:
        raise _invalid(error) from error
    document = sale.document
    return Status(
        201,
        {
            "client": {"id": client.pk, "code": client.code, "name": client.name},
            "document": {
                "doc_no": document.doc_no,
                "date": document.date,
                "due_date": document.due_date,
                "amount": float(document.amount),
                "cost": None if document.cost is None else float(document.cost),
                "payment_terms_days": document.payment_terms_days,
                "lines": document.lines,
            },
            "incidents": [
                {"id": i.pk, "number": i.number, "rule": i.rule.code} for i in sale.incidents
            ],
            "warnings": sale.warnings,
        },
    )
