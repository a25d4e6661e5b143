"""The rulebook: rules, their versions, audit runs and the notices of recommendations.

A rule is its code and the kind of subject it judges; everything else (texts, subprocess,
kind, parameters, condition, severity, who handles its incidents) belongs to a version. A
version is never changed once enabled: editing an enabled rule writes a new version, and the
incidents keep the version that found them. ``Rule.enabled_version`` caches the one enabled
version (none: the rule is switched off); the services keep both in step.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kam.rules.choices import (
    AuditTrigger,
    HandlerRole,
    RuleKind,
    Severity,
    Subprocess,
    VersionState,
)


class Rule(models.Model):
    """One rule of the company's sales technology, identified by a stable code."""

    code = models.SlugField(
        _("code"),
        max_length=64,
        unique=True,
        help_text=_("Letters, digits and underscores; it never changes."),
    )
    subject_type = models.CharField(
        _("subject"), max_length=32, help_text=_("What the rule judges: one row per subject.")
    )
    enabled_version = models.OneToOneField(
        "rules.RuleVersion",
        verbose_name=_("enabled version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_enabled(self) -> bool:
        return self.enabled_version_id is not None


def _in_language(ru: str, en: str) -> str:
    """The Russian or the English text, whichever the reader reads (the other if empty)."""
    if (get_language() or "ru").startswith("en"):
        return en or ru
    return ru or en


class RuleVersion(models.Model):
    """One version of a rule: what it says, how it is checked and what follows a breach."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(
        _("state"), max_length=10, choices=VersionState.choices, default=VersionState.DRAFT
    )
    title_ru = models.CharField(_("title (Russian)"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255)
    description_ru = models.TextField(_("description (Russian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    message_ru = models.TextField(
        _("message when broken (Russian)"),
        blank=True,
        help_text=_("Facts and parameters in braces are filled in: {payment_terms_days}."),
    )
    message_en = models.TextField(_("message when broken (English)"), blank=True)
    subprocess = models.CharField(_("sales subprocess"), max_length=16, choices=Subprocess.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=RuleKind.choices)
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_('Named numbers the condition uses, e.g. {"grace_days": 14}.'),
    )
    condition = models.TextField(
        _("violation condition"),
        help_text=_("A SQL boolean expression over the subject's facts, true when broken."),
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    violator = models.CharField(
        _("violator"),
        max_length=32,
        blank=True,
        help_text=_("Which of the subject's people answers for a breach (empty: the first)."),
    )
    period = models.CharField(
        _("period of an incident"),
        max_length=32,
        blank=True,
        help_text=_("One incident per subject and this period (empty: the subject's first)."),
    )
    handler_role = models.CharField(
        _("who handles incidents"),
        max_length=20,
        choices=HandlerRole.choices,
        default=HandlerRole.DEPARTMENT_HEAD,
    )
    response_days = models.PositiveSmallIntegerField(_("response deadline, days"), default=5)
    default_sanction = models.ForeignKey(
        "incidents.SanctionKind",
        verbose_name=_("default sanction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    override_roles = models.JSONField(
        _("who may override"),
        default=list,
        blank=True,
        help_text=_("Roles that may let a refused action through, giving a reason."),
    )
    notes = models.TextField(_("what changed"), blank=True)
    dry_run = models.JSONField(
        _("dry run"),
        default=dict,
        blank=True,
        help_text=_("What the version found over the history before it was enabled."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    enabled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enabled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    enabled_at = models.DateTimeField(_("enabled"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="rules_version_number"),
            models.UniqueConstraint(
                fields=["rule"],
                condition=models.Q(state=VersionState.ENABLED),
                name="rules_one_enabled_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.number}"

    @property
    def title(self) -> str:
        return _in_language(self.title_ru, self.title_en)

    @property
    def description(self) -> str:
        return _in_language(self.description_ru, self.description_en)

    @property
    def message_template(self) -> str:
        return _in_language(self.message_ru, self.message_en) or self.title

    @property
    def is_mandatory(self) -> bool:
        return self.kind == RuleKind.MANDATORY

    def message(self, facts: dict[str, Any]) -> str:
        """The message with the facts and parameters filled in (unknown names left as they
        are, so a typo in a message never hides the breach)."""
        return format_message(self.message_template, {**(self.parameters or {}), **facts})


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def value_labels() -> dict[str, str]:
    """The codes facts carry (a plan's state, a client's status, a deal's stage …) as the
    reader reads them, for messages."""
    from kam.clients.choices import ClientStatus
    from kam.credit.choices import ApplicationState
    from kam.deals.choices import DealStage, ProspectStatus
    from kam.organization.choices import DepartmentKind
    from kam.planning.choices import PlanState

    labels: dict[str, str] = {"missing": str(_("no plan"))}
    for choices in (
        PlanState,
        ClientStatus,
        DealStage,
        ProspectStatus,
        ApplicationState,
        DepartmentKind,
    ):
        for code, label in choices.choices:
            labels.setdefault(str(code), str(label).lower())
    return labels


def fact_shown(value: Any, labels: dict[str, str] | None = None) -> Any:
    """A fact's value as the reader reads it (messages, the incident's facts): yes/no,
    numbers and dates in the reader's format, codes as their labels, a dash for nothing."""
    if labels is None:
        labels = value_labels()
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, float):
        whole = value == int(value) and abs(value) < 1e15
        return number_format(value, decimal_pos=0 if whole else 2, force_grouping=True)
    if isinstance(value, int):
        return number_format(value, force_grouping=abs(value) >= 10000)
    if isinstance(value, dt.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if value == "":
        return "—"
    if isinstance(value, str):
        if ISO_DATE.match(value):
            try:
                return date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
            except ValueError:
                return value
        return labels.get(value, value)
    if value is None:
        return "—"
    return value


def format_message(template: str, values: dict[str, Any]) -> str:
    try:
        labels = value_labels()
        return template.format_map(_Missing({k: fact_shown(v, labels) for k, v in values.items()}))
    except (ValueError, IndexError, AttributeError):
        return template


class AuditRun(models.Model):
    """One run of the audit: every enabled rule (or one) over every subject up to a date."""

    as_of = models.DateField(_("as of"))
    since = models.DateField(_("subjects since"), null=True, blank=True)
    rule = models.ForeignKey(
        Rule,
        verbose_name=_("rule"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: every enabled rule."),
    )
    trigger = models.CharField(_("run from"), max_length=10, choices=AuditTrigger.choices)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit run")
        verbose_name_plural = _("audit runs")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"


class RuleNotice(models.Model):
    """A breach of a recommendation: recorded, shown, counted; no investigation follows.

    One per rule, subject and period, like incidents."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="notices"
    )
    rule_version = models.ForeignKey(
        RuleVersion, verbose_name=_("rule version"), on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.CharField(_("subject"), max_length=32)
    subject_id = models.BigIntegerField(_("subject id"), null=True, blank=True)
    subject_key = models.CharField(_("subject"), max_length=128)
    period = models.CharField(_("period"), max_length=32)
    subject_date = models.DateField(_("subject's date"), null=True, blank=True)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rule_notices",
        db_constraint=False,
    )
    employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rule_notices",
    )
    facts = models.JSONField(_("facts"), default=dict, blank=True)
    audit_run = models.ForeignKey(
        AuditRun,
        verbose_name=_("audit run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
    )
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("condition cleared"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_key", "period"],
                name="rules_one_notice_per_subject_period",
            )
        ]
        indexes = [models.Index(fields=["employee", "found_at"], name="rules_notice_employee")]

    def __str__(self) -> str:
        return f"{self.rule.code}: {self.subject_key} ({self.period})"

    def message(self) -> str:
        return self.rule_version.message(self.facts)
