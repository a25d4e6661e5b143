"""/api/credit/decisions and /api/credit/clients/{code}: the register of credit decisions (the
committee's and the imported ones, which are the same objects), revoking one, and a client's
credit position (the client card's credit panel).

The readers of the committee's work (access.can_view_credit) read every decision; anyone else
with a role reads the decisions of the clients they see (access.client_scope), as the client
card shows them; any other decision is 404. The committee's chair and the director revoke
(access.can_revoke_credit_decision). Everything goes through kam.credit.services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user, require_role
from kam.api.credit_schemas import (
    CreditClientOut,
    CreditDecisionDetailOut,
    CreditDecisionFilters,
    CreditDecisionListOut,
    CreditRevokeIn,
)
from kam.api.errors import validation_message
from kam.api.schemas import (
    CODE,
    CODE_MAX,
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.clients.models import Client
from kam.credit import services
from kam.credit.models import CreditApplication, CreditDecision, Vote
from kam.credit.selectors import decision_standing, decisions_base
from kam.credit.services import CreditPosition
from kam.organization.models import Employee
from kam.web import access

router = Router(tags=["Credit committee"])

DecisionId = PathEx[int, P(ge=1, le=MAX_ID)]
ClientCode = PathEx[str, P(min_length=1, max_length=CODE_MAX, pattern=CODE)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
STEP_ERRORS: dict[int, Any] = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut, **READ_ERRORS}
BODY: list[str | int] = ["body", "payload"]


def decision_scope(user: Any, rows: QuerySet[CreditDecision]) -> QuerySet[CreditDecision]:
    """The decisions ``user`` may read: all for the committee's readers, else those of the
    clients the user sees."""
    if access.can_view_credit(user):
        return rows
    return rows.filter(client__in=access.client_scope(user))


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _client(client: Client) -> dict[str, Any]:
    return {"id": client.pk, "code": client.code, "name": client.name}


def decision_row(decision: CreditDecision, today: dt.date | None = None) -> dict[str, Any]:
    """A register row: selectors.decisions_base's related rows and standing, no query more."""
    today = today or timezone.localdate()
    standing = getattr(decision, "standing", None) or decision_standing(decision, today)
    return {
        "id": decision.pk,
        "decision_no": decision.decision_no,
        "client": _client(decision.client),
        "date": decision.date,
        "credit_limit": float(decision.credit_limit),
        "max_terms_days": decision.max_terms_days,
        "valid_until": decision.valid_until,
        "source": decision.source,
        "state": standing,
        "application_id": decision.application_id,
        "revoked_at": decision.revoked_at,
        "revoked_by": _username(decision.revoked_by),
        "revoke_reason": decision.revoke_reason,
    }


def vote_out(vote: Vote) -> dict[str, Any]:
    """A vote with its member and who cast it selected."""
    return {
        "id": vote.pk,
        "member": _employee(vote.member),
        "choice": vote.choice,
        "limit": None if vote.limit is None else float(vote.limit),
        "terms_days": vote.terms_days,
        "comment": vote.comment,
        "cast_by": _username(vote.voted_by),
        "at": vote.at,
    }


def position_out(position: CreditPosition) -> dict[str, Any]:
    decision = position.decision
    available = position.available
    return {
        "on": position.on,
        "decision": None
        if decision is None
        else {"id": decision.pk, "decision_no": decision.decision_no},
        "credit_limit": None if position.limit is None else float(position.limit),
        "max_terms_days": position.terms_days,
        "valid_until": position.valid_until,
        "unpaid": float(position.unpaid),
        "overdue": float(position.overdue),
        "max_overdue_days": position.max_overdue_days,
        "deals_at_contract": float(position.deals_at_contract),
        "exposure": float(position.exposure),
        "available": None if available is None else float(available),
    }


def _detail(decision_id: int) -> dict[str, Any]:
    decision = decisions_base(timezone.localdate()).get(pk=decision_id)
    application = decision.application
    votes = Vote.objects.filter(application_id=decision.application_id).select_related(
        "member", "voted_by"
    )
    return {
        **decision_row(decision),
        "application": None
        if application is None
        else {"id": application.pk, "number": application.number, "state": application.state},
        "votes": [vote_out(v) for v in votes] if application is not None else [],
    }


