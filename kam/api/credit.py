"""/api/credit: the credit committee in JSON: applications for deferred payment (the committee
inbox among them), the members' votes with the decision recorded when the quorum policy is
met, withdrawing an application, the committee's policy; the decision register and a client's
credit position under /api/credit/decisions and /api/credit/clients (kam.api.credit_decisions).

The committee's members and whoever reads every client read every application
(access.credit_application_scope); others read those they filed and those of the clients they
keep; any other application is 404. The client's responsible employee, a deal's owner, the
key-account head and the director apply (access.can_apply_for_credit); a member votes on an
application unless they have a conflict of interest (the applicant, the client's responsible,
the deal's owner: fixed when it was filed); the applicant or the director withdraws it; the
director sets the policy. Everything goes through kam.credit.services, which serialises the
votes on one application: simultaneous last votes make one decision.

Refusals: 403 when the caller may not do it at all (a non-member voting, a conflicted member;
checked before the application's state); 409 when the application is not in a state that
allows it (decided or withdrawn, a member's second vote, a client's second pending
application); 422 when the request's values are refused, ``loc`` naming the body field.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api import credit_decisions
from kam.api.auth import request_user, require_role
from kam.api.credit_decisions import decision_row, vote_out
from kam.api.credit_schemas import (
    CommitteeSettingsIn,
    CommitteeSettingsOut,
    CreditApplicationDetailOut,
    CreditApplicationFilters,
    CreditApplicationIn,
    CreditApplicationListOut,
    CreditVoteCastOut,
    CreditVoteIn,
    CreditWithdrawIn,
)
from kam.api.errors import validation_message
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.clients.models import Client
from kam.credit import selectors, services
from kam.credit.choices import ApplicationState
from kam.credit.models import CreditApplication, CreditDecision, Vote
from kam.deals.models import Deal
from kam.organization.models import Employee
from kam.web import access

#: /api/credit: applications and the committee (tagged one by one: the mounted router of the
#: decisions keeps its own tag).
router = Router()
TAGS = ["Credit committee"]

ApplicationId = PathEx[int, P(ge=1, le=MAX_ID)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
#: A write on one application: not found (404), not in a state that allows it (409).
STEP_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}
BODY: list[str | int] = ["body", "payload"]
#: The services' field names as the request bodies call them.
BODY_FIELDS = {"client": "client_code", "deal": "deal_id"}


# --- Access and errors -------------------------------------------------------------------------


def _visible(request: HttpRequest, application_id: int) -> CreditApplication:
    """The application if the caller may read it (404 otherwise, also when it exists)."""
    require_role(request)
    rows = access.credit_application_scope(request_user(request), CreditApplication.objects.all())
    application = rows.filter(pk=application_id).first()
    if application is None:
        raise Http404
    return application


def _invalid(error: ValidationError) -> RequestInvalid:
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


def _refused(error: ValidationError) -> Exception:
    """Naming no field, the application is in a state that does not allow the step (409)."""
    if not hasattr(error, "error_dict"):
        return HttpError(409, validation_message(error))
    return _invalid(error)


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _employee(employee: Employee | None) -> dict[str, Any] | None:
    if employee is None:
        return None
    return {"id": employee.pk, "code": employee.code, "name": employee.name}


def _client(client: Client) -> dict[str, Any]:
    return {"id": client.pk, "code": client.code, "name": client.name}


def applications_base(user: Any) -> QuerySet[CreditApplication]:
    """Applications with what a list row shows (the votes counted, the caller's vote and
    whether they may vote on each): no query per row."""
    member = access.user_employee(user) if access.is_committee_member(user) else None
    return selectors.with_my_vote(selectors.applications_base(), member)


def _decision(application: CreditApplication) -> CreditDecision | None:
    try:
        return application.decision  # type: ignore[no-any-return]
    except CreditDecision.DoesNotExist:
        return None


def _may_vote(application: CreditApplication) -> bool:
    return (
        application.state == ApplicationState.PENDING
        and bool(getattr(application, "i_may_vote", 0))
        and getattr(application, "my_vote", None) is None
    )


def application_row(application: CreditApplication) -> dict[str, Any]:
    """A list row: applications_base's related rows and counts, no query more."""
    deal = application.deal
    approvals = getattr(application, "approvals", 0)
    return {
        "id": application.pk,
        "number": application.number,
        "client": _client(application.client),
        "deal": None
        if deal is None
        else {"id": deal.pk, "number": deal.number, "title": deal.title},
        "requested_limit": float(application.requested_limit),
        "requested_terms_days": application.requested_terms_days,
        "valid_until": application.valid_until,
        "state": application.state,
        "applicant": _employee(application.applicant),
        "requested_by": _username(application.requested_by),
        "created_at": application.created_at,
        "decided_at": application.decided_at,
        "approvals_needed": application.approvals_needed,
        "chair_must_approve": application.chair_must_approve,
        "voters": getattr(application, "voters_count", 0),
        "approvals": approvals,
        # A vote approves (fully or with less) or rejects.
        "rejections": getattr(application, "votes_cast", 0) - approvals,
        "may_vote": _may_vote(application),
    }


