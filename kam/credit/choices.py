"""Codes of the credit committee: applications' states and the members' votes."""

from django.db import models
from django.utils.translation import pgettext_lazy


class ApplicationState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("credit application", "Awaiting votes")
    APPROVED = "approved", pgettext_lazy("credit application", "Approved")
    REJECTED = "rejected", pgettext_lazy("credit application", "Rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("credit application", "Withdrawn")


class VoteChoice(models.TextChoices):
    APPROVE = "approve", pgettext_lazy("committee vote", "Approve")
    APPROVE_REDUCED = (
        "approve_reduced",
        pgettext_lazy("committee vote", "Approve with a lower limit or shorter terms"),
    )
    REJECT = "reject", pgettext_lazy("committee vote", "Reject")


APPROVING = (VoteChoice.APPROVE, VoteChoice.APPROVE_REDUCED)


class DecisionState(models.TextChoices):
    """A decision's standing on a day (derived from its dates and revocation, never stored)."""

    VALID = "valid", pgettext_lazy("credit decision", "Valid")
    NOT_YET_VALID = "not_yet_valid", pgettext_lazy("credit decision", "Not yet valid")
    EXPIRED = "expired", pgettext_lazy("credit decision", "Expired")
    REVOKED = "revoked", pgettext_lazy("credit decision", "Revoked")
