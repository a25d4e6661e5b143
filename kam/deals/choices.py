"""Codes of the acquisition and deal subprocesses: prospects' statuses and sources, deal stages."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ProspectStatus(models.TextChoices):
    """new → contacted → qualified → converted (a client now), or lost with a reason."""

    NEW = "new", pgettext_lazy("prospect status", "New")
    CONTACTED = "contacted", pgettext_lazy("prospect status", "Contacted")
    QUALIFIED = "qualified", pgettext_lazy("prospect status", "Qualified")
    CONVERTED = "converted", pgettext_lazy("prospect status", "Converted into a client")
    LOST = "lost", pgettext_lazy("prospect status", "Lost")


#: Where a prospect may go from each status (converting has its own step).
PROSPECT_NEXT = {
    ProspectStatus.NEW: (ProspectStatus.CONTACTED, ProspectStatus.QUALIFIED, ProspectStatus.LOST),
    ProspectStatus.CONTACTED: (ProspectStatus.QUALIFIED, ProspectStatus.LOST),
    ProspectStatus.QUALIFIED: (ProspectStatus.CONTACTED, ProspectStatus.LOST),
    ProspectStatus.LOST: (ProspectStatus.NEW,),
    ProspectStatus.CONVERTED: (),
}
OPEN_PROSPECT = (ProspectStatus.NEW, ProspectStatus.CONTACTED, ProspectStatus.QUALIFIED)


class ProspectSource(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    WEBSITE = "website", _("Website or inbound request")
    EXHIBITION = "exhibition", _("Exhibition")
    COLD_CALL = "cold_call", _("Cold call")
    TENDER = "tender", _("Tender")
    OTHER = "other", pgettext_lazy("prospect source", "Other")


class DealStage(models.TextChoices):
    """qualification → proposal → negotiation → contract → shipped → paid; or lost."""

    QUALIFICATION = "qualification", pgettext_lazy("deal stage", "Qualification")
    PROPOSAL = "proposal", pgettext_lazy("deal stage", "Proposal")
    NEGOTIATION = "negotiation", pgettext_lazy("deal stage", "Negotiation")
    CONTRACT = "contract", pgettext_lazy("deal stage", "Contract")
    SHIPPED = "shipped", pgettext_lazy("deal stage", "Shipped")
    PAID = "paid", pgettext_lazy("deal stage", "Paid")
    LOST = "lost", pgettext_lazy("deal stage", "Lost")


#: The pipeline's stages in order (lost is not on the way).
PIPELINE = (
    DealStage.QUALIFICATION,
    DealStage.PROPOSAL,
    DealStage.NEGOTIATION,
    DealStage.CONTRACT,
    DealStage.SHIPPED,
    DealStage.PAID,
)
OPEN_STAGES = PIPELINE[:-1]
#: Stages at which goods go (or are committed to go) on the agreed terms: the credit rules guard
#: a move into them.
COMMITTED_STAGES = (DealStage.CONTRACT, DealStage.SHIPPED)
FINAL_STAGES = (DealStage.PAID, DealStage.LOST)
