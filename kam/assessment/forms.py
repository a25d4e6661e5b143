"""Forms of the assessment pages: run a cycle, set the schedule, decide proposals in bulk."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from kam.assessment.schedule import EVERY_MONTHS_MAX, EVERY_MONTHS_MIN

#: At most this many proposals are picked one by one (a page of the table holds fewer);
#: larger sets go by the filter.
MAX_SELECTED = 500


class CycleRunForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        initial=timezone.localdate,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_(
            "The cycle reads whole months: sales up to the end of the last month "
            "complete on this date. Running again for the same date replaces that "
            "cycle's proposals; decisions already taken stay."
        ),
    )

    def clean_as_of(self) -> Any:
        as_of = self.cleaned_data["as_of"]
        today = timezone.localdate()
        if as_of > today:
            raise forms.ValidationError(
                _(
                    "%(date)s is in the future. A cycle assesses the sales up to its date, "
                    "so it runs as of today (%(today)s) or earlier."
                )
                % {
                    "date": formats.date_format(as_of, "SHORT_DATE_FORMAT"),
                    "today": formats.date_format(today, "SHORT_DATE_FORMAT"),
                }
            )
        return as_of


class ScheduleForm(forms.Form):
    every_months = forms.IntegerField(
        label=_("Re-evaluate every, months"),
        min_value=EVERY_MONTHS_MIN,
        max_value=EVERY_MONTHS_MAX,
    )


class IdListField(forms.Field):
    """Repeated client ids (checkboxes or hidden inputs) → a list of distinct ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError) as error:
            raise forms.ValidationError(_("Unknown clients in the selection.")) from error
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(
                _("Select at most %(n)s proposals at a time, or decide by the filter.")
                % {"n": MAX_SELECTED}
            )
        return ids


ACTIONS = ("accept", "reject")
SCOPES = ("selected", "filter")  # ticked proposals, or every pending one the filter matches


class DecideForm(forms.Form):
    """What the bulk buttons post (and the confirmation posts again with ``confirm``)."""

    do = forms.ChoiceField(
        choices=[(f"{a}:{s}", f"{a}:{s}") for a in ACTIONS for s in SCOPES],
        widget=forms.HiddenInput,
    )
    client = IdListField(required=False)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note (kept with each decision)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    @property
    def action(self) -> str:
        return str(self.cleaned_data["do"]).split(":")[0]

    @property
    def scope(self) -> str:
        return str(self.cleaned_data["do"]).split(":")[1]
