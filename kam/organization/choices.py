"""Departments and roles of DESIGN.md: codes in data, translated labels on screen."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    KEY_ACCOUNTS = "key_accounts", _("Key-account department")
    ACQUISITION = "acquisition", _("Acquisition")
    SALES = "sales", _("Sales department")
    CREDIT_COMMITTEE = "credit_committee", _("Credit committee")
    MANAGEMENT = "management", _("Management")


class Role(models.TextChoices):
    """Roles are Django groups of the same name; an employee's user is put in its role's group."""

    DIRECTOR = "director", _("Sales director")
    KEY_ACCOUNT_HEAD = "key_account_head", _("Head of key-account department")
    KEY_ACCOUNT_MANAGER = "key_account_manager", _("Key-account manager")
    SALES_REP = "sales_rep", _("Sales representative")
    CREDIT_COMMITTEE_MEMBER = "credit_committee_member", _("Credit committee member")
    ANALYST = "analyst", _("Analyst")
    AUDITOR = "auditor", _("Auditor")
