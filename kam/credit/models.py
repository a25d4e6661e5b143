"""The credit committee: applications for deferred payment, the members' votes, and the
decisions (who may buy on deferred payment, up to what limit and terms, until when).

A decision is immutable once recorded (revoking it is recorded beside it); one made by the
committee points at its application, which has at most one decision (a database constraint:
simultaneous last votes cannot make two).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.credit.choices import ApplicationState, VoteChoice


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
    application = models.OneToOneField(
        "credit.CreditApplication",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision",
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


class CommitteeSettings(models.Model):
    """The committee's quorum policy (one row): how many members must approve, and whether the
    chair (the credit-committee department's head) must be among them."""

    approvals_needed = models.PositiveSmallIntegerField(
        _("approvals needed"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("M of the N members who may vote on an application."),
    )
    chair_must_approve = models.BooleanField(
        _("the chair must approve"),
        default=False,
        help_text=_("No decision to approve without the chair's approving vote."),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("decisions valid for, months"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text=_("When an application does not say until when."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("committee settings")
        verbose_name_plural = _("committee settings")

    def __str__(self) -> str:
        return f"{self.approvals_needed}"


class CreditApplication(models.Model):
    """A request to let a client buy on deferred payment: limit, terms, validity and why, with
    the client's receivables and payment discipline as they stood when it was filed."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="credit_applications",
    )
    deal = models.ForeignKey(
        "deals.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="credit_applications",
    )
    requested_limit = models.DecimalField(
        _("credit limit requested"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    requested_terms_days = models.PositiveIntegerField(
        _("payment terms requested, days"),
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    justification = models.TextField(_("justification"))
    applicant = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("applicant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_applications",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ApplicationState.choices,
        default=ApplicationState.PENDING,
    )
    # What the members saw: the client's credit facts on the day it was filed.
    facts = models.JSONField(_("the client's credit facts"), default=dict, blank=True)
    # The policy and the members who may vote, fixed when it was filed.
    approvals_needed = models.PositiveSmallIntegerField(_("approvals needed"))
    chair_must_approve = models.BooleanField(_("the chair must approve"))
    chair = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("chair"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voters = models.ManyToManyField(
        "organization.Employee",
        verbose_name=_("members who may vote"),
        related_name="credit_applications_to_vote",
        blank=True,
    )
    created_at = models.DateTimeField(_("filed"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("why withdrawn"), blank=True)

    class Meta:
        verbose_name = _("credit application")
        verbose_name_plural = _("credit applications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="credit_app_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"CA-{self.pk:06d}" if self.pk else "CA-…"


class Vote(models.Model):
    """One member's vote on one application (never changed once cast)."""

    application = models.ForeignKey(
        CreditApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="votes",
    )
    member = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="credit_votes",
    )
    choice = models.CharField(_("vote"), max_length=16, choices=VoteChoice.choices)
    limit = models.DecimalField(
        _("credit limit"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    terms_days = models.PositiveIntegerField(_("payment terms, days"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    voted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cast by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "member"],
                name="credit_one_vote_per_member",
                violation_error_message=_("This member has voted on this application."),
            ),
            models.CheckConstraint(
                condition=~Q(choice=VoteChoice.APPROVE_REDUCED)
                | Q(limit__isnull=False)
                | Q(terms_days__isnull=False),
                name="credit_reduced_vote_says_what",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.member_id} {self.choice}"
