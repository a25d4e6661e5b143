"""Import batches: the history of completed imports (who, when, which file, what changed)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """The five files of DESIGN.md, in the order they must be imported."""

    EMPLOYEES = "employees", _("Employees")
    CLIENTS = "clients", _("Clients")
    SALES = "sales", _("Sales")
    PAYMENTS = "payments", _("Payments")
    CREDIT_DECISIONS = "credit_decisions", _("Credit decisions")


class ImportBatch(models.Model):
    """One completed import. Rejected files and dry runs write nothing, not even this row."""

    kind = models.CharField(_("kind"), max_length=32, choices=ImportKind.choices)
    file_name = models.CharField(_("file"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_size = models.BigIntegerField(_("size, bytes"))
    file_format = models.CharField(_("format"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("imported by"), max_length=150, blank=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    notices = models.JSONField(_("notices"), default=list, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
