"""Forms of the pipeline and prospects pages. They shape and check the input and say what each
field means; kam.deals.services decide (and their refusals come back beside the fields)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from django import forms
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.clients.models import Client
from kam.deals import selectors
from kam.deals.choices import DealStage, ProspectSource, ProspectStatus
from kam.deals.models import Deal, Prospect
from kam.deals.services import MAX_TERMS_DAYS
from kam.organization.models import Employee
from kam.web import access

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 3}


class OptionsSelect(forms.Select):
    """A drop-down whose options are read when it renders and written in Python (Django's
    template-based select costs ~50 µs an option: a director's thousand clients), after an
    empty "choose" entry."""

    def __init__(
        self,
        options: Callable[[], Iterable[tuple[Any, str]]],
        *,
        empty: Any = "—",
        attrs: dict[str, Any] | None = None,
    ):
        super().__init__(attrs)
        self.options_source = options
        self.empty = empty

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        selected = "" if value in (None, "") else str(value)
        attributes = "".join(
            f' {escape(str(k))}="{escape(str(v))}"'
            for k, v in final.items()
            if v is not None and v is not False
        )
        options = [f'<option value="">{escape(str(self.empty))}</option>']
        options.extend(
            f'<option value="{escape(str(key))}"'
            f"{' selected' if str(key) == selected else ''}>{escape(str(label))}</option>"
            for key, label in self.options_source()
        )
        return mark_safe(f"<select{attributes}>{''.join(options)}</select>")  # escaped above


def _amount_field() -> forms.CharField:
    # Text, not a number input: people type "1 500 000" or "1 500 000,50"; the service reads it.
    return forms.CharField(
        label=_("Amount"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Net of VAT, in the company's currency; spaces and a decimal comma are fine."),
    )


def _terms_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("Payment terms, days"),
        min_value=0,
        max_value=MAX_TERMS_DAYS,
        initial=0,
        help_text=_(
            "0: paid on shipment. More than 0 is deferred payment: the deal reaches the contract "
            "only with a credit-committee decision allowing these terms."
        ),
    )


class DealDetailsForm(forms.Form):
    """What a deal is: the fields the new deal and the edit forms share."""

    title = forms.CharField(
        label=_("Deal"),
        max_length=255,
        help_text=_("What is sold, in a few words: “Paper for the 3rd quarter”."),
    )
    amount = _amount_field()
    product_groups = forms.CharField(
        label=_("Product groups"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"list": "product-groups", "autocomplete": "off"}),
        help_text=_("Separated by commas, as in the ledger."),
    )
    payment_terms_days = _terms_field()
    expected_close = forms.DateField(
        label=_("Expected close"),
        widget=DATE,
        help_text=_("When you expect the contract to be signed."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs=TEXT), max_length=5000
    )

    def values(self) -> dict[str, Any]:
        """The cleaned fields as the service takes them."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "title",
                "amount",
                "product_groups",
                "payment_terms_days",
                "expected_close",
                "notes",
            )
            if name in data and name not in getattr(self, "locked", ())
        }


class DealForm(DealDetailsForm):
    """A new deal: for a client the user works with or for one of their prospects; owned by
    the user unless they name someone else."""

    FOR_CLIENT = "client"
    FOR_PROSPECT = "prospect"

    field_order = ["for_kind", "client", "prospect", "owner", "title"]

    for_kind = forms.ChoiceField(
        label=_("The deal is for"),
        choices=[
            ("client", _("a client")),
            ("prospect", _("a prospect (not a client yet)")),
        ],
        initial="client",
        widget=forms.RadioSelect,
    )
    client = forms.IntegerField(
        label=_("Client"),
        required=False,
        help_text=_("The clients you work with."),
    )
    prospect = forms.IntegerField(
        label=_("Prospect"),
        required=False,
        help_text=_(
            "Your prospects still being worked; convert one into a client before the contract."
        ),
    )
    owner = forms.IntegerField(
        label=_("Owner"),
        help_text=_("Who works the deal and answers for it (you, unless you name someone else)."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["client"].widget = OptionsSelect(
            lambda: selectors.client_options(user), empty=_("— choose a client —")
        )
        self.fields["prospect"].widget = OptionsSelect(
            lambda: selectors.prospect_options(user), empty=_("— choose a prospect —")
        )
        self.fields["owner"].widget = OptionsSelect(selectors.owner_options)
        self.client_obj: Client | None = None
        self.prospect_obj: Prospect | None = None
        self.owner_obj: Employee | None = None

    def clean_client(self) -> int | None:
        pk = self.cleaned_data.get("client")
        if pk is not None and self.data.get(self.add_prefix("for_kind")) != self.FOR_PROSPECT:
            self.client_obj = access.client_scope(self.user).filter(pk=pk).first()
            if self.client_obj is None:
                raise forms.ValidationError(_("Choose one of the clients you work with."))
        return pk

    def clean_prospect(self) -> int | None:
        pk = self.cleaned_data.get("prospect")
        if pk is not None and self.data.get(self.add_prefix("for_kind")) == self.FOR_PROSPECT:
            self.prospect_obj = (
                access.prospect_scope(self.user, Prospect.objects.all()).filter(pk=pk).first()
            )
            if self.prospect_obj is None:
                raise forms.ValidationError(_("Choose one of your prospects."))
        return pk

    def clean_owner(self) -> int:
        pk = self.cleaned_data["owner"]
        self.owner_obj = Employee.objects.select_related("department").filter(pk=pk).first()
        if self.owner_obj is None:
            raise forms.ValidationError(_("Choose who owns the deal."))
        return pk

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind = data.get("for_kind")
        if kind == self.FOR_CLIENT and data.get("client") is None and "client" not in self.errors:
            self.add_error("client", _("Choose the client."))
        if (
            kind == self.FOR_PROSPECT
            and data.get("prospect") is None
            and "prospect" not in self.errors
        ):
            self.add_error("prospect", _("Choose the prospect."))
        return data


class DealEditForm(DealDetailsForm):
    """A deal's details while it is open. From the contract on the amount and the payment terms
    are what the credit rules checked: they show, but do not change."""

    def __init__(self, *args: Any, deal: Deal, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": deal.title,
                # "180000,00" in Russian: the decimal mark the reader types (both are read)
                "amount": f"{deal.amount:.2f}".replace(".", get_format("DECIMAL_SEPARATOR")),
                "product_groups": ", ".join(deal.product_groups or []),
                "payment_terms_days": deal.payment_terms_days,
                "expected_close": deal.expected_close,
                "notes": deal.notes,
            },
        )
        super().__init__(*args, **kwargs)
        from kam.deals.choices import COMMITTED_STAGES

        self.locked: tuple[str, ...] = ()
        if deal.stage in COMMITTED_STAGES:
            self.locked = ("amount", "payment_terms_days")
            for name in self.locked:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Fixed from the contract on: move the deal back to negotiation to change it."
                )


