"""Writing the rulebook: new rules, versions (drafts, enabled, retired), switching a rule off,
and the dry run of a version over the history before it is enabled.

A version that has been enabled is never changed: editing makes a new draft. A draft can be
rewritten until it is enabled. Every write leaves an audit row.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.incidents.models import SanctionKind
from kam.ledger.months import add_months
from kam.organization.choices import Role
from kam.rules.choices import HandlerRole, RuleKind, Severity, Subprocess, VersionState
from kam.rules.engine import (
    ConditionError,
    check_condition,
    evaluate,
    parameter_problems,
    row_facts,
)
from kam.rules.facts import Scope, subject_type, subject_types
from kam.rules.models import Rule, RuleVersion
from kam.web import access

AnyUser = access.AnyUser
CODE_PATTERN = r"^[a-z][a-z0-9_]{2,63}$"
#: Codes that name a page of the rulebook or a part of its API (/rules/<code>/ would stand where
#: they do): no rule takes them.
RESERVED_CODES = frozenset(
    {"new", "audit", "audits", "check", "facts", "export", "subjects", "conditions"}
)
#: How far back a dry run looks by default.
DRY_RUN_MONTHS = 24
DRY_RUN_SAMPLES = 10


@dataclass
class VersionInput:
    """What a rule version says (the editor's and the API's fields)."""

    title_ru: str
    title_en: str
    subprocess: str
    kind: str
    condition: str
    description_ru: str = ""
    description_en: str = ""
    message_ru: str = ""
    message_en: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    severity: str = Severity.MEDIUM
    violator: str = ""
    period: str = ""
    handler_role: str = HandlerRole.DEPARTMENT_HEAD
    response_days: int = 5
    default_sanction: SanctionKind | None = None
    override_roles: list[str] = field(default_factory=list)
    notes: str = ""

    @classmethod
    def of(cls, version: RuleVersion) -> VersionInput:
        return cls(
            **{
                name: getattr(version, name)
                for name in cls.__dataclass_fields__
                if name != "default_sanction"
            },
            default_sanction=version.default_sanction,
        )

    def fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def require_editor(user: AnyUser | None) -> None:
    if user is not None and not access.can_edit_rules(user):
        raise PermissionDenied(_("The rulebook is written by the analyst or the director."))


def validate_version(subject: str, data: VersionInput) -> None:
    """Every problem of ``data`` at once, by field (ValidationError)."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    try:
        kind = subject_type(subject)
    except KeyError:
        raise ValidationError(
            {"subject_type": _("Unknown subject %(code)r.") % {"code": subject}}
        ) from None
    if not data.title_ru.strip():
        add("title_ru", _("Give the rule a title in Russian."))
    if not data.title_en.strip():
        add("title_en", _("Give the rule a title in English."))
    if data.subprocess not in Subprocess.values:
        add("subprocess", _("Choose the sales subprocess."))
    if data.kind not in RuleKind.values:
        add("kind", _("Choose mandatory rule or recommendation."))
    if data.severity not in Severity.values:
        add("severity", _("Choose the severity."))
    if data.handler_role not in HandlerRole.values:
        add("handler_role", _("Choose who handles the incidents."))
    if not isinstance(data.response_days, int) or not 1 <= data.response_days <= 90:
        add("response_days", _("The response deadline is 1 to 90 days."))
    people = [c.name for c in kind.people]
    if data.violator and data.violator not in people:
        add("violator", _("Choose one of the subject's people."))
    periods = [c.name for c in kind.periods]
    if data.period and data.period not in periods:
        add("period", _("Choose one of the subject's periods."))
    unknown_roles = [r for r in data.override_roles if r not in Role.values]
    if unknown_roles:
        add("override_roles", _("Unknown roles: %(roles)s.") % {"roles": ", ".join(unknown_roles)})
    if data.override_roles and data.kind == RuleKind.RECOMMENDATION:
        add("override_roles", _("A recommendation refuses nothing, so nobody overrides it."))
    if data.default_sanction is not None and not data.default_sanction.is_active:
        add("default_sanction", _("This sanction is no longer in the catalogue."))
    problems = parameter_problems(kind, data.parameters)
    for problem in problems:
        add("parameters", problem)
    if not problems:
        try:
            check_condition(kind, data.condition, data.parameters)
        except ConditionError as error:
            add("condition", str(error))
    if errors:
        raise ValidationError(errors)


