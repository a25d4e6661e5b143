"""/api/rules: the rulebook in JSON: rules and their versions, the facts of each kind of
subject, condition checks, dry runs over the history, enabling and switching off; the audit's
runs under /api/rules/audits (kam.api.audits).

Everyone with a role reads the rulebook (access.can_view_rules: the rules bind them); the
analyst and the director write it (access.can_edit_rules). Everything goes through
kam.rules' services and the rulebook page's list (kam.rules.filters.rule_list).

Refusals: 403 when the caller may not do it at all; 404 for an unknown rule or version; 409
when the rule or version is not in a state that allows it (an enabled version never changes, a
switched-off rule is not switched off again, a code is taken); 422 when the request's values
are refused, ``loc`` naming the body field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import P, PathEx, Query, QueryEx, Router, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestInvalid
from polars.exceptions import PanicException

from kam.api import audits
from kam.api.auth import request_user
from kam.api.errors import error_item, validation_message
from kam.api.rules_schemas import (
    MIN_AS_OF,
    RULE_CODE,
    RULE_CODE_MAX,
    ConditionCheckIn,
    ConditionCheckOut,
    DryRunIn,
    DryRunOut,
    RuleCreateIn,
    RuleDetailOut,
    RuleDisableIn,
    RuleFilters,
    RuleListOut,
    SubjectTypeOut,
    VersionIn,
)
from kam.api.schemas import (
    DEFAULT_LIMIT,
    MAX_COUNT,
    MAX_LIMIT,
    MAX_OFFSET,
    ErrorOut,
    ValidationErrorOut,
)
from kam.incidents.models import SanctionKind
from kam.rules import services
from kam.rules.engine import ConditionError, check_condition
from kam.rules.facts import subject_types
from kam.rules.filters import RuleRow, rule_list, rule_rows
from kam.rules.models import Rule, RuleVersion
from kam.web import access

#: /api/rules: the list, a new rule, the catalogue and the check (tagged one by one: the mounted
#: routers would inherit a router's tags).
router = Router()
TAGS = ["Rules"]
#: The operations on one rule: mounted after the audit's runs (/audits is not a rule's code).
one_rule = Router(tags=["Rules"])

RuleCode = PathEx[str, P(min_length=1, max_length=RULE_CODE_MAX, pattern=RULE_CODE)]
VersionNumber = PathEx[int, P(ge=1, le=MAX_COUNT)]
PageLimit = QueryEx[int, P(ge=1, le=MAX_LIMIT)]
Offset = QueryEx[int, P(ge=0, le=MAX_OFFSET)]

READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **READ_ERRORS}
#: A write on one rule: not found (404), not in a state that allows it (409).
RULE_ERRORS: dict[int, Any] = {404: ErrorOut, 409: ErrorOut, **WRITE_ERRORS}
BODY: list[str | int] = ["body", "payload"]


# --- Access ------------------------------------------------------------------------------------


def require_reader(request: HttpRequest) -> None:
    if not access.can_view_rules(request_user(request)):
        raise PermissionDenied(_("Your account has no role in kam yet."))


def _rule(request: HttpRequest, code: str) -> Rule:
    require_reader(request)
    rule = Rule.objects.select_related("created_by").filter(code=code).first()
    if rule is None:
        raise Http404
    return rule


def _editable(request: HttpRequest, code: str) -> Rule:
    """The rule for a write: refused (403) to whoever may not write the rulebook before it is
    looked up (the rulebook is everyone's to read: an unknown code is no secret)."""
    require_reader(request)
    services.require_editor(request_user(request))
    return _rule(request, code)


def _version(rule: Rule, number: int) -> RuleVersion:
    version = RuleVersion.objects.select_related("rule").filter(rule=rule, number=number).first()
    if version is None:
        raise Http404
    return version


# --- Errors ------------------------------------------------------------------------------------


def _refused(error: ValidationError, where: list[str | int] | None = None) -> Exception:
    """A service's refusal: naming fields, a 422 with ``loc`` on the body's fields (or on
    ``where``, the field named in the message); naming none, the rule or version is in a state
    that does not allow it (409)."""
    if not hasattr(error, "error_dict"):
        return HttpError(409, validation_message(error))
    items = []
    for field, errors in error.error_dict.items():
        for e in errors:
            message = " ".join(e.messages)
            if where is not None:
                items.append(error_item(where, f"{field}: {message}", e.code))
            else:
                items.append(
                    error_item(BODY if field == "__all__" else [*BODY, field], message, e.code)
                )
    return RequestInvalid(items)


def _dates(as_of: dt.date | None, since: dt.date | None) -> dt.date:
    """``as_of`` (today when None), or a 422 naming what is wrong with the two dates."""
    today = timezone.localdate()
    as_of = as_of or today
    problems = []
    if as_of > today:
        problems.append(error_item([*BODY, "as_of"], _("The date is in the future.")))
    elif as_of < MIN_AS_OF:
        problems.append(
            error_item(
                [*BODY, "as_of"], _("The history starts from %(date)s.") % {"date": MIN_AS_OF}
            )
        )
    if since is not None and since > as_of:
        problems.append(error_item([*BODY, "since"], _("The first day must not be after as_of.")))
    if problems:
        raise RequestInvalid(problems)
    return as_of


def _version_input(payload: VersionIn) -> services.VersionInput:
    sanction = None
    if payload.default_sanction is not None:
        sanction = SanctionKind.objects.filter(code=payload.default_sanction).first()
        if sanction is None:
            message = _("No sanction with this code in the catalogue.")
            raise RequestInvalid([error_item([*BODY, "default_sanction"], message)])
    return services.VersionInput(
        title_ru=payload.title_ru,
        title_en=payload.title_en,
        subprocess=str(payload.subprocess),
        kind=str(payload.kind),
        condition=payload.condition,
        description_ru=payload.description_ru,
        description_en=payload.description_en,
        message_ru=payload.message_ru,
        message_en=payload.message_en,
        parameters=dict(payload.parameters),
        severity=str(payload.severity),
        violator=payload.violator,
        period=payload.period,
        handler_role=str(payload.handler_role),
        response_days=payload.response_days,
        default_sanction=sanction,
        override_roles=[str(role) for role in payload.override_roles],
        notes=payload.notes,
    )


# --- Shapes ------------------------------------------------------------------------------------


def _username(user: AbstractBaseUser | None) -> str | None:
    return None if user is None else str(user.get_username())


def _sanction_codes() -> dict[int, str]:
    return dict(SanctionKind.objects.values_list("pk", "code"))


def _version_out(version: RuleVersion, sanctions: dict[int, str]) -> dict[str, Any]:
    return {
        "number": version.number,
        "state": version.state,
        "title": version.title,
        "title_ru": version.title_ru,
        "title_en": version.title_en,
        "description_ru": version.description_ru,
        "description_en": version.description_en,
        "message_ru": version.message_ru,
        "message_en": version.message_en,
        "subprocess": version.subprocess,
        "kind": version.kind,
        "parameters": version.parameters or {},
        "condition": version.condition,
        "severity": version.severity,
        "violator": version.violator,
        "period": version.period,
        "handler_role": version.handler_role,
        "response_days": version.response_days,
        "default_sanction": sanctions.get(version.default_sanction_id or 0),
        "override_roles": list(version.override_roles or []),
        "notes": version.notes,
        "written_at": version.created_at,
        "enabled_at": version.enabled_at,
        "retired_at": version.retired_at,
    }


def _row(row: RuleRow, sanctions: dict[int, str]) -> dict[str, Any]:
    rule = row.rule
    return {
        "code": rule.code,
        "subject_type": rule.subject_type,
        "subject_label": row.subject_label,
        "enabled": row.enabled,
        "enabled_version": row.version.number if row.enabled else None,
        "latest_version": row.latest_number,
        "drafts": row.drafts,
        "version": _version_out(row.version, sanctions),
        "counts": {
            "active_incidents": row.incidents_active,
            "incidents": row.incidents_total,
            "closed_incidents": row.incidents_closed,
            "dismissed_incidents": row.incidents_dismissed,
            "false_alarm_rate": row.false_alarm_rate,
            "active_notices": row.notices_active,
            "last_audit_violations": row.last_violations,
        },
    }


def _detail(code: str) -> dict[str, Any]:
    row = next((r for r in rule_rows() if r.rule.code == code), None)
    if row is None:  # a rule without versions: the services never leave one
        raise Http404
    rule = Rule.objects.select_related("created_by").get(pk=row.rule.pk)
    sanctions = _sanction_codes()
    versions = RuleVersion.objects.filter(rule=rule).select_related("created_by", "enabled_by")
    return {
        **_row(row, sanctions),
        "created_by": _username(rule.created_by),
        "created_at": rule.created_at,
        "versions": [
            {
                **_version_out(v, sanctions),
                "written_by": _username(v.created_by),
                "enabled_by": _username(v.enabled_by),
                "dry_run": v.dry_run or None,
            }
            for v in versions.order_by("-number")
        ],
    }


# --- The rulebook ------------------------------------------------------------------------------


@router.get(
    "",
    tags=TAGS,
    response={200: RuleListOut, **READ_ERRORS},
    operation_id="rule_list",
    summary="The rulebook: every rule with its text and figures",
    description=(
        "Each rule with its enabled version (the latest one when the rule is switched off), "
        "its active incidents and notices, its false-alarm rate and what the latest audit "
        "found. The rulebook page's filters and sorts. For everyone with a role."
    ),
)
def rule_list_endpoint(
    request: HttpRequest,
    filters: Query[RuleFilters],
    limit: PageLimit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_reader(request)
    _form, rows, _sort = rule_list(filters.as_params())
    sanctions = _sanction_codes()
    return {
        "count": len(rows),
        "items": [_row(r, sanctions) for r in rows[offset : offset + limit]],
    }


@router.post(
    "",
    tags=TAGS,
    response={201: RuleDetailOut, 409: ErrorOut, **WRITE_ERRORS},
    operation_id="rule_create",
    summary="Write a new rule: its first version, a draft",
    description=(
        "Dry-run the draft, then enable it. For the analyst and the director. 422 names the "
        "field: a code not of small Latin letters, digits and underscores, a condition that "
        "does not parse or names an unknown fact (the parser's message), a parameter that is "
        "not a number, a violator or period the subject type does not have, override roles "
        "on a recommendation. 409: a rule with this code exists."
    ),
)
def rule_create_endpoint(request: HttpRequest, payload: RuleCreateIn) -> Status[dict[str, Any]]:
    user = request_user(request)
    services.require_editor(user)
    code = payload.code.strip()
    data = _version_input(payload)
    try:
        services.rule_create(code=code, subject=str(payload.subject_type), data=data, user=user)
    except ValidationError as error:
        if Rule.objects.filter(code=code).exists():
            raise HttpError(409, _("A rule with this code exists.")) from error
        raise _refused(error) from error
    return Status(201, _detail(code))


@router.get(
    "/subjects",
    tags=TAGS,
    response={200: list[SubjectTypeOut], **READ_ERRORS},
    operation_id="rule_subjects",
    summary="What rules judge: each kind of subject with its facts, people and periods",
    description=(
        "A condition names the facts of its rule's subject type; the violator is one of its "
        "people and an incident counts in one of its periods. For everyone with a role."
    ),
)
def rule_subjects_endpoint(request: HttpRequest) -> list[dict[str, Any]]:
    require_reader(request)
    return [
        {**subject, "facts": services.fact_catalogue(subject["code"])}
        for subject in services.subject_catalogue()
    ]


@router.post(
    # Two segments: "/check" would stand where a rule's code does (GET /api/rules/{code}).
    "/conditions/check",
    tags=TAGS,
    response={200: ConditionCheckOut, **WRITE_ERRORS},
    operation_id="rule_check_condition",
    summary="Check a condition before saving it",
    description=(
        "Parses the condition and evaluates it on a row of empty facts of the subject type, "
        "so unknown facts and types are found, not only the syntax. `ok` false with the "
        "parser's message when it cannot be saved. Writes nothing. For the analyst and the "
        "director."
    ),
)
def rule_check_endpoint(request: HttpRequest, payload: ConditionCheckIn) -> dict[str, Any]:
    services.require_editor(request_user(request))
    subject = subject_types()[str(payload.subject_type)]
    try:
        check_condition(subject, payload.condition, dict(payload.parameters))
    except ConditionError as error:
        return {"ok": False, "message": str(error)}
    except PanicException:  # Polars gives up on some input: a refusal, not a 500
        return {"ok": False, "message": _("The condition cannot be evaluated.")}
    return {"ok": True, "message": ""}


@one_rule.get(
    "/{code}",
    response={200: RuleDetailOut, 404: ErrorOut, **READ_ERRORS},
    operation_id="rule_detail",
    summary="A rule with every version (its history) and its figures",
)
def rule_detail_endpoint(request: HttpRequest, code: RuleCode) -> dict[str, Any]:
    rule = _rule(request, code)
    return _detail(rule.code)


@one_rule.post(
    "/{code}/versions",
    response={201: RuleDetailOut, **RULE_ERRORS},
    operation_id="rule_version_write",
    summary="Write a new version of a rule, a draft",
    description=(
        "Numbered after the latest; the enabled version stays in force until this one is "
        "enabled. For the analyst and the director. 422 names the refused field."
    ),
)
def rule_version_write_endpoint(
    request: HttpRequest, code: RuleCode, payload: VersionIn
) -> Status[dict[str, Any]]:
    rule = _editable(request, code)
    user = request_user(request)
    data = _version_input(payload)
    try:
        services.version_save(rule=rule, data=data, user=user)
    except ValidationError as error:
        raise _refused(error) from error
    return Status(201, _detail(rule.code))


@one_rule.put(
    "/{code}/versions/{number}",
    response={200: RuleDetailOut, **RULE_ERRORS},
    operation_id="rule_version_rewrite",
    summary="Rewrite a draft version",
    description=(
        "Its dry run is cleared. 409: the version has been enabled (it is kept as it is: "
        "write a new version). For the analyst and the director. 422 names the refused field."
    ),
)
def rule_version_rewrite_endpoint(
    request: HttpRequest, code: RuleCode, number: VersionNumber, payload: VersionIn
) -> dict[str, Any]:
    rule = _editable(request, code)
    version = _version(rule, number)
    user = request_user(request)
    data = _version_input(payload)
    try:
        services.version_save(rule=rule, data=data, user=user, draft=version)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(rule.code)


@one_rule.post(
    "/{code}/versions/{number}/enable",
    response={200: RuleDetailOut, **RULE_ERRORS},
    operation_id="rule_version_enable",
    summary="Enable a version: the rule's text from now on",
    description=(
        "The previously enabled version is retired; guards and the audit use this one, and "
        "its incidents record it. Also brings a switched-off rule back. 409: the version is "
        "enabled already. 422: the version no longer passes the checks (a fact it names was "
        "removed, a sanction taken out of the catalogue). For the analyst and the director."
    ),
)
def rule_version_enable_endpoint(
    request: HttpRequest, code: RuleCode, number: VersionNumber
) -> dict[str, Any]:
    rule = _editable(request, code)
    version = _version(rule, number)
    try:
        services.version_enable(version=version, user=request_user(request))
    except ValidationError as error:
        raise _refused(error, ["path", "number"]) from error
    return _detail(rule.code)


@one_rule.post(
    "/{code}/versions/{number}/dry-run",
    response={200: DryRunOut, **RULE_ERRORS},
    operation_id="rule_version_dry_run",
    summary="Dry-run a version over the history",
    description=(
        "How many breaches the version would have found, per month of the subjects' dates, "
        "with samples, beside what the enabled version finds in the same data; by default "
        "over the 24 months up to today. Opens nothing; the figures are kept on the version "
        "(shown beside its enable button). For the analyst and the director. 409: the "
        "version's condition no longer evaluates."
    ),
)
def rule_version_dry_run_endpoint(
    request: HttpRequest, code: RuleCode, number: VersionNumber, payload: DryRunIn
) -> dict[str, Any]:
    rule = _editable(request, code)
    version = _version(rule, number)
    user = request_user(request)
    as_of = _dates(payload.as_of, payload.since)
    if rule.subject_type not in subject_types():
        raise HttpError(409, _("The rule's subject type is no longer known."))
    try:
        return services.dry_run(version=version, user=user, as_of=as_of, since=payload.since)
    except ConditionError as error:
        raise HttpError(409, str(error)) from error


@one_rule.post(
    "/{code}/disable",
    response={200: RuleDetailOut, **RULE_ERRORS},
    operation_id="rule_disable",
    summary="Switch a rule off, saying why",
    description=(
        "No guard refuses by it and the audit skips it; its incidents stay. Enabling a "
        "version brings it back. 409: the rule is switched off already. For the analyst and "
        "the director."
    ),
)
def rule_disable_endpoint(
    request: HttpRequest, code: RuleCode, payload: RuleDisableIn
) -> dict[str, Any]:
    rule = _editable(request, code)
    user = request_user(request)
    try:
        services.rule_disable(rule=rule, user=user, reason=payload.reason)
    except ValidationError as error:
        raise _refused(error) from error
    return _detail(rule.code)


router.add_router("/audits", audits.router)
router.add_router("", one_rule)
