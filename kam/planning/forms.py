"""Forms of one plan's page: the goal, a target, an action, approval and return, closing.

The forms only read what was typed; the rules (numbers, duplicates, who may change what, the
plan's state) are the services' (kam.planning.services), whose answers the views put back onto
these fields. Each inline form can tie its inputs to a ``<form>`` elsewhere in its table row
(``form_id``: the inputs get the HTML ``form`` attribute), so an edited row keeps its columns.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.organization.models import Employee
from kam.planning.choices import (
    LOWER_IS_BETTER,
    MONEY_TARGETS,
    ActionKind,
    ActionStatus,
    TargetKind,
)
from kam.planning.models import DevelopmentPlan, PlanAction, PlanTarget
from kam.planning.services import TargetResult

#: What each action form asks: adding one, editing all of it (the plan's owner), or recording
#: its status and outcome (the employee responsible for it).
ADD, EDIT, RECORD = "add", "edit", "record"


def value_text(value: Decimal | None) -> str:
    """A target's number as an input shows it: no trailing zeros, a dot for decimals."""
    if value is None:
        return ""
    normal = value.normalize()
    return f"{normal:f}" if normal == normal.to_integral_value() else f"{value:f}".rstrip("0")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _RowForm(forms.Form):
    """A form whose inputs may live in table cells, tied to a ``<form id=form_id>``."""

    def __init__(self, *args: Any, form_id: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form_id = form_id
        if form_id:
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id


class SummaryForm(forms.Form):
    summary = forms.CharField(
        label=_("Goal for the period"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the account should come to by the period's end, in a few sentences."),
    )


class TargetForm(_RowForm):
    """A new target (kind, product group, value, description) or an existing one's value and
    wording (its kind stays)."""

    kind = forms.ChoiceField(label=_("Target"), choices=[("", "—"), *TargetKind.choices])
    product_group = forms.CharField(
        label=_("Product group"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"list": "plan-product-groups", "autocomplete": "off"}),
    )
    # Text, not a number field: the service reads "120 000,50" as people type it.
    value = forms.CharField(
        label=_("Target value"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 12}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, target: PlanTarget | None = None, **kwargs: Any) -> None:
        if target is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "product_group": target.product_group,
                "value": value_text(target.value),
                "description": target.description,
            }
        super().__init__(*args, **kwargs)
        self.target = target
        self.fields["kind"].error_messages["required"] = _("Choose a target.")
        if target is not None:
            del self.fields["kind"]
            if target.kind != TargetKind.GROUP_REVENUE:
                del self.fields["product_group"]
            if target.kind == TargetKind.QUALITATIVE:
                del self.fields["value"]
            else:
                self.fields["value"].help_text = value_help(target.kind)

    def service_arguments(self) -> dict[str, Any]:
        """What target_add / target_update take (an absent field: None, kept as it is)."""
        data = self.cleaned_data
        return {name: data.get(name) for name in ("product_group", "value", "description")}


def value_help(kind: str) -> str:
    if kind in MONEY_TARGETS:
        return str(_("In the company's currency."))
    if kind in LOWER_IS_BETTER:
        return str(_("Days, a whole number."))
    if kind == TargetKind.NEW_GROUPS:
        return str(_("How many groups, a whole number."))
    return ""


class ResponsibleField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name if obj.is_active else f"{obj.name} ({_('no longer active')})")