def _detail(application_id: int, request: HttpRequest) -> dict[str, Any]:
    user = request_user(request)
    application = (
        applications_base(user)
        .select_related("client__responsible", "deal__owner")
        .get(pk=application_id)
    )
    ballot = selectors.ballot(application)
    decision = _decision(application)
    pending = application.state == ApplicationState.PENDING
    return {
        **application_row(application),
        "justification": application.justification,
        "facts": application.facts or {},
        "chair": _employee(application.chair),
        "votes": [vote_out(v) for v in ballot.votes],
        "voter_list": [
            {
                "member": _employee(seat.member),
                "chair": seat.is_chair,
                "voted": seat.vote is not None,
            }
            for seat in ballot.seats
        ],
        "conflicted": [
            {"member": _employee(seat.member), "chair": seat.is_chair, "reason": seat.reason}
            for seat in ballot.conflicted
        ],
        "decision": None if decision is None else decision_row(decision),
        "withdrawn_reason": application.withdrawn_reason,
        "may_withdraw": pending and access.can_withdraw_application(user, application),
    }


# --- Applications ------------------------------------------------------------------------------


@router.get(
    "/applications",
    tags=TAGS,
    response={200: CreditApplicationListOut, **READ_ERRORS},
    operation_id="credit_application_list",
    summary="Credit applications the caller may read, the latest first",
    description=(
        "Every application for the committee and whoever reads every client; the caller's "
        "own and those of the clients the caller keeps for others. `awaiting_me=true` is a "
        "member's inbox: pending applications the member may vote on and has not yet."
    ),
)
def application_list_endpoint(
    request: HttpRequest,
    filters: Query[CreditApplicationFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    user = request_user(request)
    rows = access.credit_application_scope(user, applications_base(user))
    if filters.state is not None:
        rows = rows.filter(state=filters.state)
    if filters.client_code is not None:
        rows = rows.filter(client__code=filters.client_code)
    if filters.applicant_code is not None:
        rows = rows.filter(applicant__code=filters.applicant_code)
    if filters.deal_id is not None:
        rows = rows.filter(deal_id=filters.deal_id)
    if filters.awaiting_me is not None:
        awaiting = Q(state=ApplicationState.PENDING, i_may_vote__gt=0, my_vote__isnull=True)
        rows = rows.filter(awaiting) if filters.awaiting_me else rows.exclude(awaiting)
    # The id ends the sort: pages never overlap.
    rows = rows.order_by("-created_at", "-id")
    return {
        "count": rows.count(),
        "items": [application_row(a) for a in rows[offset : offset + limit]],
    }


@router.post(
    "/applications",
    tags=TAGS,
    response={201: CreditApplicationDetailOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="credit_application_submit",
    summary="Apply to the credit committee for a client's deferred payment",
    description=(
        "The client's credit facts (receivables, overdue debt, the valid decision, payment "
        "discipline) are kept with the application as the members will see them; the quorum "
        "policy and the members who may vote (not the applicant, the client's responsible or "
        "the deal's owner) are fixed. For the client's responsible employee, a deal's owner, "
        "the key-account head and the director. 404: no client with this code the caller may "
        "see. 409: the client has an application awaiting votes. 422 names the field: a limit "
        "of 0, terms out of 1–365 days, a validity not after today, no justification, a deal "
        "that is not the client's or not the caller's to see (`deal_id`), too few members "
        "without a conflict of interest for the policy (`client_code`)."
    ),
)
def application_submit_endpoint(
    request: HttpRequest, payload: CreditApplicationIn
) -> Status[dict[str, Any]]:
    require_role(request)
    user = request_user(request)
    # A rep applies for the clients they keep and those they have a deal with.
    client = (
        access.client_scope(user).filter(code=payload.client_code).first()
        or access.credit_client_scope(user, Client.objects.all())
        .filter(code=payload.client_code)
        .first()
    )
    if client is None:
        raise Http404
    if not access.can_apply_for_credit(user, client):
        raise PermissionDenied(
            _(
                "Credit is applied for by the client's responsible employee, the deal's owner, "
                "the key-account head or the director."
            )
        )
    deal = None
    if payload.deal_id is not None:
        deal = access.deal_scope(user, Deal.objects.all()).filter(pk=payload.deal_id).first()
        if deal is None:
            message = _("No deal with this id that you may see.")
            raise RequestInvalid(
                [{"type": "value_error", "loc": [*BODY, "deal_id"], "msg": message}]
            )
    try:
        application = services.application_submit(
            client=client,
            user=user,
            requested_limit=payload.requested_limit,
            requested_terms_days=payload.requested_terms_days,
            justification=payload.justification,
            valid_until=payload.valid_until,
            deal=deal,
        )
    except ValidationError as error:
        pending = CreditApplication.objects.filter(client=client, state=ApplicationState.PENDING)
        if pending.exists():
            message = " ".join(error.message_dict.get("client", [])) or validation_message(error)
            raise HttpError(409, message) from error
        raise _invalid(error) from error
    return Status(201, _detail(application.pk, request))


@router.get(
    "/applications/{application_id}",
    tags=TAGS,
    response={200: CreditApplicationDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="credit_application_detail",
    summary="A credit application and its protocol: facts, votes, voters, conflicts, decision",
    description=(
        "The printable protocol's data: what was asked and why, the client's facts when it was "
        "filed, the policy, every vote with its comment, the members who may vote, who may not "
        "(a conflict of interest) and the decision. 404 also when the application exists but "
        "is not the caller's to read."
    ),
)
def application_detail_endpoint(
    request: HttpRequest, application_id: ApplicationId
) -> dict[str, Any]:
    _visible(request, application_id)
    return _detail(application_id, request)


@router.post(
    "/applications/{application_id}/votes",
    tags=TAGS,
    response={201: CreditVoteCastOut, **STEP_ERRORS},
    operation_id="credit_application_vote",
    summary="A member's vote: approve, approve with less, or reject",
    description=(
        "`approve_reduced` says the lower `limit` or the shorter `terms_days` (or both); a "
        "rejection needs a `comment`. When the votes meet the policy (M approvals, the chair's "
        "among them if the policy says so) the decision is recorded at once with the lowest "
        "limit and shortest terms approved, and the response's application carries it; when "
        "approval is out of reach the application is rejected. 403: not a member of the "
        "committee, or a member with a conflict of interest (the applicant, the client's "
        "responsible, the deal's owner). 409: the member has voted already (a vote never "
        "changes), or the application is decided or withdrawn."
    ),
)
def application_vote_endpoint(
    request: HttpRequest, application_id: ApplicationId, payload: CreditVoteIn
) -> Status[dict[str, Any]]:
    application = _visible(request, application_id)
    user = request_user(request)
    member = access.user_employee(user)
    if member is None or not access.is_committee_member(user):
        raise PermissionDenied(_("Only the credit committee's members vote."))
    if not application.voters.filter(pk=member.pk).exists():
        raise PermissionDenied(
            _(
                "%(name)s may not vote on this application: a conflict of interest (the "
                "applicant, the client's responsible or the deal's owner) or not a member when it "
                "was filed."
            )
            % {"name": member.name}
        )
    try:
        vote = services.vote_cast(
            application=application,
            user=user,
            choice=str(payload.choice),
            limit=payload.limit,
            terms_days=payload.terms_days,
            comment=payload.comment,
        )
    except ValidationError as error:
        raise _refused(error) from error
    vote = Vote.objects.select_related("member", "voted_by").get(pk=vote.pk)
    return Status(201, {"vote": vote_out(vote), "application": _detail(application_id, request)})


@router.post(
    "/applications/{application_id}/withdraw",
    tags=TAGS,
    response={200: CreditApplicationDetailOut, **STEP_ERRORS},
    operation_id="credit_application_withdraw",
    summary="Withdraw an application awaiting votes, saying why",
    description="For the applicant and the director. 409: the application is decided or "
    "withdrawn already. 422: no reason.",
)
def application_withdraw_endpoint(
    request: HttpRequest, application_id: ApplicationId, payload: CreditWithdrawIn
) -> dict[str, Any]:
    application = _visible(request, application_id)
    user = request_user(request)
    if not access.can_withdraw_application(user, application):
        raise PermissionDenied(_("The applicant or the director withdraws an application."))
    try:
        services.application_withdraw(application=application, user=user, reason=payload.reason)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(application_id, request)


# --- The committee -----------------------------------------------------------------------------


def _settings() -> dict[str, Any]:
    current = services.committee_settings()
    return {
        "approvals_needed": current.approvals_needed,
        "chair_must_approve": current.chair_must_approve,
        "validity_months": current.validity_months,
        "members": [_employee(m) for m in services.committee_members()],
        "chair": _employee(services.committee_chair()),
        "updated_at": current.updated_at,
    }


@router.get(
    "/settings",
    tags=TAGS,
    response={200: CommitteeSettingsOut, **READ_ERRORS},
    operation_id="credit_settings",
    summary="The committee: its members, chair and quorum policy",
    description="Applications keep the policy of the day they were filed. For everyone with "
    "a role.",
)
def settings_endpoint(request: HttpRequest) -> dict[str, Any]:
    require_role(request)
    return _settings()


@router.put(
    "/settings",
    tags=TAGS,
    response={200: CommitteeSettingsOut, **WRITE_ERRORS},
    operation_id="credit_settings_update",
    summary="Set the committee's quorum policy",
    description=(
        "M approvals of the N members, whether the chair must approve, and how many months a "
        "decision is valid when the application does not say. Applications filed earlier keep "
        "theirs. For the director. 422: more approvals than members (`approvals_needed`)."
    ),
)
def settings_update_endpoint(request: HttpRequest, payload: CommitteeSettingsIn) -> dict[str, Any]:
    user = request_user(request)
    if not access.can_change_committee_settings(user):
        raise PermissionDenied(_("The committee's policy is set by the sales director."))
    try:
        services.committee_settings_update(
            user=user,
            approvals_needed=payload.approvals_needed,
            chair_must_approve=payload.chair_must_approve,
            validity_months=payload.validity_months,
        )
    except ValidationError as error:
        raise _invalid(error) from error
    return _settings()


router.add_router("", credit_decisions.router)
