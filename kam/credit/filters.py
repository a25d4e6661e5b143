"""The filter sets of the committee's lists (applications, decisions) with their sorts: one
set serves a page, its exports and (if it wants them) the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kam.credit.choices import ApplicationState, DecisionState
from kam.credit.models import CreditApplication, CreditDecision, CreditDecisionSource
from kam.organization.models import Employee

Sorts = dict[str, tuple[Any, list[str]]]

#: Sort key → the ordering (a "-" first reverses it). Without one: pending first, then the
#: latest news (decided or filed).
APPLICATION_SORTS: Sorts = {
    "filed": (_("Filed"), ["created_at", "id"]),
    "client": (_("Client"), ["client__name", "id"]),
    "limit": (_("Limit requested"), ["requested_limit", "id"]),
    "terms": (_("Terms, days"), ["requested_terms_days", "id"]),
    "state": (_("State"), ["state", "id"]),
    "decided": (_("Decided"), ["decided_at", "id"]),
}
APPLICATION_DEFAULT = ["pending_rank", "-activity", "-id"]

DECISION_SORTS: Sorts = {
    "date": (_("Date"), ["date", "decision_no"]),
    "number": (_("Number"), ["decision_no"]),
    "client": (_("Client"), ["client__name", "decision_no"]),
    "limit": (_("Limit"), ["credit_limit", "decision_no"]),
    "terms": (_("Terms, days"), ["max_terms_days", "decision_no"]),
    "valid_until": (_("Valid until"), ["valid_until", "decision_no"]),
}
DECISION_DEFAULT_SORT = "-date"


def sort_key(sort: str, sorts: Sorts, default: str = "") -> str:
    """The asked sort if it is one of ``sorts`` (either direction), else ``default``."""
    return sort if sort and sort.lstrip("-") in sorts else default


def sorted_by(
    queryset: QuerySet[Any], sort: str, sorts: Sorts, default: list[str]
) -> QuerySet[Any]:
    if not sort:
        return queryset.order_by(*default)
    fields = sorts[sort.lstrip("-")][1]
    if sort.startswith("-"):
        fields = [f"-{f}" for f in fields]
    return queryset.order_by(*fields)


def client_matches(
    queryset: QuerySet[Any], value: str, prefix: str = "", extra: Q | None = None
) -> QuerySet[Any]:
    """Rows whose client (``prefix`` leads to it) has ``value`` in its name (any letter case,
    Russian too: kam.clients.search), or as its code or tax id; or that match ``extra``."""
    folded = value.lower()
    query = (
        Q(_client_name_folded__contains=folded)
        | Q(_client_code_folded=folded)
        | Q(**{f"{prefix}tax_id": value})
    )
    if extra is not None:
        query |= extra
    return queryset.annotate(
        _client_name_folded=Lower(f"{prefix}name"), _client_code_folded=Lower(f"{prefix}code")
    ).filter(query)


class ApplicationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    state = django_filters.ChoiceFilter(
        choices=ApplicationState.choices, label=_("State"), empty_label=_("All")
    )
    applicant = django_filters.ModelChoiceFilter(
        queryset=Employee.objects.order_by("name"), label=_("Applicant")
    )
    client = django_filters.NumberFilter(field_name="client_id", label=_("Client"))
    filed_from = django_filters.DateFilter(
        field_name="created_at__date", lookup_expr="gte", label=_("Filed from")
    )
    filed_to = django_filters.DateFilter(
        field_name="created_at__date", lookup_expr="lte", label=_("Filed to")
    )

    class Meta:
        model = CreditApplication
        fields: list[str] = []

    def search(
        self, queryset: QuerySet[CreditApplication], name: str, value: str
    ) -> QuerySet[CreditApplication]:
        value = value.strip()
        if not value:
            return queryset
        digits = value.upper().removeprefix("CA-").lstrip("0")
        number = Q(pk=int(digits)) if digits.isdigit() else None
        return client_matches(queryset, value, "client__", number)


class DecisionFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    source = django_filters.ChoiceFilter(
        choices=CreditDecisionSource.choices, label=_("Source"), empty_label=_("All")
    )
    state = django_filters.ChoiceFilter(
        choices=DecisionState.choices,
        field_name="standing",
        label=_("State"),
        empty_label=_("All"),
    )
    client = django_filters.NumberFilter(field_name="client_id", label=_("Client"))
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("Decided from")
    )
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Decided to"))

    class Meta:
        model = CreditDecision
        fields: list[str] = []

    def search(
        self, queryset: QuerySet[CreditDecision], name: str, value: str
    ) -> QuerySet[CreditDecision]:
        value = value.strip()
        if not value:
            return queryset
        return client_matches(queryset, value, "client__", Q(decision_no__iexact=value))
