"""Codes of the key-account department: why an account changes hands."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Cause(models.TextChoices):
    """Why a handover happens; every cause but "other" explains itself."""

    ASSIGNMENT = "assignment", _("First responsible manager")
    PROMOTION = "promotion", _("Became a key account")
    LEAVING = "leaving", _("Manager leaves")
    OVERLOAD = "overload", _("Manager overloaded")
    DEMOTION = "demotion", _("No longer a key account: back to sales")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    """Where an assignment came from."""

    HANDOVER = "handover", _("Handover")
    IMPORT = "import", pgettext_lazy("assignment source", "Import")
    INITIAL = "initial", _("Data before the key-account department")
