from django.db import models
from django.utils.translation import gettext_lazy as _


class ClientStatus(models.TextChoices):
    """The client's current status; decisions that set it are kept as history (assessment)."""

    KEY = "key", _("Key account")
    POTENTIAL_KEY = "potential_key", _("Potential key account")
    STANDARD = "standard", _("Standard")
