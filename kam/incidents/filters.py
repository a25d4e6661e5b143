"""One filter set serves the incident inbox, its exports and the API (as in NetBox)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.incidents.choices import UNDECIDED_STATES, IncidentKind, IncidentState
from kam.incidents.models import Incident
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.rules.choices import Severity, Subprocess
from kam.rules.models import Rule

#: Sort key → the ordering (a "-" first reverses it); the inbox's columns.
SORTS: dict[str, tuple[Any, list[str]]] = {
    "opened": (_("Opened"), ["opened_at", "id"]),
    "deadline": (_("Decide by"), ["deadline", "id"]),
    "severity": (_("Severity"), ["severity_rank", "deadline", "id"]),
    "rule": (_("Rule"), ["rule__code", "id"]),
    "violator": (_("Violator"), ["violator__name", "id"]),
    "state": (_("State"), ["state", "id"]),
}
DEFAULT_SORT = "-opened"


def with_severity_rank(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate ``severity_rank``: critical 0 … low 3 (sorting by severity sorts by it)."""
    from django.db.models import Case, IntegerField, Value, When

    from kam.rules.choices import SEVERITY_ORDER

    return queryset.annotate(
        severity_rank=Case(
            *[When(severity=s, then=Value(rank)) for s, rank in SEVERITY_ORDER.items()],
            output_field=IntegerField(),
        )
    )


def sort_incidents(queryset: QuerySet[Incident], sort: str) -> QuerySet[Incident]:
    key = sort.lstrip("-") if sort else DEFAULT_SORT.lstrip("-")
    if key not in SORTS:
        key, sort = DEFAULT_SORT.lstrip("-"), DEFAULT_SORT
    fields = SORTS[key][1]
    if sort.startswith("-"):
        fields = [f"-{f}" for f in fields]
    return with_severity_rank(queryset).order_by(*fields)


class IncidentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.MultipleChoiceFilter(choices=IncidentState.choices, label=_("State"))
    active = django_filters.BooleanFilter(method="only_active", label=_("Still open"))
    overdue = django_filters.BooleanFilter(method="only_overdue", label=_("Past the deadline"))
    rule = django_filters.ModelChoiceFilter(
        queryset=Rule.objects.order_by("code"),
        field_name="rule",
        to_field_name="code",
        label=_("Rule"),
    )
    subprocess = django_filters.ChoiceFilter(
        choices=Subprocess.choices, label=_("Sales subprocess"), empty_label=_("All")
    )
    severity = django_filters.ChoiceFilter(
        choices=Severity.choices, label=_("Severity"), empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        choices=IncidentKind.choices, label=_("Kind"), empty_label=_("All")
    )
    violator = django_filters.ModelChoiceFilter(
        queryset=Employee.objects.order_by("name"), label=_("Violator")
    )
    handler = django_filters.ModelChoiceFilter(
        queryset=Employee.objects.order_by("name"), label=_("Handler")
    )
    department = django_filters.ChoiceFilter(
        choices=DepartmentKind.choices,
        field_name="department__kind",
        label=_("Department"),
        empty_label=_("All"),
    )
    client = django_filters.NumberFilter(field_name="client_id", label=_("Client"))
    opened_from = django_filters.DateFilter(
        field_name="opened_at__date", lookup_expr="gte", label=_("Opened from")
    )
    opened_to = django_filters.DateFilter(
        field_name="opened_at__date", lookup_expr="lte", label=_("Opened to")
    )

    class Meta:
        model = Incident
        fields: list[str] = []

    def search(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        value = value.strip()
        if not value:
            return queryset
        query = (
            Q(subject_key__icontains=value)
            | Q(rule__code__icontains=value)
            | Q(violator__name__icontains=value)
            | Q(client__name__icontains=value)
            | Q(client__code__iexact=value)
        )
        digits = value.upper().removeprefix("ЧП-").lstrip("0")
        if digits.isdigit():
            query |= Q(pk=int(digits))
        return queryset.filter(query)

    def only_active(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        if value is None:
            return queryset
        from kam.incidents.choices import ACTIVE_STATES

        return (
            queryset.filter(state__in=ACTIVE_STATES)
            if value
            else queryset.exclude(state__in=ACTIVE_STATES)
        )

    def only_overdue(
        self, queryset: QuerySet[Incident], name: str, value: bool | None
    ) -> QuerySet[Incident]:
        if value is None:
            return queryset
        late = Q(state__in=UNDECIDED_STATES, deadline__lt=timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)
