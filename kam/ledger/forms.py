"""The form of a sale registered in kam (kam.ledger.services.sale_register)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.ledger.services import BACKDATE_DAYS, MAX_TERMS_DAYS


class SaleForm(forms.Form):
    date = forms.DateField(
        label=_("Shipment date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Today or up to %(n)s days back.") % {"n": BACKDATE_DAYS},
    )
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms, days"),
        min_value=0,
        max_value=MAX_TERMS_DAYS,
        initial=0,
        help_text=_("0: paid on shipment; more than 0: deferred payment."),
    )
    doc_no = forms.CharField(
        label=_("Document number"),
        required=False,
        max_length=64,
        help_text=_(
            "The 1C number, if there is one (a later 1C import then updates it); "
            "empty: kam numbers it."
        ),
    )
    override_reason = forms.CharField(
        label=_("Reason to override a rule (only if a rule refuses the sale)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The sale then goes through and an incident is opened for the override: no silent "
            "bypass."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)


class SaleLineForm(forms.Form):
    product_group = forms.CharField(label=_("Product group"), required=False, max_length=255)
    product_code = forms.CharField(label=_("Product code"), required=False, max_length=64)
    quantity = forms.CharField(label=_("Quantity"), required=False, max_length=32)
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=32,
        help_text=_("Net of VAT; negative: a return."),
    )
    cost = forms.CharField(label=_("Cost"), required=False, max_length=32)


SaleLineFormSet = forms.formset_factory(SaleLineForm, extra=5, max_num=50, absolute_max=50)
