"""Forms of the rulebook's pages: the rule editor (a version's fields, plus the code and the
subject of a new rule), the condition check, the dry run's dates, switching a rule off and
running the audit.

The editor's own checks are only about shape (numbers, choices); what makes a version usable
is decided by ``services.validate_version`` (and ``rule_create`` for the code), whose errors
are put next to their fields.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.incidents.models import SanctionKind
from kam.organization.choices import Role
from kam.rules.choices import HandlerRole, RuleKind, Severity, Subprocess, VersionState
from kam.rules.engine import parameter_problems
from kam.rules.facts import subject_type, subject_type_choices, subject_types
from kam.rules.models import Rule, RuleVersion
from kam.rules.services import RESERVED_CODES, VersionInput, validate_version

#: One parameter per line: ``name = value`` (a ``#`` starts a comment).
PARAMETER_LINE = re.compile(r"^\s*([^=\s]+)\s*=\s*(\S+)\s*$")


def parameters_parse(text: str) -> dict[str, int | float]:
    """``name = value`` lines → named numbers (a decimal comma is read as a point). Every bad
    line is reported at once, by its number."""
    values: dict[str, int | float] = {}
    problems = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PARAMETER_LINE.match(line)
        if match is None:
            problems.append(
                _("Line %(n)s: write “name = number”, e.g. grace_days = 14.") % {"n": number}
            )
            continue
        name, value = match.group(1), match.group(2).replace(",", ".")
        try:
            number_value: int | float = int(value)
        except ValueError:
            try:
                number_value = float(value)
            except ValueError:
                problems.append(
                    _("Line %(n)s: %(value)s is not a number.") % {"n": number, "value": value}
                )
                continue
        if name in values:
            problems.append(_("Line %(n)s: %(name)s is given twice.") % {"n": number, "name": name})
            continue
        values[name] = number_value
    if problems:
        raise ValidationError(problems)
    return values


def parameters_text(parameters: dict[str, Any] | None) -> str:
    return "\n".join(f"{name} = {value}" for name, value in (parameters or {}).items())


def _textarea(rows: int, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class VersionForm(forms.Form):
    """A rule version's fields; with ``new_rule`` also the rule's code and subject.

    ``subject`` is the subject type whose people and periods the violator and period offer
    (a new rule's comes from the posted or initial subject)."""

    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=64,
        help_text=gettext_lazy(
            "Small Latin letters, digits and underscores, e.g. deferred_payment_limit. It "
            "never changes: incidents and links name the rule by it."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    subject_type = forms.ChoiceField(
        label=gettext_lazy("Subject"),
        help_text=gettext_lazy("What the rule judges: its condition is checked for each one."),
    )
    title_ru = forms.CharField(label=gettext_lazy("Title (Russian)"), max_length=255)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=255)
    description_ru = forms.CharField(
        label=gettext_lazy("Description (Russian)"), required=False, widget=_textarea(3)
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"), required=False, widget=_textarea(3)
    )
    message_ru = forms.CharField(
        label=gettext_lazy("Message when broken (Russian)"),
        required=False,
        widget=_textarea(2),
        help_text=gettext_lazy(
            "Shown at a refused action and on the incident. Facts and parameters in braces "
            "are filled in: {payment_terms_days}."
        ),
    )
    message_en = forms.CharField(
        label=gettext_lazy("Message when broken (English)"), required=False, widget=_textarea(2)
    )
    subprocess = forms.ChoiceField(
        label=gettext_lazy("Sales subprocess"), choices=Subprocess.choices
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=RuleKind.choices,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "A breach of a mandatory rule opens an incident (and a guard refuses the action); "
            "a breach of a recommendation records a notice."
        ),
    )
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=Severity.choices)
    parameters = forms.CharField(
        label=gettext_lazy("Parameters"),
        required=False,
        widget=_textarea(3, spellcheck="false", placeholder="grace_days = 14"),
        help_text=gettext_lazy(
            "Named numbers the condition uses, one per line: name = value. Changing a number "
            "here is easier to read in the history than changing it in the condition."
        ),
    )
    condition = forms.CharField(
        label=gettext_lazy("Violation condition"),
        widget=_textarea(4, spellcheck="false"),
        help_text=gettext_lazy(
            "A SQL boolean expression over the subject's facts and the parameters, true when "
            "the rule is broken, e.g. payment_terms_days > 0 AND NOT has_valid_credit_decision. "
            "A comparison with an empty fact is not a breach; COALESCE(fact, value) decides "
            "otherwise."
        ),
    )
    violator = forms.ChoiceField(
        label=gettext_lazy("Violator"),
        required=False,
        help_text=gettext_lazy(
            "Who answers for a breach (when empty, the next of the subject's people)."
        ),
    )
    period = forms.ChoiceField(
        label=gettext_lazy("One incident per"),
        required=False,
        help_text=gettext_lazy(
            "A subject breaking the rule again in the same period is not a new incident."
        ),
    )
    handler_role = forms.ChoiceField(
        label=gettext_lazy("Who handles incidents"), choices=HandlerRole.choices
    )
    response_days = forms.IntegerField(
        label=gettext_lazy("Response deadline, days"),
        min_value=1,
        max_value=90,
        help_text=gettext_lazy("Undecided incidents past it escalate to the director."),
    )
    default_sanction = forms.ModelChoiceField(
        label=gettext_lazy("Default sanction"),
        queryset=SanctionKind.objects.filter(is_active=True),
        required=False,
        empty_label=gettext_lazy("None proposed"),
        help_text=gettext_lazy("Proposed to the handler; they decide."),
    )
    override_roles = forms.MultipleChoiceField(
        label=gettext_lazy("Who may override"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Mandatory rules only: these roles may let a refused action through, giving a "
            "reason; the override opens an incident of its own."
        ),
    )
    notes = forms.CharField(
        label=gettext_lazy("What changed"),
        required=False,
        widget=_textarea(2),
        help_text=gettext_lazy("Kept in the version history: why this version."),
    )

    def __init__(
        self,
        *args: Any,
        subject: str | None = None,
        new_rule: bool = False,
        notes_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.new_rule = new_rule
        self.fields["subject_type"].choices = subject_type_choices()  # type: ignore[attr-defined]
        if not new_rule:
            del self.fields["code"]
            del self.fields["subject_type"]
        self.subject = self._subject(subject)
        kind = subject_type(self.subject)
        self.fields["violator"].choices = [  # type: ignore[attr-defined]
            ("", _("The first: %(label)s") % {"label": kind.people[0].label}),
            *[(c.name, c.label) for c in kind.people],
        ]
        self.fields["period"].choices = [  # type: ignore[attr-defined]
            ("", _("The first: %(label)s") % {"label": kind.periods[0].label}),
            *[(c.name, c.label) for c in kind.periods],
        ]
        if notes_required:
            self.fields["notes"].required = True
            self.fields["notes"].help_text = _(
                "Kept in the version history: say what changed and why."
            )

    def _subject(self, given: str | None) -> str:
        known = subject_types()
        if self.new_rule:
            posted = self.data.get("subject_type") if self.is_bound else None
            for candidate in (posted, self.initial.get("subject_type"), given):
                if candidate in known:
                    return str(candidate)
            return next(iter(known))
        assert given is not None, "a version of an existing rule has its rule's subject"
        return given

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if code in RESERVED_CODES:
            raise ValidationError(
                _("%(code)s is the name of a rulebook page: choose another code.") % {"code": code}
            )
        return code

    def clean_parameters(self) -> dict[str, int | float]:
        return parameters_parse(self.cleaned_data.get("parameters", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == RuleKind.RECOMMENDATION:
            # A recommendation refuses nothing: the ticked roles would mean nothing.
            data["override_roles"] = []
        # Without the parameters the condition's check would blame names that are fine.
        if "parameters" in self.errors or "kind" in self.errors:
            return data
        try:
            validate_version(self.subject, self.version_input())
        except ValidationError as error:
            found = dict(error.message_dict)
            # The check of the condition reports bad parameters first; whatever else it says
            # is the condition's (told apart here by asking, not by the message's words).
            condition = found.pop("condition", []) + found.pop("parameters", [])
            if condition:
                wrong = parameter_problems(subject_type(self.subject), data.get("parameters"))
                found["parameters" if wrong else "condition"] = condition
            for name, messages in found.items():
                field = name if name in self.fields else None
                for message in messages:
                    if field is None or field not in self.errors:
                        self.add_error(field, message)
        return data

    def version_input(self) -> VersionInput:
        data = self.cleaned_data
        return VersionInput(
            title_ru=data.get("title_ru", ""),
            title_en=data.get("title_en", ""),
            subprocess=data.get("subprocess", ""),
            kind=data.get("kind", ""),
            condition=data.get("condition", ""),
            description_ru=data.get("description_ru", ""),
            description_en=data.get("description_en", ""),
            message_ru=data.get("message_ru", ""),
            message_en=data.get("message_en", ""),
            parameters=data.get("parameters") or {},
            severity=data.get("severity", ""),
            violator=data.get("violator", ""),
            period=data.get("period", ""),
            handler_role=data.get("handler_role", ""),
            response_days=data.get("response_days") or 0,
            default_sanction=data.get("default_sanction"),
            override_roles=list(data.get("override_roles") or []),
            notes=(data.get("notes") or "").strip(),
        )


def version_initial(version: RuleVersion | None) -> dict[str, Any]:
    """The editor's fields as ``version`` has them (a new rule's defaults without one)."""
    if version is None:
        return {
            "kind": RuleKind.MANDATORY,
            "severity": Severity.MEDIUM,
            "handler_role": HandlerRole.DEPARTMENT_HEAD,
            "response_days": 5,
        }
    fields = VersionInput.of(version).fields()
    fields["parameters"] = parameters_text(version.parameters)
    fields["default_sanction"] = version.default_sanction_id
    fields["notes"] = ""
    return fields


def editor_source(rule: Rule, number: int | None = None) -> RuleVersion | None:
    """The version a new version starts from: the one asked for, else the enabled one, else
    the latest."""
    versions = rule.versions.select_related("default_sanction")
    if number is not None:
        found = versions.filter(number=number).first()
        if found is not None:
            return found
    if rule.enabled_version_id:
        return versions.get(pk=rule.enabled_version_id)
    return versions.order_by("-number").first()


class CheckForm(forms.Form):
    """What the editor's "Check" button sends: the subject, the condition, the parameters."""

    subject_type = forms.ChoiceField(required=False)
    rule = forms.CharField(required=False)
    condition = forms.CharField(required=False)
    parameters = forms.CharField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject_type"].choices = [("", "—"), *subject_type_choices()]  # type: ignore[attr-defined]


class DryRunForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("Subjects dated from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Empty: 24 months back from the as-of date."),
    )
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Empty: today."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, as_of = data.get("since"), data.get("as_of")
        if as_of and as_of > timezone.localdate():
            self.add_error("as_of", _("The history ends today: choose today or earlier."))
        elif since and since > (as_of or timezone.localdate()):
            self.add_error("since", _("The start is after the as-of date."))
        return data


class DisableForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the rule switched off?"),
        widget=_textarea(3),
        max_length=2000,
        help_text=gettext_lazy("Kept in the audit log; the rule's incidents stay as they are."),
    )


class AuditRunForm(forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Every subject up to this date is judged, on its own date."),
    )
    since = forms.DateField(
        label=gettext_lazy("Subjects dated from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy(
            "Empty: the whole history. A start date limits dated subjects (documents, plans, "
            "actions) and makes the run quicker."
        ),
    )
    rule = forms.ModelChoiceField(
        label=gettext_lazy("Rule"),
        required=False,
        queryset=Rule.objects.filter(enabled_version__isnull=False).order_by("code"),
        to_field_name="code",
        empty_label=gettext_lazy("Every enabled rule"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, as_of = data.get("since"), data.get("as_of")
        if as_of and as_of > timezone.localdate():
            self.add_error("as_of", _("The audit judges what has happened: today or earlier."))
        elif since and as_of and since > as_of:
            self.add_error("since", _("The start is after the as-of date."))
        return data


def editable(version: RuleVersion) -> bool:
    """Only a draft is rewritten; an enabled or retired version is kept as it is."""
    return version.state == VersionState.DRAFT
