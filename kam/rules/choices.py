"""Codes of the rulebook: sales subprocesses, kinds of rule, severities, who handles incidents."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Subprocess(models.TextChoices):
    """The four sales subprocesses of the seed; every rule belongs to one."""

    ACQUISITION = "acquisition", _("Client search and acquisition")
    DEAL = "deal", _("Deal support and closing")
    RETENTION = "retention", _("Client retention and development")
    FULFILMENT = "fulfilment", _("Order fulfilment and payment collection")


class RuleKind(models.TextChoices):
    """A breach of a mandatory rule is an incident; of a recommendation, a notice."""

    MANDATORY = "mandatory", pgettext_lazy("rule kind", "Mandatory rule")
    RECOMMENDATION = "recommendation", pgettext_lazy("rule kind", "Recommendation")


class Severity(models.TextChoices):
    LOW = "low", pgettext_lazy("severity", "Low")
    MEDIUM = "medium", pgettext_lazy("severity", "Medium")
    HIGH = "high", pgettext_lazy("severity", "High")
    CRITICAL = "critical", pgettext_lazy("severity", "Critical")


#: Most severe first (lists and the scorecard sort by it).
SEVERITY_ORDER = {
    Severity.CRITICAL: 0,
    Severity.HIGH: 1,
    Severity.MEDIUM: 2,
    Severity.LOW: 3,
}


class HandlerRole(models.TextChoices):
    """Who handles a rule's incidents: the violator's department head unless the rule names
    another role."""

    DEPARTMENT_HEAD = "department_head", _("Head of the violator's department")
    KEY_ACCOUNT_HEAD = "key_account_head", _("Head of the key-account department")
    CREDIT_COMMITTEE = "credit_committee", _("Chair of the credit committee")
    DIRECTOR = "director", _("Sales director")


class VersionState(models.TextChoices):
    """A version is written as a draft, enabled once (becoming the rule's text), and retired
    when another version is enabled or the rule is switched off."""

    DRAFT = "draft", pgettext_lazy("rule version", "Draft")
    ENABLED = "enabled", pgettext_lazy("rule version", "Enabled")
    RETIRED = "retired", pgettext_lazy("rule version", "Retired")


class AuditTrigger(models.TextChoices):
    COMMAND = "command", _("Command line")
    WEB = "web", _("Web page")
    API = "api", _("API")
