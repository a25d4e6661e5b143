"""Who is responsible for each client, from when to when, and how accounts change hands.

``Assignment`` rows are the history; the open one (no end) is the current responsible manager,
and ``Client.responsible`` is kept equal to it by the services of this app (the only code that
writes either). The database allows at most one open assignment per client.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from kam.keyaccounts.choices import Cause, Source


class Handover(models.Model):
    """A dated change of responsible manager, with its reason and the notes for the receiver."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="handovers",
    )
    from_manager = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handovers_given",
    )
    to_manager = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="handovers_received",
    )
    effective = models.DateField(_("effective date"))
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    reason = models.TextField(_("reason"), blank=True)
    notes = models.TextField(_("handover notes"), blank=True)
    briefing = models.JSONField(
        _("briefing"),
        default=dict,
        blank=True,
        help_text=_("What the receiver takes over, listed when the handover was recorded."),
    )
    load_before = models.PositiveIntegerField(_("receiver's accounts before"), default=0)
    limit = models.PositiveIntegerField(_("limit of accounts"), null=True, blank=True)
    over_limit = models.BooleanField(
        _("over the limit"),
        default=False,
        help_text=_("The receiver was at or above the limit and the assignment was confirmed."),
    )
    bulk = models.UUIDField(_("bulk handover"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["to_manager", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.client} → {self.to_manager} ({self.effective})"


class Assignment(models.Model):
    """One stretch of one employee's responsibility for one client: [start, end)."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    manager = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("responsible manager"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    start = models.DateField(_("responsible since"))
    end = models.DateField(_("responsible until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    handover = models.ForeignKey(
        Handover,
        verbose_name=_("handover"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    end_reason = models.TextField(_("why it ended"), blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["client", "-start", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(end__isnull=True),
                name="keyaccounts_one_open_assignment",
                violation_error_message=_("The client already has a responsible manager."),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="keyaccounts_assignment_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["manager", "end"])]

    def __str__(self) -> str:
        return f"{self.client} — {self.manager} ({self.start} – {self.end or '…'})"


class WorkloadLimit(models.Model):
    """How many accounts (and how much revenue) a key-account manager may carry.

    The row without a manager is the department's default; a row per manager overrides it.
    """

    manager = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("key-account manager"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the default for the whole department."),
    )
    max_accounts = models.PositiveIntegerField(
        _("maximum of accounts"), validators=[MinValueValidator(1)]
    )
    max_revenue = models.DecimalField(
        _("maximum of revenue (12 months)"),
        null=True,
        blank=True,
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Optional: the accounts' revenue over the last 12 months, in total."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("workload limit")
        verbose_name_plural = _("workload limits")
        constraints = [
            models.UniqueConstraint(
                Coalesce("manager", 0), name="keyaccounts_one_limit_per_manager"
            )
        ]

    def __str__(self) -> str:
        who = self.manager if self.manager is not None else _("the department's default")
        return f"{who}: {self.max_accounts}"
