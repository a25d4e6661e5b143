"""Clients (counterparties), their holding groups, contacts and collected profile facts."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.clients.choices import ClientStatus


class HoldingGroup(models.Model):
    """Clients that belong to one owner; assessed together where it matters."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("holding group")
        verbose_name_plural = _("holding groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name or self.code


class Client(models.Model):
    """A counterparty that buys from the company, with the facts collected about it."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255, db_index=True)
    tax_id = models.CharField(_("tax id (INN)"), max_length=20, blank=True, db_index=True)
    industry = models.CharField(_("industry"), max_length=255, blank=True, db_index=True)
    region = models.CharField(_("region"), max_length=255, blank=True, db_index=True)
    group = models.ForeignKey(
        HoldingGroup,
        verbose_name=_("holding group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clients",
    )
    employees = models.PositiveIntegerField(_("number of employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        max_digits=18,
        decimal_places=2,
    )
    purchase_potential = models.DecimalField(
        _("purchase potential"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Estimated annual purchases of our kind of goods from all suppliers."),
        max_digits=18,
        decimal_places=2,
    )
    responsible = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("responsible employee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ClientStatus.choices,
        default=ClientStatus.STANDARD,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Contact(models.Model):
    """A person at the client; decision makers matter for key-account work."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("full name"), max_length=255)
    position = models.CharField(_("position"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["client", "-is_decision_maker", "name"]

    def __str__(self) -> str:
        return self.name