class ActionForm(_RowForm):
    """An action: added and edited by the plan's owner; its status and outcome recorded by
    the owner or the employee responsible for it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ActionKind.choices)
    title = forms.CharField(
        label=_("What"),
        max_length=255,
        error_messages={"required": _("Say what is to be done.")},
    )
    due = forms.DateField(
        label=pgettext_lazy("plan action", "Due"),
        widget=_date_input(),
        error_messages={"required": _("Give a due date.")},
    )
    responsible = ResponsibleField(label=_("Responsible"), queryset=Employee.objects.none())
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    outcome = forms.CharField(
        label=_("Outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What came of it: the account's activity log."),
    )
    done_on = forms.DateField(
        label=_("Done on"),
        required=False,
        widget=_date_input(),
        help_text=_("Today when left empty."),
    )

    def __init__(
        self,
        *args: Any,
        plan: DevelopmentPlan,
        action: PlanAction | None = None,
        mode: str = ADD,
        **kwargs: Any,
    ) -> None:
        if "initial" not in kwargs:
            if action is not None:
                kwargs["initial"] = {
                    "kind": action.kind,
                    "title": action.title,
                    "due": action.due,
                    "responsible": action.responsible_id,
                    "status": action.status,
                    "outcome": action.outcome,
                    "done_on": action.done_on,
                }
            else:
                kwargs["initial"] = {
                    "kind": ActionKind.MEETING,
                    "due": default_due(plan),
                    "responsible": plan.owner_id,
                }
        super().__init__(*args, **kwargs)
        self.plan, self.action, self.mode = plan, action, mode
        if mode == ADD:
            for name in ("status", "outcome", "done_on"):
                del self.fields[name]
        if mode == RECORD:
            for name in ("kind", "title", "due", "responsible"):
                del self.fields[name]
        if "responsible" in self.fields:
            keep = [plan.owner_id, action.responsible_id if action else None]
            field = self.fields["responsible"]
            field.queryset = Employee.objects.filter(  # type: ignore[attr-defined]
                Q(is_active=True) | Q(pk__in=[pk for pk in keep if pk])
            ).order_by("name")
        for name in ("title", "outcome"):
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("class", "wide-input")

    def service_arguments(self) -> dict[str, Any]:
        """What action_add / action_update take; an unchanged responsible is left out (an
        action may stay with someone who has left, until it is given to someone else)."""
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        responsible = data.get("responsible")
        if (
            self.action is not None
            and responsible is not None
            and responsible.pk == self.action.responsible_id
        ):
            data["responsible"] = None
        if "outcome" in data:
            data["outcome"] = data["outcome"] or ""
        return data


def default_due(plan: DevelopmentPlan) -> dt.date:
    """Today while the period runs, else its first (future) or last (past) day."""
    return min(max(timezone.localdate(), plan.period_start), plan.period_end)


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    override_reason = forms.CharField(
        label=_("Reason to override a rule (only if a rule refuses the approval)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The approval then goes through and an incident is opened for the override: "
            "no silent bypass."
        ),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What to rework"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what to rework: the comment goes to the manager.")},
        help_text=_("The manager sees this comment at the top of the plan."),
    )


ACHIEVED_CHOICES = [("yes", _("Achieved")), ("no", _("Not achieved"))]


class CloseForm(forms.Form):
    """The results: achieved or not for each qualitative goal, why each missed target was
    missed, and a summary. Whether a measured target was met the ledger says."""

    summary = forms.CharField(
        label=_("Results summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the period brought and what the next plan should take up."),
    )

    def __init__(self, *args: Any, targets: list[PlanTarget], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.targets = targets
        for target in targets:
            if target.kind == TargetKind.QUALITATIVE:
                self.fields[f"achieved_{target.pk}"] = forms.ChoiceField(
                    label=_("Achieved?"),
                    choices=ACHIEVED_CHOICES,
                    required=False,
                    widget=forms.RadioSelect,
                )
            self.fields[f"reason_{target.pk}"] = forms.CharField(
                label=_("Why missed"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def results(self) -> dict[int, TargetResult]:
        data = self.cleaned_data
        results = {}
        for target in self.targets:
            answer = data.get(f"achieved_{target.pk}") or ""
            results[target.pk] = TargetResult(
                achieved={"yes": True, "no": False}.get(answer),
                reason=data.get(f"reason_{target.pk}") or "",
            )
        return results
