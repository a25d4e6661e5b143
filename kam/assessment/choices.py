"""Codes of the assessment: portfolio cells, further work, proposal changes, reviews."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.clients.choices import ClientStatus


class Cell(models.TextChoices):
    """Portfolio cells after McDonald and Woodburn: potential × attractiveness."""

    STRATEGIC = "strategic", pgettext_lazy("portfolio cell", "Strategic")
    STAR = "star", pgettext_lazy("portfolio cell", "Star")
    STATUS = "status", pgettext_lazy("portfolio cell", "Status")
    STREAMLINE = "streamline", pgettext_lazy("portfolio cell", "Streamline")


class FurtherWork(models.TextChoices):
    DEVELOP = "develop", _("Develop as a key account")
    MAINTAIN = "maintain", _("Maintain")
    INVEST = "invest", _("Invest selectively")
    SERVE = "serve", _("Serve efficiently")
    COLLECT = "collect", _("Collect data and study")


#: The default further work of each cell (what a proposal suggests).
CELL_WORK = {
    Cell.STRATEGIC: FurtherWork.DEVELOP,
    Cell.STATUS: FurtherWork.MAINTAIN,
    Cell.STAR: FurtherWork.INVEST,
    Cell.STREAMLINE: FurtherWork.SERVE,
}


class Change(models.TextChoices):
    PROMOTE = "promote", pgettext_lazy("proposed change", "Promote")
    DEMOTE = "demote", pgettext_lazy("proposed change", "Demote")
    KEEP = "keep", pgettext_lazy("proposed change", "Keep")


class Review(models.TextChoices):
    """What became of a proposal: waiting for a person, accepted (a decision), rejected."""

    PENDING = "pending", _("Awaiting decision")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    NONE = "none", _("No change proposed")


class CycleState(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


#: Rank of statuses: a proposal above the current status is a promotion.
STATUS_RANK = {ClientStatus.STANDARD: 0, ClientStatus.POTENTIAL_KEY: 1, ClientStatus.KEY: 2}
