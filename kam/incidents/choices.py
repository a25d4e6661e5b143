"""Codes of incidents (ЧП): their states, kinds, history events and measures of sanctions."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class IncidentState(models.TextChoices):
    """open → investigating (the violator explains) → decided (sanction and corrective
    action) → closed; or dismissed as a false alarm with a reason."""

    OPEN = "open", pgettext_lazy("incident state", "Open")
    INVESTIGATING = "investigating", pgettext_lazy("incident state", "Under investigation")
    DECIDED = "decided", pgettext_lazy("incident state", "Decided")
    CLOSED = "closed", pgettext_lazy("incident state", "Closed")
    DISMISSED = "dismissed", pgettext_lazy("incident state", "Dismissed")


#: States in which the incident still waits for someone.
ACTIVE_STATES = (IncidentState.OPEN, IncidentState.INVESTIGATING, IncidentState.DECIDED)
#: States in which the handler has not decided yet (the response deadline applies).
UNDECIDED_STATES = (IncidentState.OPEN, IncidentState.INVESTIGATING)
FINAL_STATES = (IncidentState.CLOSED, IncidentState.DISMISSED)


class IncidentKind(models.TextChoices):
    VIOLATION = "violation", pgettext_lazy("incident kind", "Violation found")
    OVERRIDE = "override", pgettext_lazy("incident kind", "Rule overridden")


class EventKind(models.TextChoices):
    """What happened to an incident (its history)."""

    OPENED = "opened", pgettext_lazy("incident event", "Opened")
    OVERRIDDEN = "overridden", pgettext_lazy("incident event", "Rule overridden")
    EXPLAINED = "explained", pgettext_lazy("incident event", "Explanation written")
    INVESTIGATING = "investigating", pgettext_lazy("incident event", "Investigation started")
    DECIDED = "decided", pgettext_lazy("incident event", "Decided")
    ACTION_DONE = "action_done", pgettext_lazy("incident event", "Corrective action done")
    CLOSED = "closed", pgettext_lazy("incident event", "Closed")
    DISMISSED = "dismissed", pgettext_lazy("incident event", "Dismissed as a false alarm")
    ESCALATED = "escalated", pgettext_lazy("incident event", "Escalated to the director")
    CLEARED = "cleared", pgettext_lazy("incident event", "Condition cleared")
    RECURRED = "recurred", pgettext_lazy("incident event", "Condition found again")
    COMMENT = "comment", pgettext_lazy("incident event", "Comment")


class Measure(models.TextChoices):
    """What a sanction of a kind carries besides its name."""

    NONE = "none", _("Nothing else")
    AMOUNT = "amount", _("An amount (fine)")
    PERCENT = "percent", _("A percentage (bonus reduction)")
