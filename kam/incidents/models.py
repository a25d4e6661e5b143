"""Incidents (ЧП): deviations from mandatory rules, each with an owner, an investigation, a
sanction and a corrective action, tracked to closure.

An incident is found by the audit or opened by an override at a guard; its slot (rule,
subject, period) is unique, so re-running the audit never opens it twice and a subject whose
override opened an incident is not reported again. Every change is an ``IncidentEvent`` row.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from kam.incidents.choices import EventKind, IncidentKind, IncidentState, Measure
from kam.rules.choices import HandlerRole, Severity, Subprocess
from kam.rules.models import _in_language


class SanctionKind(models.Model):
    """An entry of the company's catalogue of sanctions (note, warning, reprimand, fine …)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    measure = models.CharField(
        _("carries"), max_length=10, choices=Measure.choices, default=Measure.NONE
    )
    is_sanction = models.BooleanField(
        _("is a sanction"),
        default=True,
        help_text=_("Off for “no sanction”: the breach was explained and justified."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("kind of sanction")
        verbose_name_plural = _("catalogue of sanctions")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_ru, self.name_en)


class Incident(models.Model):
    """One deviation from a mandatory rule (or an authorised override of one)."""

    rule = models.ForeignKey(
        "rules.Rule", verbose_name=_("rule"), on_delete=models.PROTECT, related_name="incidents"
    )
    rule_version = models.ForeignKey(
        "rules.RuleVersion",
        verbose_name=_("rule version"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=IncidentKind.choices, default=IncidentKind.VIOLATION
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
        on_delete=models.PROTECT,
        related_name="incidents",
        db_constraint=False,
    )
    violator = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("violator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    # The violator's department when the incident was opened (the scorecard counts by it).
    department = models.ForeignKey(
        "organization.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handler = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents_handled",
    )
    handler_role = models.CharField(_("handled by"), max_length=20, choices=HandlerRole.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    subprocess = models.CharField(_("sales subprocess"), max_length=16, choices=Subprocess.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=IncidentState.choices, default=IncidentState.OPEN
    )
    facts = models.JSONField(_("facts when found"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    deadline = models.DateField(_("decide by"))
    audit_run = models.ForeignKey(
        "rules.AuditRun",
        verbose_name=_("found by audit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("overridden by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    override_reason = models.TextField(_("reason for the override"), blank=True)
    explanation = models.TextField(_("violator's explanation"), blank=True)
    explained_at = models.DateTimeField(_("explained"), null=True, blank=True)
    decision = models.TextField(_("conclusion"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dismissed_reason = models.TextField(_("why dismissed"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    condition_cleared_at = models.DateTimeField(_("condition cleared"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_key", "period"],
                name="incidents_one_per_subject_period",
                violation_error_message=_("This breach already has an incident."),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "deadline"], name="incident_state_deadline"),
            models.Index(fields=["violator", "opened_at"], name="incident_violator"),
            models.Index(fields=["handler", "state"], name="incident_handler"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"ЧП-{self.pk:06d}" if self.pk else "ЧП-…"

    def message(self) -> str:
        return self.rule_version.message(self.facts)

    @property
    def is_final(self) -> bool:
        return self.state in (IncidentState.CLOSED, IncidentState.DISMISSED)


class IncidentEvent(models.Model):
    """One step of an incident's story: who did what, when, from which state to which."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    state_before = models.CharField(
        _("state before"), max_length=16, choices=IncidentState.choices, blank=True
    )
    state = models.CharField(_("state"), max_length=16, choices=IncidentState.choices)
    text = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("incident event")
        verbose_name_plural = _("incident history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class Sanction(models.Model):
    """The measure taken against the violator (from the catalogue)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.ForeignKey(
        SanctionKind, verbose_name=_("sanction"), on_delete=models.PROTECT, related_name="+"
    )
    employee = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    percent = models.DecimalField(
        _("percent"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} — {self.employee}"

    def measure_text(self) -> str:
        measure: Any = None
        if self.amount is not None:
            measure = formats.number_format(self.amount, 2, force_grouping=True)
        elif self.percent is not None:
            measure = f"{self.percent:g} %"
        return f"{self.kind.name}: {measure}" if measure else self.kind.name


class CorrectiveAction(models.Model):
    """What is done so that the breach does not happen again: owner, due date, done."""

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="corrective_actions",
    )
    description = models.TextField(_("what is to be done"))
    owner = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="corrective_actions",
    )
    due = models.DateField(_("due"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("set"), auto_now_add=True)

    class Meta:
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def is_done(self) -> bool:
        return self.done_on is not None
