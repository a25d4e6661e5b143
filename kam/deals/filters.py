"""The filter sets of the pipeline (its board and its table) and of the prospects list, one each
for the page and its export (as in NetBox), with their sorts."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.deals import selectors
from kam.deals.choices import FINAL_STAGES, DealStage, ProspectSource, ProspectStatus
from kam.deals.models import Deal, Prospect
from kam.organization.models import Employee

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

#: Sort key → (column title, ordering); a "-" first reverses it.
DEAL_SORTS: dict[str, tuple[Any, list[Any]]] = {
    "number": (_("Number"), ["id"]),
    "title": (_("Deal"), ["title", "id"]),
    "counterparty": (_("Client or prospect"), ["counterparty_name", "id"]),
    "amount": (_("Amount"), ["amount", "id"]),
    "terms": (_("Payment terms"), ["payment_terms_days", "id"]),
    "close": (_("Expected close"), ["expected_close", "id"]),
    "stage": (_("Stage"), ["stage_rank", "expected_close", "id"]),
    "owner": (_("Owner"), ["owner__name", "id"]),
    "since": (_("At the stage since"), ["stage_since", "id"]),
}
DEAL_DEFAULT_SORT = "close"

PROSPECT_SORTS: dict[str, tuple[Any, list[Any]]] = {
    "name": (_("Name"), ["name", "id"]),
    "source": (_("Source"), ["source", "name", "id"]),
    "status": (_("Status"), ["status", "name", "id"]),
    "owner": (_("Owner"), ["owner__name", "name", "id"]),
    "since": (_("In the status since"), ["status_since", "id"]),
    "created": (_("Added"), ["created_at", "id"]),
    "deals": (_("Open deals"), ["open_deals", "name", "id"]),
}
PROSPECT_DEFAULT_SORT = "name"


def sort_key(sort: str, sorts: dict[str, Any], default: str) -> str:
    """The sort asked for, or the default when it is unknown."""
    return sort if sort and sort.lstrip("-") in sorts else default


def ordered(queryset: QuerySet[Any], sort: str, sorts: dict[str, Any]) -> QuerySet[Any]:
    fields = sorts[sort.lstrip("-")][1]
    if sort.startswith("-"):
        fields = [f"-{f}" for f in fields]
    return queryset.order_by(*fields)


def sort_deals(queryset: QuerySet[Deal], sort: str) -> QuerySet[Deal]:
    queryset = selectors.with_counterparty_name(queryset).alias(stage_rank=selectors.stage_rank())
    return ordered(queryset, sort_key(sort, DEAL_SORTS, DEAL_DEFAULT_SORT), DEAL_SORTS)


def sort_prospects(queryset: QuerySet[Prospect], sort: str) -> QuerySet[Prospect]:
    return ordered(queryset, sort_key(sort, PROSPECT_SORTS, PROSPECT_DEFAULT_SORT), PROSPECT_SORTS)


class DealFilterSet(django_filters.FilterSet):
    """The board's filters: whose deals, for whom, on what terms, closing when."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    owner = django_filters.ModelChoiceFilter(
        queryset=Employee.objects.order_by("name"), label=_("Owner")
    )
    deferred = django_filters.BooleanFilter(
        method="only_deferred", label=_("Deferred payment only"), widget=forms.CheckboxInput
    )
    close_from = django_filters.DateFilter(
        field_name="expected_close", lookup_expr="gte", label=_("Closing from"), widget=DATE
    )
    close_to = django_filters.DateFilter(
        field_name="expected_close", lookup_expr="lte", label=_("Closing to"), widget=DATE
    )
    client = django_filters.NumberFilter(
        field_name="client_id", label=_("Client"), widget=forms.HiddenInput
    )
    prospect = django_filters.NumberFilter(
        field_name="prospect_id", label=_("Prospect"), widget=forms.HiddenInput
    )

    class Meta:
        model = Deal
        fields: list[str] = []

    def search(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        return selectors.deal_search(queryset, value)

    def only_deferred(
        self, queryset: QuerySet[Deal], name: str, value: bool | None
    ) -> QuerySet[Deal]:
        return queryset.filter(payment_terms_days__gt=0) if value else queryset


class DealTableFilterSet(DealFilterSet):
    """The table adds the stage and, off by the default, the closed deals (lost and paid)."""

    stage = django_filters.ChoiceFilter(
        choices=DealStage.choices, label=_("Stage"), empty_label=_("All open")
    )
    closed = django_filters.BooleanFilter(
        method="with_closed", label=_("Show lost and paid"), widget=forms.CheckboxInput
    )

    def with_closed(
        self, queryset: QuerySet[Deal], name: str, value: bool | None
    ) -> QuerySet[Deal]:
        return queryset

    def filter_queryset(self, queryset: QuerySet[Deal]) -> QuerySet[Deal]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        # Closed deals stay out unless asked for, or their stage is the one filtered on.
        if not data.get("closed") and data.get("stage") not in FINAL_STAGES:
            queryset = queryset.exclude(stage__in=FINAL_STAGES)
        return queryset


class ProspectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=ProspectStatus.choices, label=_("Status"), empty_label=_("All")
    )
    source = django_filters.ChoiceFilter(
        choices=ProspectSource.choices, label=_("Source"), empty_label=_("All")
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=Employee.objects.order_by("name"), label=_("Owner")
    )

    class Meta:
        model = Prospect
        fields: list[str] = []

    def search(self, queryset: QuerySet[Prospect], name: str, value: str) -> QuerySet[Prospect]:
        return selectors.prospect_search(queryset, value)
