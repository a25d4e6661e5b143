"""The rulebook list: one row per rule with what the page shows and filters by (its text from
the enabled version, or the latest one when the rule is switched off; its incidents, notices,
last audit and false-alarm rate), the list's filters and sorts, for the page and its exports.

A company has tens of rules, not thousands: the rows are read in a fixed number of queries and
filtered and sorted in Python, like the department's plans.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Count
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kam.incidents.choices import ACTIVE_STATES, IncidentState
from kam.incidents.models import Incident
from kam.rules.choices import SEVERITY_ORDER, RuleKind, Severity, Subprocess, VersionState
from kam.rules.facts import subject_type_choices
from kam.rules.models import AuditRun, Rule, RuleNotice, RuleVersion

#: The order of the four subprocesses (the list groups rules by it).
SUBPROCESS_ORDER = {value: n for n, value in enumerate(Subprocess.values)}
#: How many recent audit runs are searched for each rule's last figures.
RECENT_RUNS = 50


@dataclass
class RuleRow:
    """A rule as the list shows it."""

    rule: Rule
    #: The enabled version, or the latest one of a rule switched off.
    version: RuleVersion
    latest_number: int = 0
    drafts: int = 0
    incidents_active: int = 0
    incidents_total: int = 0
    incidents_closed: int = 0
    incidents_dismissed: int = 0
    notices_active: int = 0
    #: Violations the last audit that judged the rule found (None: no audit judged it yet).
    last_violations: int | None = None

    @property
    def enabled(self) -> bool:
        return self.rule.enabled_version_id is not None

    @property
    def judged(self) -> int:
        return self.incidents_closed + self.incidents_dismissed

    @property
    def false_alarm_rate(self) -> float | None:
        """Dismissed ÷ judged (closed or dismissed) incidents, as the scorecard counts it."""
        return self.incidents_dismissed / self.judged if self.judged else None

    @property
    def subject_label(self) -> str:
        return str(subject_labels().get(self.rule.subject_type, self.rule.subject_type))


def subject_labels() -> dict[str, Any]:
    return dict(subject_type_choices())


def rule_rows() -> list[RuleRow]:
    """Every rule with its figures, in five queries whatever the number of rules."""
    rules = list(Rule.objects.order_by("code"))
    versions: dict[int, list[RuleVersion]] = defaultdict(list)
    for version in RuleVersion.objects.defer("dry_run").order_by("rule_id", "-number"):
        versions[version.rule_id].append(version)
    incidents: dict[int, dict[str, int]] = defaultdict(dict)
    for row in Incident.objects.values("rule_id", "state").annotate(n=Count("id")).order_by():
        incidents[row["rule_id"]][row["state"]] = row["n"]
    notices = dict(
        RuleNotice.objects.filter(cleared_at__isnull=True)
        .values("rule_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("rule_id", "n")
    )
    last: dict[str, int] = {}
    for figures in AuditRun.objects.filter(finished_at__isnull=False).values_list(
        "figures", flat=True
    )[:RECENT_RUNS]:
        for code, found in (figures or {}).get("by_rule", {}).items():
            last.setdefault(code, found)
    rows = []
    for rule in rules:
        own = versions.get(rule.pk, [])
        shown = next((v for v in own if v.pk == rule.enabled_version_id), None)
        if shown is None and own:
            shown = own[0]
        if shown is None:  # a rule without versions cannot be written by the services
            continue
        if rule.enabled_version_id == shown.pk:
            rule.enabled_version = shown  # read with the versions, not once more per rule
        counts = incidents.get(rule.pk, {})
        rows.append(
            RuleRow(
                rule=rule,
                version=shown,
                latest_number=own[0].number,
                drafts=sum(1 for v in own if v.state == VersionState.DRAFT),
                incidents_active=sum(counts.get(s, 0) for s in ACTIVE_STATES),
                incidents_total=sum(counts.values()),
                incidents_closed=counts.get(IncidentState.CLOSED, 0),
                incidents_dismissed=counts.get(IncidentState.DISMISSED, 0),
                notices_active=notices.get(rule.pk, 0),
                last_violations=last.get(rule.code),
            )
        )
    return rows


def _none_last(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else 0)


#: Sort key → (label, the value to sort by; None sorts last either way).
SORTS: dict[str, tuple[Any, Callable[[RuleRow], Any]]] = {
    "subprocess": (
        _("Sales subprocess"),
        lambda r: SUBPROCESS_ORDER.get(r.version.subprocess, len(SUBPROCESS_ORDER)),
    ),
    "code": (_("Code"), lambda r: r.rule.code),
    "title": (_("Title"), lambda r: r.version.title.casefold()),
    "kind": (_("Kind"), lambda r: r.version.kind),
    "subject": (_("Subject"), lambda r: r.subject_label.casefold()),
    "severity": (_("Severity"), lambda r: SEVERITY_ORDER.get(r.version.severity, 9)),  # type: ignore[call-overload]
    "version": (
        _("Enabled version"),
        lambda r: r.rule.enabled_version.number if r.rule.enabled_version else None,
    ),
    "incidents": (_("Active incidents"), lambda r: r.incidents_active),
    "notices": (_("Active notices"), lambda r: r.notices_active),
    "violations": (_("Last audit's violations"), lambda r: r.last_violations),
    "false_alarms": (_("False-alarm rate"), lambda r: r.false_alarm_rate),
}
DEFAULT_SORT = "subprocess"


def sort_rows(rows: list[RuleRow], sort: str) -> list[RuleRow]:
    """``sort`` is a key of SORTS, "-" first for descending; rows without the value go last,
    ties keep the code order."""
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])[1]
    by_code = sorted(rows, key=lambda r: r.rule.code)
    present = [r for r in by_code if key(r) is not None]
    absent = [r for r in by_code if key(r) is None]
    return sorted(present, key=key, reverse=descending) + absent


ENABLED_CHOICES = [("", _("All")), ("yes", _("Enabled")), ("no", _("Switched off"))]


class RuleListForm(forms.Form):
    """The list's search and filters (an unknown value is refused, and then ignored)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    subprocess = forms.ChoiceField(
        label=_("Sales subprocess"),
        required=False,
        choices=[("", _("All")), *Subprocess.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All")), *RuleKind.choices]
    )
    subject = forms.ChoiceField(label=_("Subject"), required=False)
    severity = forms.ChoiceField(
        label=_("Severity"), required=False, choices=[("", _("All")), *Severity.choices]
    )
    enabled = forms.ChoiceField(label=_("Enabled"), required=False, choices=ENABLED_CHOICES)
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [("", _("All")), *subject_type_choices()]  # type: ignore[attr-defined]
        sorts: list[tuple[str, Any]] = []
        for key, (label, _key) in SORTS.items():
            sorts.append((key, label))
            sorts.append((f"-{key}", _("%(column)s, descending") % {"column": label}))
        self.fields["sort"].choices = sorts  # type: ignore[attr-defined]

    def value(self, name: str) -> str:
        """The cleaned value of ``name``, empty when it was refused."""
        if not self.is_bound or (not self.is_valid() and name in self.errors):
            return ""
        return str(self.cleaned_data.get(name) or "")