def _next_number(rule: Rule) -> int:
    return (rule.versions.aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def rule_create(
    *, code: str, subject: str, data: VersionInput, user: AnyUser | None
) -> RuleVersion:
    """A new rule with its first version, a draft (enable it after a dry run)."""
    import re

    require_editor(user)
    code = code.strip()
    errors: dict[str, Any] = {}
    if not re.match(CODE_PATTERN, code):
        errors["code"] = _(
            "3 to 64 small Latin letters, digits and underscores, starting with a letter."
        )
    elif code in RESERVED_CODES:
        errors["code"] = _("%(code)s is the name of a rulebook page: choose another code.") % {
            "code": code
        }
    elif Rule.objects.filter(code=code).exists():
        errors["code"] = _("A rule with this code exists.")
    try:
        validate_version(subject, data)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    rule = Rule.objects.create(code=code, subject_type=subject, created_by=access.acting_user(user))
    version = RuleVersion.objects.create(
        rule=rule, number=1, created_by=access.acting_user(user), **data.fields()
    )
    audit_record(
        actor=user, action="rules.rule_created", obj=rule, summary=code, data={"version": 1}
    )
    return version


@transaction.atomic
def version_save(
    *, rule: Rule, data: VersionInput, user: AnyUser | None, draft: RuleVersion | None = None
) -> RuleVersion:
    """Write a version of ``rule``: rewrite ``draft`` if given (a draft only), else a new
    draft numbered after the last version."""
    require_editor(user)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    validate_version(rule.subject_type, data)
    if draft is not None:
        draft = RuleVersion.objects.select_for_update().get(pk=draft.pk, rule=rule)
        if draft.state != VersionState.DRAFT:
            raise ValidationError(
                _("Version %(n)s has been enabled: it is kept as it is; save a new version.")
                % {"n": draft.number}
            )
        for name, value in data.fields().items():
            setattr(draft, name, value)
        draft.dry_run = {}
        draft.save()
        version = draft
        action = "rules.version_rewritten"
    else:
        version = RuleVersion.objects.create(
            rule=rule,
            number=_next_number(rule),
            created_by=access.acting_user(user),
            **data.fields(),
        )
        action = "rules.version_written"
    audit_record(
        actor=user,
        action=action,
        obj=version,
        summary=f"{rule.code} v{version.number}",
        data={"condition": version.condition, "parameters": version.parameters},
    )
    return version


@transaction.atomic
def version_enable(*, version: RuleVersion, user: AnyUser | None) -> RuleVersion:
    """Make ``version`` the rule's text from now on (the previous one is retired)."""
    require_editor(user)
    rule = Rule.objects.select_for_update().get(pk=version.rule_id)
    version = RuleVersion.objects.select_for_update().get(pk=version.pk)
    if version.state == VersionState.ENABLED:
        raise ValidationError(_("This version is already enabled."))
    validate_version(rule.subject_type, VersionInput.of(version))
    now = timezone.now()
    previous = rule.enabled_version
    if previous is not None:
        RuleVersion.objects.filter(pk=previous.pk).update(
            state=VersionState.RETIRED, retired_at=now
        )
    rule.enabled_version = None
    rule.save(update_fields=["enabled_version"])
    version.state = VersionState.ENABLED
    version.enabled_at = now
    version.enabled_by = access.acting_user(user)
    version.retired_at = None
    version.save(update_fields=["state", "enabled_at", "enabled_by", "retired_at"])
    rule.enabled_version = version
    rule.save(update_fields=["enabled_version"])
    audit_record(
        actor=user,
        action="rules.version_enabled",
        obj=version,
        summary=f"{rule.code} v{version.number}"
        + (f" (was v{previous.number})" if previous else ""),
        data={"previous": previous.number if previous else None},
    )
    return version


@transaction.atomic
def rule_disable(*, rule: Rule, user: AnyUser | None, reason: str) -> Rule:
    """Switch a rule off: no guard refuses by it and the audit skips it. Its incidents stay."""
    require_editor(user)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the rule is switched off.")})
    previous = rule.enabled_version
    if previous is None:
        raise ValidationError(_("The rule is already switched off."))
    rule.enabled_version = None
    rule.save(update_fields=["enabled_version"])
    RuleVersion.objects.filter(pk=previous.pk).update(
        state=VersionState.RETIRED, retired_at=timezone.now()
    )
    audit_record(
        actor=user,
        action="rules.rule_disabled",
        obj=rule,
        summary=f"{rule.code}: v{previous.number} switched off",
        data={"reason": reason, "version": previous.number},
    )
    return rule


# --- Dry run ---------------------------------------------------------------------------------


def dry_run(
    *,
    version: RuleVersion,
    user: AnyUser | None,
    as_of: dt.date | None = None,
    since: dt.date | None = None,
    save: bool = True,
) -> dict[str, Any]:
    """What ``version`` would have found over the history, per month of the subjects' dates,
    with samples, beside what the enabled version finds in the same data. Writes nothing but
    the figures on the version (a draft's, to show beside the enable button)."""
    require_editor(user)
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    since = since or add_months(as_of.replace(day=1), -(DRY_RUN_MONTHS - 1))
    kind = subject_type(version.rule.subject_type)
    frame = kind.compute(Scope(as_of=as_of, since=since))
    broken = evaluate(kind, frame, version.condition, version.parameters)
    enabled = version.rule.enabled_version
    current = (
        evaluate(kind, frame, enabled.condition, enabled.parameters)
        if enabled is not None and enabled.pk != version.pk
        else None
    )
    months = frame.select(pl.col("subject_date").dt.strftime("%Y-%m").alias("month"))
    per_month = (
        months.with_columns(
            broken.alias("new"),
            (current if current is not None else pl.Series([False] * frame.height)).alias("now"),
        )
        .group_by("month")
        .agg(
            pl.len().alias("subjects"),
            pl.col("new").sum().alias("violations"),
            pl.col("now").sum().alias("enabled_violations"),
        )
        .sort("month")
    )
    samples = []
    for row in frame.filter(broken).head(DRY_RUN_SAMPLES).iter_rows(named=True):
        facts = row_facts(kind, row)
        samples.append(
            {
                "subject_id": row["subject_id"],
                "subject_key": row["subject_key"],
                "subject_date": row["subject_date"].isoformat() if row["subject_date"] else None,
                "client_id": row["client_id"],
                "message": version.message(facts),
                "facts": facts,
            }
        )
    result = {
        "as_of": as_of.isoformat(),
        "since": since.isoformat(),
        "subjects": frame.height,
        "violations": int(broken.sum()),
        "enabled_version": enabled.number if enabled is not None and current is not None else None,
        "enabled_violations": int(current.sum()) if current is not None else None,
        "only_new": int((broken & ~current).sum()) if current is not None else None,
        "only_enabled": int((current & ~broken).sum()) if current is not None else None,
        "months": per_month.to_dicts(),
        "samples": samples,
        "seconds": round(time.perf_counter() - started, 3),
        "run_at": timezone.now().isoformat(),
    }
    if save:
        RuleVersion.objects.filter(pk=version.pk).update(dry_run=result)
        version.dry_run = result
    return result


def fact_catalogue(subject: str) -> list[dict[str, Any]]:
    """The facts of a subject type as the editor lists them (name, type, description)."""
    from kam.rules.facts import FACT_TYPE_LABELS

    kind = subject_type(subject)
    return [
        {
            "name": fact.name,
            "type": fact.type,
            "type_label": str(FACT_TYPE_LABELS[fact.type]),
            "description": str(fact.description),
            "example": fact.example,
        }
        for fact in kind.facts
    ]


def subject_catalogue() -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "label": str(kind.label),
            "description": str(kind.description),
            "people": [{"name": c.name, "label": str(c.label)} for c in kind.people],
            "periods": [{"name": c.name, "label": str(c.label)} for c in kind.periods],
        }
        for code, kind in subject_types().items()
    ]
