"""Prospects (the acquisition subprocess) and deals (deal support and closing), with their
histories. A deal is for a client or for a prospect not yet converted; its stage changes only
through the services, which keep the history and apply the rulebook's guards."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.deals.choices import DealStage, ProspectSource, ProspectStatus


class Prospect(models.Model):
    """A company the acquisition staff work to win; converted into a client when it buys."""

    name = models.CharField(_("name"), max_length=255, db_index=True)
    tax_id = models.CharField(_("tax id (INN)"), max_length=20, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=255, blank=True)
    region = models.CharField(_("region"), max_length=255, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ProspectSource.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ProspectStatus.choices, default=ProspectStatus.NEW
    )
    owner = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="prospects",
    )
    notes = models.TextField(_("notes"), blank=True)
    lost_reason = models.TextField(_("why lost"), blank=True)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("converted into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prospects",
    )
    status_since = models.DateTimeField(_("in this status since"), auto_now_add=True)
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

    class Meta:
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ProspectStatus.CONVERTED, client__isnull=False)
                | (~Q(status=ProspectStatus.CONVERTED) & Q(client__isnull=True)),
                name="deals_converted_prospect_has_client",
            )
        ]
        indexes = [models.Index(fields=["owner", "status"], name="prospect_owner_status")]

    def __str__(self) -> str:
        return self.name


class ProspectEvent(models.Model):
    """A change of a prospect's status (or owner), with who and why."""

    prospect = models.ForeignKey(
        Prospect, verbose_name=_("prospect"), on_delete=models.CASCADE, related_name="events"
    )
    status_before = models.CharField(
        _("status before"), max_length=16, choices=ProspectStatus.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=16, choices=ProspectStatus.choices)
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
        verbose_name = _("prospect event")
        verbose_name_plural = _("prospect history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.prospect_id}: {self.status_before} → {self.status}"


class Deal(models.Model):
    """A sale being won: for a client or a prospect, with its amount, product groups, payment
    terms and stage."""

    title = models.CharField(_("deal"), max_length=255)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    prospect = models.ForeignKey(
        Prospect,
        verbose_name=_("prospect"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    owner = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="deals",
    )
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)]
    )
    product_groups = models.JSONField(_("product groups"), default=list, blank=True)
    payment_terms_days = models.PositiveIntegerField(
        _("payment terms, days"),
        default=0,
        help_text=_("0: paid on shipment; more than 0: deferred payment."),
    )
    expected_close = models.DateField(_("expected close"))
    stage = models.CharField(
        _("stage"), max_length=16, choices=DealStage.choices, default=DealStage.QUALIFICATION
    )
    stage_since = models.DateTimeField(_("at this stage since"), auto_now_add=True)
    lost_reason = models.TextField(_("why lost"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
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

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(client__isnull=False) | Q(prospect__isnull=False),
                name="deals_deal_for_client_or_prospect",
            )
        ]
        indexes = [
            models.Index(fields=["stage", "expected_close"], name="deal_stage_close"),
            models.Index(fields=["owner", "stage"], name="deal_owner_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"D-{self.pk:06d}" if self.pk else "D-…"

    @property
    def counterparty(self) -> object:
        return self.client if self.client_id else self.prospect


class DealStageChange(models.Model):
    """A deal's stage history: each move, who made it, when, with what comment."""

    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    stage_before = models.CharField(
        _("stage before"), max_length=16, choices=DealStage.choices, blank=True
    )
    stage = models.CharField(_("stage"), max_length=16, choices=DealStage.choices)
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
        verbose_name = _("stage change")
        verbose_name_plural = _("stage history")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.stage_before} → {self.stage}"
