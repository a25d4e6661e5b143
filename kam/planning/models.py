"""Development plans: one per key account per operational period, with targets and actions.

A plan belongs to the account's responsible manager (``owner``, kept in step by handovers while
the plan is open) and is approved by the key-account head. Its state changes are history
(``PlanEvent``); a closed plan keeps its results (actual, met, reason per target) and is never
changed again. Actuals are read from the ledger's monthly roll-up whenever they are shown, so
every import moves them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.planning.choices import (
    ActionKind,
    ActionStatus,
    EventKind,
    PeriodKind,
    PlanState,
    TargetKind,
)
from kam.planning.periods import Period


class PlanningSettings(models.Model):
    """The company's planning settings (one row)."""

    period = models.CharField(
        _("planning period"),
        max_length=10,
        choices=PeriodKind.choices,
        default=PeriodKind.MONTH,
        help_text=_("Plans made from now on cover this period; existing plans keep theirs."),
    )
    approve_by_day = models.PositiveSmallIntegerField(
        _("approved by day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_(
            "Every key account's plan is expected to be approved by this day of the period."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("planning settings")
        verbose_name_plural = _("planning settings")

    def __str__(self) -> str:
        return str(self.get_period_display())


class DevelopmentPlan(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="plans",
    )
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    owner = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plans",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=PlanState.choices, default=PlanState.DRAFT
    )
    summary = models.TextField(_("goal for the period"), blank=True)
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("continues"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    return_comment = models.TextField(_("comment on return"), blank=True)
    closing_summary = models.TextField(_("results summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("development plan")
        verbose_name_plural = _("development plans")
        ordering = ["-period_start", "client__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "period_start"], name="one_plan_per_client_and_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="plan_period_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["period_start", "state"], name="plan_period_state"),
            models.Index(fields=["owner", "period_start"], name="plan_owner_period"),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.period_start:%Y-%m}"

    @property
    def is_closed(self) -> bool:
        return self.state == PlanState.CLOSED

    @property
    def period(self) -> Period:
        return Period(self.period_kind, self.period_start, self.period_end)


class PlanTarget(models.Model):
    """One target of a plan: a number measured from the ledger, or a qualitative goal."""

    plan = models.ForeignKey(
        DevelopmentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets"
    )
    kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    product_group = models.CharField(_("product group"), max_length=255, blank=True)
    value = models.DecimalField(
        _("target value"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    proposed_value = models.DecimalField(
        _("proposed value"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    basis = models.JSONField(
        _("how it was proposed"),
        default=dict,
        blank=True,
        help_text=_("The figures the proposal was computed from (shown in the reader's language)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Results, written when the plan closes.
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    met = models.BooleanField(_("met"), null=True, blank=True)
    miss_reason = models.TextField(_("why missed"), blank=True)

    class Meta:
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        ordering = ["plan", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "product_group"],
                condition=~Q(kind=TargetKind.QUALITATIVE),
                name="one_measured_target_per_kind",
            )
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label}: {self.product_group}" if self.product_group else str(label)


class PlanAction(models.Model):
    """A planned action with a key account; done actions are the account's activity log."""

    plan = models.ForeignKey(
        DevelopmentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActionKind.choices)
    title = models.CharField(_("what"), max_length=255)
    due = models.DateField(_("due"))
    responsible = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    outcome = models.TextField(_("outcome"), blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("carried over from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("plan action")
        verbose_name_plural = _("plan actions")
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["plan", "status"], name="plan_action_status"),
            models.Index(fields=["responsible", "status", "due"], name="plan_action_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ActionStatus.DONE, done_on__isnull=False)
                | ~Q(status=ActionStatus.DONE),
                name="done_action_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class PlanEvent(models.Model):
    """One change of a plan's state or owner: the plan's history."""

    plan = models.ForeignKey(
        DevelopmentPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=10, choices=EventKind.choices)
    state_before = models.CharField(
        _("state before"), max_length=10, choices=PlanState.choices, blank=True
    )
    state = models.CharField(_("state"), max_length=10, choices=PlanState.choices)
    comment = models.TextField(_("comment"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan event")
        verbose_name_plural = _("plan history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.kind}"
