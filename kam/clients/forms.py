from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.assessment.choices import FurtherWork
from kam.clients.choices import ClientStatus
from kam.clients.models import Client, Contact
from kam.clients.services import CONTACT_FIELDS, PROFILE_FIELDS


class ClientProfileForm(forms.ModelForm):
    """Collected facts; the model's validators (non-negative amounts…) apply."""

    class Meta:
        model = Client
        fields = list(PROFILE_FIELDS)


class ContactForm(forms.ModelForm):
    """A person at the client, entered on the card (prefix ``contact``)."""

    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)


class StatusDecisionForm(forms.Form):
    """A status decision on one client (kam.assessment.services.decisions_record)."""

    status = forms.ChoiceField(label=_("New status"), choices=ClientStatus.choices)
    further_work = forms.ChoiceField(label=_("Further work"), choices=FurtherWork.choices)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why: the reason is kept with the decision.")},
        help_text=_("Kept with the decision in the client's status history."),
    )
    next_review = forms.DateField(
        label=_("Next review"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When to look at this client's status again."),
    )
    # Offered when the decision moves the account into or out of the key-account department
    # (kam.assessment.decision_views.responsible_setup gives the choices).
    responsible = forms.TypedChoiceField(
        label=_("Responsible manager"), coerce=int, empty_value=None, required=False
    )
    confirm_over_limit = forms.BooleanField(
        label=_("I confirm the assignment above the limit"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Whether the responsible select applies to the chosen status (set by the view).
        self.show_responsible = False
        #: Set when the service says the chosen manager is at the limit: the checkbox shows.
        self.needs_confirmation = bool(self.data.get("confirm_over_limit"))
        self.responsible_ready = False
        self.responsible_default: str | None = None
        self.responsible_names: dict[int, str] = {}
