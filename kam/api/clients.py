"""GET /api/clients and /api/clients/{client_id}: the client list and card, in JSON."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import P, PathEx, Query, QueryEx, Router

from kam.api.auth import request_user, require_role
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ClientDetailOut,
    ClientFilters,
    ClientListOut,
    ErrorOut,
    ValidationErrorOut,
)
from kam.clients.models import Client
from kam.clients.selectors import client_card, client_list, clients_revenue
from kam.keyaccounts.selectors import client_ownership
from kam.organization.models import Employee
from kam.web import access

router = Router(tags=["clients"])


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _client_facts(client: Client) -> dict[str, Any]:
    return {
        "id": client.pk,
        "code": client.code,
        "name": client.name,
        "tax_id": client.tax_id,
        "status": client.status,
        "industry": client.industry,
        "region": client.region,
        "group_code": client.group.code if client.group else None,
        "responsible": _employee(client.responsible),
    }


@router.get(
    "",
    response={
        200: ClientListOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="client_list",
    summary="Clients the caller may see, filtered and sorted",
    description=(
        "The same filters as the client list page. Region, industry and responsible match "
        "exactly (an unknown region finds no client); a value the filters cannot read is "
        "refused with 400, never ignored."
    ),
)
def client_list_endpoint(
    request: HttpRequest,
    filters: Query[ClientFilters],
    limit: QueryEx[int, P(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: QueryEx[int, P(ge=0, le=MAX_OFFSET)] = 0,
) -> dict[str, Any]:
    require_role(request)
    params = filters.as_params()
    filterset, queryset = client_list(user=request_user(request), params=params)
    # The pages ignore a bad filter; an API caller would silently get every client instead.
    if filterset.is_bound and not filterset.form.is_valid():
        raise ValidationError(filterset.form.errors.as_data())  # type: ignore[arg-type]
    # Pages must not overlap: equal sort keys are ordered by id.
    queryset = queryset.order_by(*queryset.query.order_by, "id")
    page = list(queryset[offset : offset + limit])
    revenue = clients_revenue(client_ids=[c.pk for c in page], as_of=timezone.localdate())
    return {
        "count": queryset.count(),
        "items": [{**_client_facts(c), "revenue_12m": float(revenue.get(c.pk) or 0)} for c in page],
    }


@router.get(
    "/{client_id}",
    response={
        200: ClientDetailOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        422: ValidationErrorOut,
    },
    operation_id="client_detail",
    summary="The client card",
    description="404 also when the client exists but is not the caller's to see. "
    "`ownership`: who keeps the client by the assignment history, and what is wrong with it.",
)
def client_detail_endpoint(
    request: HttpRequest, client_id: PathEx[int, P(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    require_role(request)
    user = request_user(request)
    client = (
        access.client_scope(user)
        .select_related("responsible", "group")
        .filter(pk=client_id)
        .first()
    )
    if client is None:
        raise Http404
    card = client_card(client=client, as_of=timezone.localdate())
    ownership = client_ownership(client)
    current = ownership["current"]
    receivables = card["receivables"]
    decision = card["credit_decision"]
    return {
        **_client_facts(client),
        "group_name": client.group.name if client.group else None,
        "employees": client.employees,
        "annual_revenue": _money(client.annual_revenue),
        "purchase_potential": _money(client.purchase_potential),
        "revenue_12m": card["revenue_12m"],
        "margin_12m": card["margin_12m"],
        "monthly": card["series"],
        "receivables": {
            "unpaid": float(receivables["unpaid"] or 0),
            "overdue": float(receivables["overdue"] or 0),
            "max_overdue_days": max(int(receivables["max_overdue_days"] or 0), 0),
            "overdue_documents": int(receivables["overdue_documents"] or 0),
        },
        "recent_documents": [
            {
                "doc_no": d.doc_no,
                "date": d.date,
                "due_date": d.due_date,
                "amount": float(d.amount),
                "cost": _money(d.cost),
                "payment_terms_days": d.payment_terms_days,
                "lines": d.lines,
            }
            for d in card["documents"]
        ],
        "recent_payments": [
            {
                "doc_no": p.doc_no,
                "date": p.date,
                "amount": float(p.amount),
                "invoice_doc_no": p.invoice_doc_no,
            }
            for p in card["payments"]
        ],
        "credit_decision": None
        if decision is None
        else {
            "decision_no": decision.decision_no,
            "date": decision.date,
            "credit_limit": float(decision.credit_limit),
            "max_terms_days": decision.max_terms_days,
            "valid_until": decision.valid_until,
        },
        "ownership": {
            "responsible": _employee(current.manager if current else None),
            "since": current.start if current else None,
            "problem": ownership["problem"],
            "pending_handover_id": ownership["pending"].pk if ownership["pending"] else None,
        },
    }
