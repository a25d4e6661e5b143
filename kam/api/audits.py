"""/api/rules/audits: the audit's runs, and running it, in JSON.

The audit judges every enabled rule (or one) over every subject in the data up to a date,
opening an incident for each new breach of a mandatory rule and a notice for each breach of a
recommendation; a re-run opens nothing new (kam.rules.audit.audit_run). Whoever reads the
rulebook reads the runs; the analyst and the director run it (access.can_run_audit).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, QueryEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid

from kam.api.auth import request_user
from kam.api.rules_schemas import (
    MIN_AS_OF,
    AuditResultOut,
    AuditRunIn,
    AuditRunListOut,
    AuditRunOut,
)
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.rules.audit import audit_run
from kam.rules.choices import AuditTrigger
from kam.rules.engine import ConditionError
from kam.rules.models import AuditRun, Rule
from kam.web import access

router = Router(tags=["Audits"])

RunId = PathEx[int, P(ge=1, le=MAX_ID)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
BODY: list[str | int] = ["body", "payload"]


def require_reader(request: HttpRequest) -> None:
    if not access.can_view_rules(request_user(request)):
        raise PermissionDenied(_("Your account has no role in kam yet."))


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _run(run: AuditRun) -> dict[str, Any]:
    finished = run.finished_at is not None and bool(run.figures)
    return {
        "id": run.pk,
        "as_of": run.as_of,
        "since": run.since,
        "rule": run.rule.code if run.rule is not None else None,
        "trigger": run.trigger,
        "run_by": _username(run.run_by),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "figures": run.figures if finished else None,
    }


def _runs() -> Any:
    return AuditRun.objects.select_related("rule", "run_by").order_by("-started_at", "-id")


@router.get(
    "",
    response={200: AuditRunListOut, **READ_ERRORS},
    operation_id="audit_run_list",
    summary="The audit's runs, the latest first",
    description="From the command line, the scheduler, the pages and this API, with what "
    "each found. For everyone who reads the rulebook.",
)
def audit_run_list_endpoint(
    request: HttpRequest, limit: PageLimit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    require_reader(request)
    runs = _runs()
    return {"count": runs.count(), "items": [_run(r) for r in runs[offset : offset + limit]]}


@router.post(
    "",
    response={201: AuditResultOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="audit_run",
    summary="Run the audit: every enabled rule (or one) over the data up to a date",
    description=(
        "Opens an incident for each new breach of a mandatory rule (one per rule, subject and "
        "period: a re-run opens nothing new), records a notice for each breach of a "
        "recommendation, notes incidents whose breach has gone and escalates undecided ones "
        "past their deadline. Answers the figures `kam audit --json` prints. For the analyst "
        "and the director. 422: `as_of` in the future or before 2000, `since` after `as_of`, "
        "no rule with the code `rule`. 409: the rule is switched off, or an enabled rule's "
        "condition no longer evaluates (its message says which)."
    ),
)
def audit_run_endpoint(request: HttpRequest, payload: AuditRunIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    if not access.can_run_audit(user):
        raise PermissionDenied(_("The audit is run by the analyst or the director."))
    today = timezone.localdate()
    as_of = payload.as_of or today
    problems = []
    if as_of > today:
        problems.append(("as_of", _("The date is in the future: the audit judges data up to it.")))
    elif as_of < MIN_AS_OF:
        problems.append(("as_of", _("Audits start from %(date)s.") % {"date": MIN_AS_OF}))
    if payload.since is not None and payload.since > as_of:
        problems.append(("since", _("The first day must not be after the audit's date.")))
    rule = None
    if payload.rule is not None:
        rule = Rule.objects.filter(code=payload.rule).first()
        if rule is None:
            problems.append(("rule", _("No rule with this code.")))
    if problems:
        raise RequestInvalid(
            [{"type": "value_error", "loc": [*BODY, name], "msg": msg} for name, msg in problems]
        )
    if rule is not None and not rule.is_enabled:
        raise HttpError(409, _("The rule %(code)s is switched off.") % {"code": rule.code})
    try:
        result = audit_run(
            as_of=as_of,
            since=payload.since,
            rule_code=payload.rule,
            user=user,
            trigger=AuditTrigger.API,
        )
    except ConditionError as error:
        raise HttpError(409, str(error)) from error
    return Status(201, {**result.figures, "audit_run": result.run.pk})


@router.get(
    "/{run_id}",
    response={200: AuditRunOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="audit_run_detail",
    summary="One run of the audit and what it found",
)
def audit_run_detail_endpoint(request: HttpRequest, run_id: RunId) -> dict[str, Any]:
    require_reader(request)
    run = _runs().filter(pk=run_id).first()
    if run is None:
        raise Http404
    return _run(run)
