"""Forms of the key-account pages: one handover, a bulk handover and its confirmation, limits.

The forms check what a person can get wrong on the page; the services check the rules again
(and a few only they can: the workload limit, a concurrent change) and the views map their
answers back onto these fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kam.keyaccounts.choices import Cause
from kam.keyaccounts.rules import is_key_account_staff
from kam.keyaccounts.services import Load, Rule
from kam.organization.models import Employee

Receivers = list[tuple[Employee, Load]]

#: Causes a bulk handover offers: it is for someone who leaves or carries too much.
BULK_CAUSES = [Cause.LEAVING, Cause.OVERLOAD, Cause.OTHER]
REASON_REQUIRED = _("Say why: the reason is kept with the handover.")


def load_text(employee: Employee, load: Load) -> str:
    """A manager's load as the receiver lists show it: "3 / 15", or a count outside the
    key-account department (where no limit applies)."""
    if not is_key_account_staff(employee):
        return ngettext("%(n)s account", "%(n)s accounts", load.accounts) % {"n": load.accounts}
    text = f"{load.accounts} / {load.limit.max_accounts}"
    if load.limit.max_revenue is not None:
        text += " · " + str(_("revenue %(revenue)s of %(limit)s")) % {
            "revenue": formats.number_format(round(load.revenue), 0, force_grouping=True),
            "limit": formats.number_format(round(load.limit.max_revenue), 0, force_grouping=True),
        }
    if load.accounts >= load.limit.max_accounts:
        text += " · " + str(_("at the limit"))
    return text


def receiver_choices(receivers: Iterable[tuple[Employee, Load]]) -> list[tuple[Any, Any]]:
    """Receivers grouped by department, each with their load."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for employee, load in receivers:
        groups.setdefault(str(employee.department), []).append(
            (employee.pk, f"{employee.name} — {load_text(employee, load)}")
        )
    return [("", _("— choose —")), *groups.items()]


def _date_input() -> forms.DateInput:
    return forms.DateInput(
        attrs={"type": "date", "max": timezone.localdate().isoformat()}, format="%Y-%m-%d"
    )


