"""Credit-committee decisions: who may buy on deferred payment, up to what limit and terms."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CreditDecisionSource(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    COMMITTEE = "committee", _("Committee vote")


class CreditDecision(models.Model):
    """A decision is immutable once recorded; revoking it is recorded beside it."""

    decision_no = models.CharField(_("decision number"), max_length=64, unique=True)
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="credit_decisions",
    )
    date = models.DateField(_("date"))
    credit_limit = models.DecimalField(_("credit limit"), max_digits=18, decimal_places=2)
    max_terms_days = models.PositiveIntegerField(_("maximum payment terms, days"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    source = models.CharField(
        _("source"),
        max_length=16,
        choices=CreditDecisionSource.choices,
        default=CreditDecisionSource.IMPORTED,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    import_batch = models.ForeignKey(
        "imports.ImportBatch",
        verbose_name=_("import"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("credit decision")
        verbose_name_plural = _("credit decisions")
        ordering = ["-date", "-decision_no"]
        indexes = [models.Index(fields=["client", "date"], name="credit_decision_client_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("date")),
                name="credit_decision_valid_after_date",
            ),
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="credit_decision_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.decision_no