def _visible(request: HttpRequest, decision_id: int) -> CreditDecision:
    require_role(request)
    rows = decision_scope(request_user(request), CreditDecision.objects.all())
    decision = rows.filter(pk=decision_id).first()
    if decision is None:
        raise Http404
    return decision


# --- Operations --------------------------------------------------------------------------------


@router.get(
    "/decisions",
    response={200: CreditDecisionListOut, **READ_ERRORS},
    operation_id="credit_decision_list",
    summary="The register of credit decisions, the latest first",
    description=(
        "The committee's decisions and the imported ones. Every decision for the committee "
        "and whoever reads every client; the decisions of the caller's clients for others. "
        "`state` as of today: valid, not yet valid (dated later), expired, revoked."
    ),
)
def decision_list_endpoint(
    request: HttpRequest,
    filters: Query[CreditDecisionFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    today = timezone.localdate()
    rows = decision_scope(request_user(request), decisions_base(today))
    if filters.client_code is not None:
        rows = rows.filter(client__code=filters.client_code)
    if filters.source is not None:
        rows = rows.filter(source=filters.source)
    if filters.state is not None:
        # The standing is selectors.decisions_base's annotation.
        rows = rows.filter(Q(standing=str(filters.state)))
    # The id ends the sort: pages never overlap.
    rows = rows.order_by("-date", "-decision_no", "-id")
    return {
        "count": rows.count(),
        "items": [decision_row(d, today) for d in rows[offset : offset + limit]],
    }


@router.get(
    "/decisions/{decision_id}",
    response={200: CreditDecisionDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="credit_decision_detail",
    summary="A credit decision with the committee's votes",
    description="404 also when the decision exists but is not the caller's to read.",
)
def decision_detail_endpoint(request: HttpRequest, decision_id: DecisionId) -> dict[str, Any]:
    _visible(request, decision_id)
    return _detail(decision_id)


@router.post(
    "/decisions/{decision_id}/revoke",
    response={200: CreditDecisionDetailOut, **STEP_ERRORS},
    operation_id="credit_decision_revoke",
    summary="Revoke a credit decision from now on, saying why",
    description=(
        "The decision itself never changes: the revocation is recorded beside it, and from "
        "today no guard or audit counts it valid. For the committee's chair and the director. "
        "409: revoked already. 422: no reason."
    ),
)
def decision_revoke_endpoint(
    request: HttpRequest, decision_id: DecisionId, payload: CreditRevokeIn
) -> dict[str, Any]:
    decision = _visible(request, decision_id)
    user = request_user(request)
    if not access.can_revoke_credit_decision(user):
        raise PermissionDenied(_("A decision is revoked by the committee's chair or the director."))
    try:
        services.decision_revoke(decision=decision, user=user, reason=payload.reason)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise HttpError(409, validation_message(error)) from error
        raise RequestInvalid(
            [
                {"type": "value_error", "loc": [*BODY, field], "msg": " ".join(messages)}
                for field, messages in error.message_dict.items()
            ]
        ) from error
    return _detail(decision_id)


@router.get(
    "/clients/{code}",
    response={200: CreditClientOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="credit_client_position",
    summary="A client's credit: limit, exposure, what is left, every decision",
    description=(
        "The client card's credit panel today: the limit and terms of the valid decisions, "
        "the exposure (unpaid receivables and the deals on deferred payment at the contract "
        "stage) and what is available; every decision of the client (history) and the "
        "applications the caller may read. 404: no client with this code the caller may see."
    ),
)
def client_position_endpoint(request: HttpRequest, code: ClientCode) -> dict[str, Any]:
    require_role(request)
    user = request_user(request)
    client = access.client_scope(user).select_related("responsible").filter(code=code).first()
    if client is None:
        raise Http404
    today = timezone.localdate()
    decisions = decisions_base(today).filter(client=client).order_by("-date", "-decision_no", "-id")
    applications = access.credit_application_scope(
        user, CreditApplication.objects.filter(client=client)
    ).order_by("-created_at", "-id")
    return {
        "client": _client(client),
        "status": client.status,
        "responsible": _employee(client.responsible),
        "position": position_out(services.credit_position(client, today)),
        "decisions": [decision_row(d, today) for d in decisions],
        "applications": [{"id": a.pk, "number": a.number, "state": a.state} for a in applications],
    }
