"""Forms of the incident pages: the steps of an incident's lifecycle, the scorecard's period and
the catalogue of sanctions. They only shape and check the input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.incidents.choices import Measure
from kam.incidents.models import SanctionKind
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.rules.choices import Subprocess

TEXT = {"rows": 3}


class ExplainForm(forms.Form):
    explanation = forms.CharField(
        label=_("Your explanation"),
        widget=forms.Textarea(attrs=TEXT),
        help_text=_("What happened and why; the handler reads it before deciding."),
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class InvestigateForm(forms.Form):
    comment = forms.CharField(
        label=_("Note to the violator (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this is a false alarm"),
        widget=forms.Textarea(attrs=TEXT),
        help_text=_("Counts against the rule's precision: the analyst tunes the rule by it."),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)


class CloseForm(forms.Form):
    comment = forms.CharField(
        label=_("Closing comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirmed = forms.CharField(required=False, widget=forms.HiddenInput)


class ActionDoneForm(forms.Form):
    outcome = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 2}))
    done_on = forms.DateField(
        label=_("Done on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: today."),
    )


def active_employees() -> Any:
    return Employee.objects.filter(is_active=True).order_by("name")


class DecideForm(forms.Form):
    conclusion = forms.CharField(
        label=_("Conclusion of the investigation"), widget=forms.Textarea(attrs=TEXT)
    )
    sanction = forms.ModelChoiceField(
        label=_("Sanction"),
        queryset=SanctionKind.objects.filter(is_active=True),
        empty_label=None,
    )
    amount = forms.CharField(
        label=_("Amount of the fine"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    percent = forms.CharField(
        label=_("Bonus reduction, %"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    sanction_comment = forms.CharField(
        label=_("Comment on the sanction (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActionForm(forms.Form):
    """One corrective action of the decision; a row left wholly empty is ignored."""

    description = forms.CharField(
        label=_("What is to be done"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(
        label=pgettext_lazy("corrective action", "Owner"),
        queryset=active_employees(),
        required=False,
        empty_label=_("Who does it"),
    )
    due = forms.DateField(
        label=pgettext_lazy("corrective action", "Due"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        filled = [data.get("description"), data.get("owner"), data.get("due")]
        if any(filled) and not all(filled):
            for name in ("description", "owner", "due"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Needed for a corrective action."))
        due = data.get("due")
        if due and due < timezone.localdate():
            self.add_error("due", _("The due date is in the past."))
        return data

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("description") or data.get("owner") or data.get("due"))


ActionFormSet = forms.formset_factory(ActionForm, extra=1, max_num=10, validate_max=True)


class ScorecardForm(forms.Form):
    """The scorecard's months and filters (an invalid value falls back to the default)."""

    month_from = forms.CharField(
        label=_("From month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    month_to = forms.CharField(
        label=_("To month"), required=False, widget=forms.TextInput(attrs={"type": "month"})
    )
    subprocess = forms.ChoiceField(
        label=_("Sales subprocess"),
        required=False,
        choices=[("", _("All")), *Subprocess.choices],
    )
    department = forms.ChoiceField(
        label=_("Department"),
        required=False,
        choices=[("", _("All")), *DepartmentKind.choices],
    )

    @staticmethod
    def parse_month(value: str) -> dt.date | None:
        try:
            return dt.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            return None

    def clean_month_from(self) -> dt.date | None:
        value = self.cleaned_data.get("month_from") or ""
        parsed = self.parse_month(value) if value else None
        if value and parsed is None:
            raise ValidationError(_("Give a month as YYYY-MM."))
        return parsed

    def clean_month_to(self) -> dt.date | None:
        value = self.cleaned_data.get("month_to") or ""
        parsed = self.parse_month(value) if value else None
        if value and parsed is None:
            raise ValidationError(_("Give a month as YYYY-MM."))
        return parsed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("month_from"), data.get("month_to")
        if start and end and start > end:
            self.add_error("month_to", _("The last month comes before the first."))
        return data


class SanctionKindForm(forms.ModelForm):
    class Meta:
        model = SanctionKind
        fields = ["code", "name_ru", "name_en", "measure", "is_sanction", "position"]
        widgets = {"measure": forms.RadioSelect}
        # The model's "position" reads as a job title in Russian; here it is the sort order.
        labels = {"position": _("Order in the list")}
        help_texts = {
            "code": _("Letters, digits, hyphens and underscores; it never changes."),
            "position": _("Where it stands in the catalogue and the decision's list."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = Measure.choices  # type: ignore[attr-defined]
        if self.instance.pk:
            # The code names the sanction in the audit trail and the API: it stays.
            self.fields["code"].disabled = True
