"""Forms of the committee's pages. They shape the input and catch what can be told before a
confirmation is asked; the services decide (their refusals come back beside the fields)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.credit.choices import VoteChoice
from kam.credit.services import MAX_TERMS_DAYS


def is_amount(value: str) -> bool:
    """Whether ``value`` reads as a non-negative amount the way people type it (spaces between
    thousands, a decimal comma)."""
    text = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False
    return number.is_finite() and number >= 0


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


class ApplicationForm(forms.Form):
    """What an application asks: the deal (optional), the limit, the terms, until when, why."""

    deal: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Deal"),
        queryset=None,  # the client's open deals, set by the view
        required=False,
        empty_label=_("No particular deal"),
        help_text=_("The deal the credit is for, if one: its owner may not vote either."),
    )
    requested_limit = forms.CharField(
        label=_("Credit limit requested"),
        widget=MONEY,
        help_text=_(
            "The most the client may owe at once: unpaid invoices plus deals at the contract "
            "stage on deferred terms."
        ),
    )
    requested_terms_days = forms.IntegerField(
        label=_("Payment terms, days"),
        min_value=1,
        max_value=MAX_TERMS_DAYS,
        help_text=_("The longest deferral a sale may have (1 to %(n)s days).")
        % {"n": MAX_TERMS_DAYS},
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=DATE,
        required=False,
        help_text=_("When the credit ends; filled in with the committee's default validity."),
    )
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Why the client should buy on deferred payment: the volumes expected, its "
            "history with us, guarantees. The members read it with the client's facts."
        ),
    )

    def clean_requested_limit(self) -> str:
        # Said beside the field with the others' errors (the service checks it again).
        value = self.cleaned_data.get("requested_limit") or ""
        if not is_amount(value):
            raise forms.ValidationError(_("Enter an amount, e.g. 500 000."))
        return value

    def __init__(self, *args: Any, deals: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["deal"]
        field.queryset = deals  # type: ignore[attr-defined]
        field.label_from_instance = lambda deal: (  # type: ignore[attr-defined]
            f"{deal.number} · {deal.title} · {deal.get_stage_display()} · {deal.owner.name}"
        )


class VoteForm(forms.Form):
    """A member's vote. A vote is never changed: the page asks to confirm before it is cast."""

    choice = forms.ChoiceField(
        label=_("How you vote"), choices=VoteChoice.choices, widget=forms.RadioSelect
    )
    limit = forms.CharField(
        label=_("Lower limit you approve"),
        required=False,
        widget=MONEY,
        help_text=_("Below the limit requested; empty: the limit requested."),
    )
    terms_days = forms.IntegerField(
        label=_("Shorter terms you approve, days"),
        required=False,
        min_value=1,
        help_text=_("Below the terms requested; empty: the terms requested."),
    )
    comment = forms.CharField(
        label=pgettext_lazy("committee vote", "Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to reject: the applicant reads it. Goes into the minutes."),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        # What the service would refuse anyway, said before the confirmation is asked.
        data = super().clean() or {}
        choice = data.get("choice")
        if choice == VoteChoice.REJECT and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why you reject: the applicant reads it."))
        limit = (data.get("limit") or "").strip()
        if choice == VoteChoice.APPROVE_REDUCED and limit and not is_amount(limit):
            self.add_error("limit", _("Enter an amount, e.g. 400 000."))
        if (
            choice == VoteChoice.APPROVE_REDUCED
            and not limit
            and data.get("terms_days") is None
            and "terms_days" not in self.errors
        ):
            self.add_error("limit", _("Say the lower limit or the shorter terms you approve."))
        return data

    def summary(self) -> list[tuple[str, str]]:
        """The vote as the confirmation page repeats it."""
        data = self.cleaned_data
        rows = [(str(self.fields["choice"].label), str(VoteChoice(data["choice"]).label))]
        if data["choice"] == VoteChoice.APPROVE_REDUCED:
            if (data.get("limit") or "").strip():
                rows.append((str(self.fields["limit"].label), data["limit"]))
            if data.get("terms_days") is not None:
                rows.append((str(self.fields["terms_days"].label), str(data["terms_days"])))
        if (data.get("comment") or "").strip():
            rows.append((str(self.fields["comment"].label), data["comment"]))
        return rows


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The members read it; nobody votes on it any more."),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def summary(self) -> list[tuple[str, str]]:
        return [(str(self.fields["reason"].label), self.cleaned_data["reason"])]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the decision is revoked"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "From today the client has no credit under this decision: deferred sales and "
            "deals moving to contract are refused by the credit rules."
        ),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def summary(self) -> list[tuple[str, str]]:
        return [(str(self.fields["reason"].label), self.cleaned_data["reason"])]


class CommitteeSettingsForm(forms.Form):
    # The bounds are the service's to tell (it knows how many members there are).
    approvals_needed = forms.IntegerField(
        label=_("Approvals needed"),
        widget=forms.NumberInput(attrs={"min": 1}),
        help_text=_("M of the N members who may vote on an application."),
    )
    chair_must_approve = forms.BooleanField(
        label=_("The chair must approve"),
        required=False,
        help_text=_("No decision to approve without the chair's approving vote."),
    )
    validity_months = forms.IntegerField(
        label=_("Decisions valid for, months"),
        widget=forms.NumberInput(attrs={"min": 1, "max": 36}),
        help_text=_("The default validity of an application that does not say until when."),
    )