class MoveForm(forms.Form):
    """A move of a deal to another stage (the buttons name it), or losing it."""

    stage = forms.ChoiceField(choices=DealStage.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the stage history: what happened."),
    )
    override_reason = forms.CharField(
        label=_("Reason to override a rule (only if a rule refuses the move)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The move then goes through and an incident is opened for the override: no silent "
            "bypass."
        ),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("stage") == DealStage.LOST and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why the deal is lost."))
        return data


class LoseForm(MoveForm):
    """Losing a deal: the reason is what the director reads in the lost deals."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].label = _("Why the deal is lost")
        self.fields["comment"].help_text = _(
            "Required: the competitor, the price, the client's plans … It cannot be moved again."
        )
        self.fields["stage"].initial = DealStage.LOST


# --- Prospects -----------------------------------------------------------------------------


class ProspectForm(forms.Form):
    name = forms.CharField(
        label=_("Company"),
        max_length=255,
        help_text=_("As the company calls itself: «ООО “Ромашка”»."),
    )
    tax_id = forms.CharField(
        label=_("Tax id (INN)"),
        required=False,
        max_length=20,
        help_text=_("If known: it finds the client the prospect may already be."),
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[("", "—"), *ProspectSource.choices],
        help_text=_("Where the prospect came from."),
    )
    owner = forms.IntegerField(
        label=_("Owner"),
        help_text=_(
            "Who works the prospect: a sales or acquisition employee (the key-account department "
            "does not prospect)."
        ),
    )
    industry = forms.CharField(label=_("Industry"), required=False, max_length=255)
    region = forms.CharField(label=_("Region"), required=False, max_length=255)
    contact_name = forms.CharField(label=_("Contact person"), required=False, max_length=255)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=64)
    email = forms.EmailField(label=_("Email"), required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs=TEXT), max_length=5000
    )

    DETAILS = ("tax_id", "industry", "region", "contact_name", "phone", "email", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].widget = OptionsSelect(selectors.owner_options)
        self.owner_obj: Employee | None = None

    def clean_owner(self) -> int:
        pk = self.cleaned_data["owner"]
        self.owner_obj = Employee.objects.select_related("department").filter(pk=pk).first()
        if self.owner_obj is None:
            raise forms.ValidationError(_("Choose who works the prospect."))
        return pk

    def details(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name, "") for name in self.DETAILS}


class ProspectStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ProspectStatus.choices, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the status history: the call, the meeting, what was agreed."),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("status") == ProspectStatus.LOST and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why the prospect is lost."))
        return data


class ProspectLoseForm(ProspectStatusForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comment"].label = _("Why the prospect is lost")
        self.fields["comment"].help_text = _("Required. A lost prospect may be started again.")
        self.fields["status"].initial = ProspectStatus.LOST


class ConvertForm(forms.Form):
    """Convert a prospect: link it to a client it already is, or make a new client."""

    NEW = "new"

    target = forms.ChoiceField(
        label=pgettext_lazy("prospect conversion", "The client"),
        required=False,
        widget=forms.RadioSelect,
    )
    code = forms.CharField(
        label=_("New client's code (optional)"),
        required=False,
        max_length=64,
        help_text=_("As in 1C, if it has one already; empty: kam numbers it (N-000001 …)."),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, duplicates: list[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.duplicates = {c.pk: c for c in duplicates}
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [
            *((str(c.pk), f"{c.name} ({c.code})") for c in duplicates),
            (self.NEW, _("a new client")),
        ]
        if not duplicates:
            self.fields["target"].initial = self.NEW

    def existing(self) -> Client | None:
        target = self.cleaned_data.get("target") or ""
        return self.duplicates.get(int(target)) if target.isdigit() else None

    def confirm_new(self) -> bool:
        return self.cleaned_data.get("target") == self.NEW
