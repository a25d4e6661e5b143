"""Departments and employees; roles are Django groups (see choices.Role)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.organization.choices import DepartmentKind, Role


class Department(models.Model):
    """One of the company's sales-related units, identified by its kind."""

    kind = models.CharField(_("kind"), max_length=32, choices=DepartmentKind.choices, unique=True)
    name = models.CharField(
        _("name"), max_length=255, blank=True, help_text=_("Leave empty to use the standard name.")
    )
    head = models.ForeignKey(
        "organization.Employee",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.name or str(self.get_kind_display())


class Employee(models.Model):
    """A person in the sales organisation; linked to a user account when they log in."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("full name"), max_length=255)
    email = models.EmailField(_("email"), blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="employees"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    position = models.CharField(
        _("position"), max_length=255, blank=True, help_text=_("Job title as in the HR system.")
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subordinates",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
