"""The proposals of a cycle: one filter set for the page, its exports and the API."""

from __future__ import annotations

import django_filters
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.assessment.choices import Cell, Change, Review
from kam.assessment.models import Assessment
from kam.clients.choices import ClientStatus
from kam.clients.search import contains_folded


class AssessmentFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    cell = django_filters.ChoiceFilter(label=_("Portfolio cell"), choices=Cell.choices)
    change = django_filters.ChoiceFilter(label=_("Change"), choices=Change.choices)
    proposed_status = django_filters.ChoiceFilter(
        label=_("Proposed status"), choices=ClientStatus.choices
    )
    current_status = django_filters.ChoiceFilter(
        label=_("Status at the time"), choices=ClientStatus.choices
    )
    review = django_filters.ChoiceFilter(label=_("Review"), choices=Review.choices)
    abc = django_filters.ChoiceFilter(label=_("ABC"), choices=[("A", "A"), ("B", "B"), ("C", "C")])
    changed = django_filters.BooleanFilter(
        label=_("Changed since the previous cycle"), method="filter_changed"
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("client__name", "name"),
            ("potential", "potential"),
            ("attractiveness", "attractiveness"),
            ("priority_rank", "priority"),
            ("revenue_12m", "revenue"),
            ("margin_12m", "margin"),
            ("growth", "growth"),
        ),
        label=_("Sort"),
    )

    class Meta:
        model = Assessment
        fields: list[str] = []

    def search(self, queryset: QuerySet[Assessment], name: str, value: str) -> QuerySet[Assessment]:
        value = value.strip()
        if not value:
            return queryset
        annotation, name_matches = contains_folded("client__name", value)
        return queryset.alias(**annotation).filter(
            Q(client__code__iexact=value) | Q(client__tax_id=value) | name_matches
        )

    def filter_changed(
        self, queryset: QuerySet[Assessment], name: str, value: bool | None
    ) -> QuerySet[Assessment]:
        if value is None:
            return queryset
        differs = ~Q(previous_cell="") & (
            ~Q(cell=F("previous_cell")) | ~Q(proposed_status=F("previous_proposed_status"))
        )
        return queryset.filter(differs) if value else queryset.exclude(differs)
