"""Codes of development planning: periods, plan states, targets and actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PeriodKind(models.TextChoices):
    """The operational period, the unit of plan time (a company setting)."""

    MONTH = "month", pgettext_lazy("planning period", "Month")
    QUARTER = "quarter", pgettext_lazy("planning period", "Quarter")


class PlanState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("plan state", "Draft")
    SUBMITTED = "submitted", pgettext_lazy("plan state", "Submitted")
    APPROVED = "approved", pgettext_lazy("plan state", "Approved")
    CLOSED = "closed", pgettext_lazy("plan state", "Closed")


class EventKind(models.TextChoices):
    """What happened to a plan (its history)."""

    CREATED = "created", pgettext_lazy("plan event", "Created")
    SUBMITTED = "submitted", pgettext_lazy("plan event", "Submitted for approval")
    RETURNED = "returned", pgettext_lazy("plan event", "Returned for rework")
    APPROVED = "approved", pgettext_lazy("plan event", "Approved")
    CLOSED = "closed", pgettext_lazy("plan event", "Closed with results")
    OWNER_CHANGED = "owner", pgettext_lazy("plan event", "Owner changed")


class TargetKind(models.TextChoices):
    REVENUE = "revenue", _("Revenue")
    MARGIN = "margin", _("Gross margin")
    GROUP_REVENUE = "group_revenue", _("Revenue of a product group")
    NEW_GROUPS = "new_groups", _("New product groups bought")
    MAX_OVERDUE_DAYS = "max_overdue_days", _("Payment discipline: days overdue at most")
    QUALITATIVE = "qualitative", _("Qualitative goal")


#: Targets measured in money (the company currency).
MONEY_TARGETS = {TargetKind.REVENUE, TargetKind.MARGIN, TargetKind.GROUP_REVENUE}
#: Targets where less is better.
LOWER_IS_BETTER = {TargetKind.MAX_OVERDUE_DAYS}
#: Targets with a number measured from the ledger.
MEASURED_TARGETS = MONEY_TARGETS | {TargetKind.NEW_GROUPS, TargetKind.MAX_OVERDUE_DAYS}


class ActionKind(models.TextChoices):
    MEETING = "meeting", pgettext_lazy("plan action", "Meeting")
    CALL = "call", pgettext_lazy("plan action", "Call")
    PRESENTATION = "presentation", pgettext_lazy("plan action", "Presentation")
    PROPOSAL = "proposal", pgettext_lazy("plan action", "Commercial proposal")
    BUSINESS_REVIEW = "qbr", pgettext_lazy("plan action", "Quarterly business review")
    OTHER = "other", pgettext_lazy("plan action", "Other")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("action status", "Planned")
    DONE = "done", pgettext_lazy("action status", "Done")
    CANCELLED = "cancelled", pgettext_lazy("action status", "Cancelled")


class Light(models.TextChoices):
    """A target's traffic light: on track, at risk, off track; none when it cannot be told."""

    GREEN = "green", pgettext_lazy("traffic light", "On track")
    AMBER = "amber", pgettext_lazy("traffic light", "At risk")
    RED = "red", pgettext_lazy("traffic light", "Off track")
    NONE = "none", pgettext_lazy("traffic light", "Not measured")