class HandoverForm(forms.Form):
    """Hand one client over (kam.keyaccounts.services.handover_record)."""

    to_manager = forms.TypedChoiceField(label=_("Receiver"), coerce=int, empty_value=None)
    effective = forms.DateField(
        label=_("Effective date"),
        help_text=_("Today or earlier: the day the receiver becomes responsible."),
    )
    cause = forms.ChoiceField(label=_("Cause"), choices=[("", _("— choose —")), *Cause.choices])
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the cause is “Other”; kept with the handover."),
    )
    notes = forms.CharField(
        label=_("Notes for the receiver"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the list below does not say: agreements, people, open questions, risks."),
    )
    #: The responsible manager the user saw (empty: nobody); a change meanwhile is refused.
    expected_from = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirm_over_limit = forms.BooleanField(
        label=_("I confirm the assignment above the limit"), required=False
    )
    override_reason = forms.CharField(
        label=_("Reason to override a rule (only if a rule refuses the handover)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The handover then goes through and an incident is opened for the override: "
            "no silent bypass."
        ),
    )

    def __init__(self, *args: Any, receivers: Receivers, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receivers = {employee.pk: employee for employee, _load in receivers}
        self.fields["to_manager"].choices = receiver_choices(receivers)  # type: ignore[attr-defined]
        self.fields["effective"].widget = _date_input()
        #: Set when the service says the receiver is at the limit: the checkbox is shown.
        self.needs_confirmation = bool(self.data.get("confirm_over_limit"))

    def clean_to_manager(self) -> Employee:
        pk = self.cleaned_data["to_manager"]
        if pk not in self.receivers:
            raise forms.ValidationError(_("Choose who takes the account over."))
        return self.receivers[pk]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("cause") == Cause.OTHER and not (data.get("reason") or "").strip():
            self.add_error("reason", REASON_REQUIRED)
        return data


class BulkHandoverForm(forms.Form):
    """Which of a manager's accounts go, to whom (by a rule or one by one), and why."""

    RULES = [
        (Rule.ONE, _("All to one receiver")),
        (Rule.SPREAD, _("Spread by load among several receivers")),
        ("each", _("One by one: a receiver for each account")),
    ]

    clients = forms.TypedMultipleChoiceField(
        label=_("Accounts to hand over"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick the accounts to hand over.")},
    )
    rule = forms.ChoiceField(label=_("Who takes them"), choices=RULES, widget=forms.RadioSelect)
    receiver = forms.TypedChoiceField(
        label=_("Receiver"), coerce=int, empty_value=None, required=False
    )
    receivers = forms.TypedMultipleChoiceField(
        label=_("Receivers"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    cause = forms.ChoiceField(label=_("Cause"), choices=[(c.value, c.label) for c in BULK_CAUSES])
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the cause is “Other”; kept with each handover."),
    )
    notes = forms.CharField(
        label=_("Notes for the receivers"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    effective = forms.DateField(label=_("Effective date"))

    def __init__(
        self,
        *args: Any,
        accounts: list[Any],
        candidates: Receivers,
        per_status: dict[str, Receivers],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = accounts
        self.employees = {employee.pk: employee for employee, _load in candidates}
        self.fields["clients"].choices = [(a.client.pk, a.client.name) for a in accounts]  # type: ignore[attr-defined]
        self.fields["receiver"].choices = receiver_choices(candidates)  # type: ignore[attr-defined]
        self.fields["receivers"].choices = [  # type: ignore[attr-defined]
            (employee.pk, f"{employee.name} — {load_text(employee, load)}")
            for employee, load in candidates
        ]
        self.fields["effective"].widget = _date_input()
        for account in accounts:
            field = forms.TypedChoiceField(
                label=account.client.name, coerce=int, empty_value=None, required=False
            )
            field.choices = receiver_choices(per_status[account.client.status])
            self.fields[f"to_{account.client.pk}"] = field

    def account_rows(self) -> list[tuple[Any, Any, forms.BoundField]]:
        """Each account with its checkbox and its own receiver select (one by one)."""
        boxes = self["clients"].subwidgets
        return [
            (account, box, self[f"to_{account.client.pk}"])
            for account, box in zip(self.accounts, boxes, strict=True)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rule = data.get("rule")
        if rule == Rule.ONE and not data.get("receiver"):
            self.add_error("receiver", _("Choose who takes the accounts over."))
        if rule == Rule.SPREAD and not data.get("receivers"):
            self.add_error("receivers", _("Tick at least one receiver."))
        if rule == "each":
            for account in self.accounts:
                if account.client.pk in (data.get("clients") or []) and not data.get(
                    f"to_{account.client.pk}"
                ):
                    self.add_error(
                        f"to_{account.client.pk}",
                        _("Choose a receiver for %(client)s.") % {"client": account.client.name},
                    )
        if data.get("cause") == Cause.OTHER and not (data.get("reason") or "").strip():
            self.add_error("reason", REASON_REQUIRED)
        for name in ("receiver", "receivers"):
            picked = data.get(name)
            for pk in picked if isinstance(picked, list) else [picked] if picked else []:
                if pk not in self.employees:
                    self.add_error(name, _("Choose among the listed receivers."))
        return data

    def plan_pairs(self) -> list[tuple[int, int]]:
        """(client, receiver) of the one-by-one rule."""
        chosen = set(self.cleaned_data["clients"])
        return [
            (a.client.pk, self.cleaned_data[f"to_{a.client.pk}"])
            for a in self.accounts
            if a.client.pk in chosen
        ]


class BulkConfirmForm(forms.Form):
    """The confirmation page posts the plan it showed back, with the common fields."""

    plan = forms.CharField(widget=forms.HiddenInput)
    cause = forms.ChoiceField(choices=Cause.choices, widget=forms.HiddenInput)
    reason = forms.CharField(required=False, widget=forms.HiddenInput)
    notes = forms.CharField(required=False, widget=forms.HiddenInput)
    effective = forms.DateField(widget=forms.HiddenInput)
    confirm_over_limit = forms.BooleanField(
        label=_("I confirm the assignments above the limit"), required=False
    )

    @staticmethod
    def encode(pairs: list[tuple[int, int]]) -> str:
        return ",".join(f"{client}:{receiver}" for client, receiver in pairs)

    def clean_plan(self) -> list[tuple[int, int]]:
        try:
            pairs = [
                (int(client), int(receiver))
                for client, receiver in (
                    item.split(":") for item in self.cleaned_data["plan"].split(",") if item
                )
            ]
        except ValueError:
            raise forms.ValidationError(_("The plan is damaged: start again.")) from None
        if not pairs:
            raise forms.ValidationError(_("Nothing to hand over."))
        return pairs


class WorkloadLimitForm(forms.Form):
    """The department's default limit, or one manager's own."""

    max_accounts = forms.IntegerField(label=_("Maximum of accounts"), min_value=1)
    max_revenue = forms.DecimalField(
        label=_("Maximum of revenue, 12 months"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=2,
        help_text=_("Optional: the accounts' revenue over the last 12 months, in total."),
    )