def _matches(row: RuleRow, text: str) -> bool:
    text = text.casefold()
    version = row.version
    return any(
        text in value.casefold()
        for value in (row.rule.code, version.title_ru, version.title_en, version.condition)
    )


def rule_list(
    params: QueryDict, rows: list[RuleRow] | None = None
) -> tuple[RuleListForm, list[RuleRow], str]:
    """The rows (of ``rows``, else every rule) the list's query asks for, sorted, with the
    form (its errors say which values were ignored) and the sort used."""
    form = RuleListForm(params)
    form.is_valid()
    rows = rule_rows() if rows is None else rows
    text = form.value("q").strip()
    if text:
        rows = [r for r in rows if _matches(r, text)]
    for name, attribute in (
        ("subprocess", "subprocess"),
        ("kind", "kind"),
        ("severity", "severity"),
    ):
        wanted = form.value(name)
        if wanted:
            rows = [r for r in rows if getattr(r.version, attribute) == wanted]
    subject = form.value("subject")
    if subject:
        rows = [r for r in rows if r.rule.subject_type == subject]
    enabled = form.value("enabled")
    if enabled:
        rows = [r for r in rows if r.enabled == (enabled == "yes")]
    sort = form.value("sort") or DEFAULT_SORT
    return form, sort_rows(rows, sort), sort


def subprocess_counts(rows: list[RuleRow]) -> list[tuple[str, Any, int]]:
    """(code, label, rules) of each subprocess, in the seed's order."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.version.subprocess] += 1
    return [(value, label, counts.get(value, 0)) for value, label in Subprocess.choices]
