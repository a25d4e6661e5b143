"""Scoring models (versioned), re-evaluation cycles, per-client assessments, status decisions
and data collection for potential key accounts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.assessment.choices import Cell, Change, CycleState, FurtherWork, Review
from kam.clients.choices import ClientStatus


class ScoringModel(models.Model):
    """One version of the scoring model: criteria, weights and thresholds as data.

    A version that has been used by a cycle is never changed; editing it makes a new version.
    Exactly one version is active: cycles use it unless told otherwise.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    definition = models.JSONField(_("definition"))
    notes = models.TextField(_("what changed"), blank=True)
    is_active = models.BooleanField(_("active"), default=False)
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
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="one_active_scoring_model",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_used(self) -> bool:
        return self.cycles.exists()


class AssessmentSchedule(models.Model):
    """How often a re-evaluation cycle is due (one row for the company)."""

    every_months = models.PositiveSmallIntegerField(
        _("re-evaluate every, months"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("assessment schedule")
        verbose_name_plural = _("assessment schedule")

    def __str__(self) -> str:
        return str(_("every %(n)s months") % {"n": self.every_months})


class AssessmentCycle(models.Model):
    """A re-evaluation of every client as of a date with one model version."""

    as_of = models.DateField(_("as of"))
    period_end = models.DateField(
        _("data up to"), help_text=_("The last day of the last whole month the cycle read.")
    )
    model = models.ForeignKey(
        ScoringModel, verbose_name=_("model"), on_delete=models.PROTECT, related_name="cycles"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CycleState.choices, default=CycleState.RUNNING
    )
    clients = models.PositiveIntegerField(_("clients"), default=0)
    promote = models.PositiveIntegerField(_("promote"), default=0)
    demote = models.PositiveIntegerField(_("demote"), default=0)
    keep = models.PositiveIntegerField(_("keep"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("previous cycle"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("re-evaluation cycle")
        verbose_name_plural = _("re-evaluation cycles")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["as_of", "model"], name="one_cycle_per_date_and_model")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of:%Y-%m-%d} (v{self.model.version})"


class Assessment(models.Model):
    """One client's metrics, scores, cell and proposal in one cycle (written in bulk)."""

    cycle = models.ForeignKey(
        AssessmentCycle,
        verbose_name=_("cycle"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="assessments",
        db_constraint=False,
    )
    # Metrics (kam.assessment.metrics.METRIC_SCHEMA): money in the company currency.
    revenue_12m = models.FloatField(_("revenue, 12 months"), default=0)
    revenue_prev_12m = models.FloatField(_("revenue, previous 12 months"), default=0)
    margin_12m = models.FloatField(_("gross margin, 12 months"), null=True)
    margin_prev_12m = models.FloatField(_("gross margin, previous 12 months"), null=True)
    growth = models.FloatField(_("growth"), null=True)
    trend_6m = models.FloatField(_("trend, 6 months"), null=True)
    margin_pct = models.FloatField(_("margin %"), null=True)
    documents_12m = models.IntegerField(_("documents, 12 months"), default=0)
    active_months = models.IntegerField(_("months with purchases"), default=0)
    product_groups = models.IntegerField(_("product groups"), default=0)
    recency_days = models.IntegerField(_("days since last purchase"), null=True)
    revenue_cv = models.FloatField(_("variability of monthly revenue"), null=True)
    abc = models.CharField(_("ABC"), max_length=1, blank=True)
    xyz = models.CharField(_("XYZ"), max_length=1, blank=True)
    rfm_r = models.SmallIntegerField(_("RFM: recency"), null=True)
    rfm_f = models.SmallIntegerField(_("RFM: frequency"), null=True)
    rfm_m = models.SmallIntegerField(_("RFM: monetary"), null=True)
    share_of_wallet = models.FloatField(_("share of wallet"), null=True)
    purchase_potential = models.FloatField(_("purchase potential"), null=True)
    potential_gap = models.FloatField(_("unrealised potential"), null=True)
    annual_revenue = models.FloatField(_("annual revenue"), null=True)
    employees = models.FloatField(_("number of employees"), null=True)
    decision_makers = models.IntegerField(_("decision makers known"), default=0)
    profile_completeness = models.FloatField(_("profile completeness"), default=0)
    days_overdue_avg = models.FloatField(_("average days overdue"), null=True)
    days_overdue_max = models.IntegerField(_("maximum days overdue"), null=True)
    late_share = models.FloatField(_("share of invoices paid late"), null=True)
    group_revenue_12m = models.FloatField(_("holding group revenue, 12 months"), null=True)
    forecast_12m = models.FloatField(_("expected revenue, next 12 months"), default=0)
    # Scores and the proposal.
    normalised = models.JSONField(
        _("normalised criteria"), default=list, help_text=_("In the order of the model's criteria.")
    )
    potential = models.FloatField(_("potential"))
    attractiveness = models.FloatField(_("attractiveness"))
    priority = models.FloatField(_("key-account priority"))
    priority_rank = models.PositiveIntegerField(_("priority rank"))
    cell = models.CharField(_("portfolio cell"), max_length=12, choices=Cell.choices)
    current_status = models.CharField(
        _("status at the time"), max_length=20, choices=ClientStatus.choices
    )
    proposed_status = models.CharField(
        _("proposed status"), max_length=20, choices=ClientStatus.choices
    )
    change = models.CharField(_("change"), max_length=10, choices=Change.choices)
    previous_cell = models.CharField(
        _("cell in the previous cycle"), max_length=12, choices=Cell.choices, blank=True
    )
    previous_proposed_status = models.CharField(
        _("proposal in the previous cycle"), max_length=20, choices=ClientStatus.choices, blank=True
    )
    review = models.CharField(
        _("review"), max_length=10, choices=Review.choices, default=Review.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "client"], name="one_assessment_per_cycle")
        ]
        indexes = [
            models.Index(fields=["client", "cycle"], name="assessment_client_cycle"),
            models.Index(fields=["cycle", "change", "review"], name="assessment_cycle_change"),
        ]

    def __str__(self) -> str:
        return f"{self.cycle_id}/{self.client_id}"


class StatusDecision(models.Model):
    """A person's decision on a client's status and further work; the status history."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="status_decisions",
    )
    status_before = models.CharField(
        _("status before"), max_length=20, choices=ClientStatus.choices
    )
    status = models.CharField(_("status"), max_length=20, choices=ClientStatus.choices)
    further_work = models.CharField(_("further work"), max_length=10, choices=FurtherWork.choices)
    reason = models.TextField(_("reason"))
    next_review = models.DateField(_("next review"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)
    # What the decider saw: the assessment (if any) and its scores at the time.
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("assessment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    potential = models.FloatField(_("potential"), null=True, blank=True)
    attractiveness = models.FloatField(_("attractiveness"), null=True, blank=True)
    cell = models.CharField(_("portfolio cell"), max_length=12, choices=Cell.choices, blank=True)

    class Meta:
        verbose_name = _("status decision")
        verbose_name_plural = _("status decisions")
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["client", "decided_at"], name="decision_client_at")]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.status_before} → {self.status}"


class DataCollection(models.Model):
    """Collecting facts about a potential key account: opened when it enters that status,
    closed when it leaves it. Its checklist is computed from the client's facts."""

    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="data_collections",
    )
    opened_by = models.ForeignKey(
        StatusDecision,
        verbose_name=_("opened by decision"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("data collection")
        verbose_name_plural = _("data collections")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_data_collection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.opened_at:%Y-%m-%d}"
