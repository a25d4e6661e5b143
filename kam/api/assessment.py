"""/api/assessment: re-evaluation cycles, their proposals, a client's assessment and status
decisions, in JSON.

Cycles and proposals are for whoever reads every client (access.can_view_assessment); a
client's assessment is for whoever may see the client (404 otherwise, as the client card).
Running a cycle needs access.can_run_assessment; decisions access.can_decide_status.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user, require_role
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    MIN_AS_OF,
    AssessmentFilters,
    AssessmentListOut,
    ClientAssessmentOut,
    CycleListOut,
    CycleOut,
    CycleRunIn,
    DecisionFilters,
    DecisionIn,
    DecisionListOut,
    DecisionOut,
    ErrorOut,
    ProposalsAcceptedOut,
    ProposalsIn,
    ProposalsRejectedOut,
    ValidationErrorOut,
)
from kam.assessment import selectors, services
from kam.assessment.choices import Review
from kam.assessment.metrics import METRIC_SCHEMA
from kam.assessment.models import Assessment, AssessmentCycle, StatusDecision
from kam.web import access

router = Router(tags=["assessment"])

CycleId = PathEx[int, P(ge=1, le=MAX_ID)]
Limit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}


# --- Access ------------------------------------------------------------------------------------


def require_view(request: HttpRequest) -> None:
    if not access.can_view_assessment(request_user(request)):
        raise PermissionDenied(_("Cycles and proposals are for those who read every client."))


def require_decide(request: HttpRequest) -> None:
    if not access.can_decide_status(request_user(request)):
        raise PermissionDenied(
            _("Status decisions are taken by the key-account head or the director.")
        )


def _cycle(cycle_id: int) -> AssessmentCycle:
    cycle = selectors.cycle_list().filter(pk=cycle_id).first()
    if cycle is None:
        raise Http404
    return cycle


def _invalid(error: ValidationError) -> RequestInvalid:
    """A service's refusal as a 422 in django-ninja's shape: ``loc`` names the field."""
    fields = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    return RequestInvalid(
        [
            {
                "type": "value_error",
                "loc": ["body", "payload"] + ([] if field == "__all__" else [field]),
                "msg": " ".join(messages),
            }
            for field, messages in fields.items()
        ]
    )


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _cycle_out(cycle: AssessmentCycle, pending: int) -> dict[str, Any]:
    return {
        "id": cycle.pk,
        "as_of": cycle.as_of,
        "data_to": cycle.period_end,
        "model_version": cycle.model.version,
        "state": cycle.state,
        "clients": cycle.clients,
        "proposals": {"promote": cycle.promote, "demote": cycle.demote, "keep": cycle.keep},
        "pending": pending,
        "seconds": cycle.seconds,
        "run_by": _username(cycle.run_by),
        "started_at": cycle.started_at,
        "finished_at": cycle.finished_at,
    }


def _pending(cycle_ids: list[int]) -> dict[int, int]:
    """Proposals awaiting a decision, per cycle (one query for a page of cycles)."""
    rows = (
        Assessment.objects.filter(cycle_id__in=cycle_ids, review=Review.PENDING)
        .values("cycle_id")
        .annotate(n=Count("id"))
        .values_list("cycle_id", "n")
    )
    return dict(rows)


def _client_ref(client: Any) -> dict[str, Any]:
    return {"id": client.pk, "code": client.code, "name": client.name}


def _assessment_out(assessment: Assessment) -> dict[str, Any]:
    metrics = {name: getattr(assessment, name) for name in METRIC_SCHEMA}
    metrics["abc"] = metrics["abc"] or None  # stored blank when not known
    metrics["xyz"] = metrics["xyz"] or None
    return {
        "cycle_id": assessment.cycle_id,
        "client": _client_ref(assessment.client),
        "metrics": metrics,
        "potential": assessment.potential,
        "attractiveness": assessment.attractiveness,
        "priority": assessment.priority,
        "priority_rank": assessment.priority_rank,
        "cell": assessment.cell,
        "current_status": assessment.current_status,
        "proposed_status": assessment.proposed_status,
        "change": assessment.change,
        "review": assessment.review,
        "previous_cell": assessment.previous_cell or None,
        "previous_proposed_status": assessment.previous_proposed_status or None,
    }


def _cycle_ref(cycle: AssessmentCycle) -> dict[str, Any]:
    return {"id": cycle.pk, "as_of": cycle.as_of, "model_version": cycle.model.version}


def _decision_out(decision: StatusDecision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "client": _client_ref(decision.client),
        "status_before": decision.status_before,
        "status": decision.status,
        "further_work": decision.further_work,
        "reason": decision.reason,
        "next_review": decision.next_review,
        "decided_by": _username(decision.decided_by),
        "decided_at": decision.decided_at,
        "assessment_id": decision.assessment_id,
        "model_version": decision.model_version,
        "potential": decision.potential,
        "attractiveness": decision.attractiveness,
        "cell": decision.cell or None,
    }


def _explanation_out(explanation: dict[str, Any]) -> dict[str, Any]:
    return {
        axis: {
            "score": part["score"],
            "criteria": [{**row, "label": str(row["label"])} for row in part["criteria"]],
        }
        for axis, part in explanation.items()
    }


# --- Cycles ------------------------------------------------------------------------------------


@router.get(
    "/cycles",
    response={200: CycleListOut, **READ_ERRORS},
    operation_id="assessment_cycle_list",
    summary="Re-evaluation cycles, the latest first",
    description="For those who read every client (director, key-account head, analyst, "
    "auditor, credit committee).",
)
def cycle_list_endpoint(
    request: HttpRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    require_view(request)
    cycles = selectors.cycle_list()
    page = list(cycles[offset : offset + limit])
    pending = _pending([c.pk for c in page])
    return {
        "count": cycles.count(),
        "items": [_cycle_out(c, pending.get(c.pk, 0)) for c in page],
    }


@router.post(
    "/cycles",
    response={200: CycleOut, 201: CycleOut, **WRITE_ERRORS},
    operation_id="assessment_cycle_run",
    summary="Run a re-evaluation cycle as of a date",
    description=(
        "Assesses every client with the active scoring model and stores the proposals. "
        "201: a new cycle. 200: the cycle of that date and model existed and was run again "
        "(same data, same rows; reviews of unchanged proposals are kept). "
        "For the director, the key-account head and the analyst. 422: a future date."
    ),
)
def cycle_run_endpoint(request: HttpRequest, payload: CycleRunIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    if not access.can_run_assessment(user):
        raise PermissionDenied(_("You may not run re-evaluation cycles."))
    today = timezone.localdate()
    if payload.as_of > today or payload.as_of < MIN_AS_OF:
        message = (
            _("The date is in the future: a cycle reads data up to its date.")
            if payload.as_of > today
            else _("Cycles start from %(date)s.") % {"date": MIN_AS_OF.isoformat()}
        )
        raise RequestInvalid(
            [{"type": "value_error", "loc": ["body", "payload", "as_of"], "msg": message}]
        )
    model = services.active_model()
    existed = AssessmentCycle.objects.filter(as_of=payload.as_of, model=model).exists()
    cycle = services.cycle_run(as_of=payload.as_of, user=user, model=model)
    cycle = _cycle(cycle.pk)
    return Status(200 if existed else 201, _cycle_out(cycle, _pending([cycle.pk]).get(cycle.pk, 0)))


@router.get(
    "/cycles/{cycle_id}",
    response={200: CycleOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="assessment_cycle_detail",
    summary="One re-evaluation cycle",
)
def cycle_detail_endpoint(request: HttpRequest, cycle_id: CycleId) -> dict[str, Any]:
    require_view(request)
    cycle = _cycle(cycle_id)
    return _cycle_out(cycle, _pending([cycle.pk]).get(cycle.pk, 0))


@router.get(
    "/cycles/{cycle_id}/assessments",
    response={200: AssessmentListOut, 400: ErrorOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="assessment_cycle_assessments",
    summary="A cycle's assessments and proposals, filtered and sorted",
    description="The same filters as the proposals page; by priority rank unless sorted.",
)
def cycle_assessments_endpoint(
    request: HttpRequest,
    cycle_id: CycleId,
    filters: Query[AssessmentFilters],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_view(request)
    cycle = _cycle(cycle_id)
    filterset, queryset = selectors.cycle_assessments(cycle=cycle, params=filters.as_params())
    if filterset.is_bound and not filterset.form.is_valid():
        raise ValidationError(filterset.form.errors.as_data())  # type: ignore[arg-type]
    # Pages must not overlap: equal sort keys are ordered by client.
    queryset = queryset.order_by(*queryset.query.order_by, "client_id")
    return {
        "count": queryset.count(),
        "items": [_assessment_out(a) for a in queryset[offset : offset + limit]],
    }


@router.post(
    "/cycles/{cycle_id}/proposals/accept",
    response={200: ProposalsAcceptedOut, 404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="assessment_proposals_accept",
    summary="Accept pending proposals: each becomes a status decision",
    description=(
        "Each accepted proposal is decided with its cell's default further work and the next "
        "review one schedule period after the cycle; the note is added to the reason. "
        "Clients without a pending proposal are skipped. 409: not the latest cycle. "
        "For the director and the key-account head."
    ),
)
def proposals_accept_endpoint(
    request: HttpRequest, cycle_id: CycleId, payload: ProposalsIn
) -> Status[dict[str, Any]]:
    require_decide(request)
    cycle = _cycle(cycle_id)
    client_ids = list(dict.fromkeys(payload.client_ids))
    try:
        decisions = services.proposals_accept(
            cycle=cycle, client_ids=client_ids, user=request_user(request), note=payload.note
        )
    except ValidationError as error:
        return Status(409, {"detail": " ".join(error.messages)})
    decided = {d.client_id for d in decisions}
    rows = StatusDecision.objects.filter(pk__in=[d.pk for d in decisions]).select_related(
        "client", "decided_by"
    )
    return Status(
        200,
        {
            "accepted": len(decisions),
            "skipped": [i for i in client_ids if i not in decided],
            "decisions": [_decision_out(d) for d in rows.order_by("client_id")],
        },
    )


@router.post(
    "/cycles/{cycle_id}/proposals/reject",
    response={200: ProposalsRejectedOut, 404: ErrorOut, **WRITE_ERRORS},
    operation_id="assessment_proposals_reject",
    summary="Reject pending proposals: the statuses stay",
    description="Clients without a pending proposal are skipped. "
    "For the director and the key-account head.",
)
def proposals_reject_endpoint(
    request: HttpRequest, cycle_id: CycleId, payload: ProposalsIn
) -> dict[str, Any]:
    require_decide(request)
    cycle = _cycle(cycle_id)
    client_ids = list(dict.fromkeys(payload.client_ids))
    pending = set(
        Assessment.objects.filter(
            cycle=cycle, client_id__in=client_ids, review=Review.PENDING
        ).values_list("client_id", flat=True)
    )
    rejected = services.proposals_reject(
        cycle=cycle, client_ids=client_ids, user=request_user(request), note=payload.note
    )
    return {"rejected": rejected, "skipped": [i for i in client_ids if i not in pending]}


# --- A client's assessment ---------------------------------------------------------------------


@router.get(
    "/clients/{client_id}",
    response={200: ClientAssessmentOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="assessment_client",
    summary="A client's latest assessment explained, its history, decisions, data collection",
    description=(
        "For whoever may see the client (404 also when the client exists but is not the "
        "caller's to see). Each axis score is the sum of its criteria's contributions."
    ),
)
def client_assessment_endpoint(
    request: HttpRequest, client_id: PathEx[int, P(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    require_role(request)
    client = access.client_scope(request_user(request)).filter(pk=client_id).first()
    if client is None:
        raise Http404
    panel = selectors.client_assessment_panel(client)
    latest: Assessment | None = panel["assessment"]
    if latest is not None:
        latest.client = client
    collection = panel["collection"]
    decisions = panel["decisions"]
    for decision in decisions:
        decision.client = client
    return {
        "client": _client_ref(client),
        "status": client.status,
        "assessment": None if latest is None else _assessment_out(latest),
        "cycle": None if latest is None else _cycle_ref(latest.cycle),
        "explanation": None
        if panel["explanation"] is None
        else _explanation_out(panel["explanation"]),
        "history": [
            {
                "cycle": _cycle_ref(a.cycle),
                "potential": a.potential,
                "attractiveness": a.attractiveness,
                "priority_rank": a.priority_rank,
                "cell": a.cell,
                "proposed_status": a.proposed_status,
                "change": a.change,
                "review": a.review,
            }
            for a in panel["history"]
        ],
        "decisions": [_decision_out(d) for d in decisions],
        "data_collection": {
            "collecting": panel["collecting"],
            "opened_at": collection.opened_at if collection else None,
            "checklist": [
                {"key": item.key, "label": str(item.label), "done": item.done}
                for item in panel["checklist"]
            ],
            "completeness": panel["completeness"],
        },
    }


# --- Status decisions --------------------------------------------------------------------------


@router.get(
    "/decisions",
    response={200: DecisionListOut, **READ_ERRORS},
    operation_id="assessment_decision_list",
    summary="Status decisions on the clients the caller may see, the latest first",
)
def decision_list_endpoint(
    request: HttpRequest,
    filters: Query[DecisionFilters],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_role(request)
    visible = access.client_scope(request_user(request))
    decisions = StatusDecision.objects.select_related("client", "decided_by").order_by(
        "-decided_at", "-id"
    )
    if not access.sees_others_clients(request_user(request)):
        decisions = decisions.filter(client__in=visible)
    if filters.client_id is not None:
        decisions = decisions.filter(client_id=filters.client_id)
    return {
        "count": decisions.count(),
        "items": [_decision_out(d) for d in decisions[offset : offset + limit]],
    }


@router.post(
    "/decisions",
    response={201: DecisionOut, 404: ErrorOut, **WRITE_ERRORS},
    operation_id="assessment_decision_create",
    summary="Decide a client's status and further work",
    description=(
        "Sets the client's status, keeps the status before, the reason and the scores of the "
        "client's latest assessment; entering potential key opens a data collection, leaving "
        "it closes it; a pending proposal of the latest cycle is marked accepted or rejected. "
        "For the director and the key-account head. 422 names the refused field "
        "(e.g. a blank reason)."
    ),
)
def decision_create_endpoint(request: HttpRequest, payload: DecisionIn) -> Status[dict[str, Any]]:
    require_decide(request)
    user = request_user(request)
    if not access.client_scope(user).filter(pk=payload.client_id).exists():
        raise Http404
    item = services.DecisionInput(
        client_id=payload.client_id,
        status=str(payload.status),
        further_work=str(payload.further_work),
        reason=payload.reason,
        next_review=payload.next_review,
    )
    try:
        [decision] = services.decisions_record(items=[item], user=user)
    except ValidationError as error:
        raise _invalid(error) from error
    decision = StatusDecision.objects.select_related("client", "decided_by").get(pk=decision.pk)
    return Status(201, _decision_out(decision))
