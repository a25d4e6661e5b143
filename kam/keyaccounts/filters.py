"""The handover history: one filter set for the page and its exports."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kam.clients.search import contains_folded
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.models import Handover
from kam.organization.models import Employee
from kam.web.widgets import FastSelect

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def people_in_handovers() -> list[tuple[Any, str]]:
    """Everyone who gave or received an account, for the "from" and "to" drop-downs."""
    return list(
        Employee.objects.filter(
            Q(handovers_given__isnull=False) | Q(handovers_received__isnull=False)
        )
        .distinct()
        .order_by("name")
        .values_list("id", "name")
    )


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HandoverFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Client"))
    from_manager = django_filters.NumberFilter(
        field_name="from_manager_id",
        label=_("From"),
        widget=FastSelect(options=people_in_handovers),
    )
    to_manager = django_filters.NumberFilter(
        field_name="to_manager_id", label=_("To"), widget=FastSelect(options=people_in_handovers)
    )
    cause = django_filters.ChoiceFilter(
        choices=Cause.choices, label=_("Cause"), empty_label=_("All")
    )
    acknowledged = django_filters.ChoiceFilter(
        choices=YES_NO, label=_("Acknowledged"), empty_label=_("All"), method="filter_acknowledged"
    )
    effective_from = django_filters.DateFilter(
        field_name="effective", lookup_expr="gte", label=_("Effective from"), widget=_date_widget()
    )
    effective_to = django_filters.DateFilter(
        field_name="effective", lookup_expr="lte", label=_("Effective to"), widget=_date_widget()
    )
    # The handovers of one bulk handover (linked from each of them; no field on the page).
    bulk = django_filters.UUIDFilter(label=_("Bulk handover"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("effective", "effective"),
            ("created_at", "recorded"),
            ("client__name", "client"),
            ("cause", "cause"),
            ("to_manager__name", "to"),
        ),
        field_labels={
            "effective": _("Effective date"),
            "created_at": _("Recorded"),
            "client__name": _("Client"),
            "cause": _("Cause"),
            "to_manager__name": _("Receiver"),
        },
        label=_("Sort by"),
        empty_label=_("Latest recorded first"),
    )

    class Meta:
        model = Handover
        fields: list[str] = []

    def search(self, queryset: QuerySet[Handover], name: str, value: str) -> QuerySet[Handover]:
        """Client name (contains), code or tax id (starts with), case-insensitive."""
        value = value.strip()
        if not value:
            return queryset
        annotation, name_matches = contains_folded("client__name", value)
        return queryset.annotate(**annotation, _code_folded=Lower("client__code")).filter(
            name_matches
            | Q(_code_folded__startswith=value.lower())
            | Q(client__tax_id__startswith=value)
        )

    def filter_acknowledged(
        self, queryset: QuerySet[Handover], name: str, value: str
    ) -> QuerySet[Handover]:
        if value == "yes":
            return queryset.filter(acknowledged_at__isnull=False)
        if value == "no":
            return queryset.filter(acknowledged_at__isnull=True)
        return queryset
