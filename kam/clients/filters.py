"""One filter set serves the client list page, its exports and the API (as in NetBox)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.clients.search import contains_folded
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee
from kam.web.widgets import FastSelect

CHOICES_CACHE_KEY = "kam:clients:filter-choices"
# Per process; an import elsewhere shows in the drop-downs within a minute.
CHOICES_SECONDS = 60


def filter_choices() -> dict[str, list[tuple[Any, str]]]:
    """Regions, industries and responsible employees that occur among clients (cached)."""
    cached = cache.get(CHOICES_CACHE_KEY)
    if cached is not None:
        return dict(cached)

    def distinct(field: str) -> list[tuple[Any, str]]:
        values = (
            Client.objects.exclude(**{field: ""})
            .order_by(field)
            .values_list(field, flat=True)
            .distinct()
        )
        return [(v, v) for v in values]

    responsible = list(
        Employee.objects.filter(clients__isnull=False)
        .distinct()
        .order_by("name")
        .values_list("id", "name")
    )
    choices = {
        "region": distinct("region"),
        "industry": distinct("industry"),
        "responsible": responsible,
    }
    cache.set(CHOICES_CACHE_KEY, choices, CHOICES_SECONDS)
    return choices


def filter_choices_reset() -> None:
    """After imports or edits that change regions, industries or who is responsible."""
    cache.delete(CHOICES_CACHE_KEY)


class ClientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=ClientStatus.choices, label=_("Status"), empty_label=_("All")
    )
    # Values are matched exactly, not against the cached options: a region imported a second
    # ago in another process filters at once; only its drop-down entry may lag a minute.
    responsible = django_filters.NumberFilter(
        field_name="responsible_id",
        label=_("Responsible"),
        widget=FastSelect(options=lambda: filter_choices()["responsible"]),
    )
    department = django_filters.ChoiceFilter(
        choices=DepartmentKind.choices,
        field_name="responsible__department__kind",
        label=_("Department"),
        empty_label=_("All"),
    )
    region = django_filters.CharFilter(
        label=_("Region"), widget=FastSelect(options=lambda: filter_choices()["region"])
    )
    industry = django_filters.CharFilter(
        label=_("Industry"), widget=FastSelect(options=lambda: filter_choices()["industry"])
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("code", "code"),
            ("status", "status"),
            ("region", "region"),
            ("industry", "industry"),
            ("responsible__name", "responsible"),
        ),
        field_labels={
            "name": _("Name"),
            "code": _("Code"),
            "status": _("Status"),
            "region": _("Region"),
            "industry": _("Industry"),
            "responsible__name": _("Responsible"),
        },
        label=_("Sort by"),
        empty_label=_("Name"),
    )

    class Meta:
        model = Client
        fields = ["q", "status", "responsible", "department", "region", "industry"]

    def search(self, queryset: QuerySet[Client], name: str, value: str) -> QuerySet[Client]:
        """Name (contains), code or tax id (starts with), case-insensitive."""
        value = value.strip()
        if not value:
            return queryset
        annotation, name_matches = contains_folded("name", value)
        code = Lower("code")
        return queryset.annotate(**annotation, _code_folded=code).filter(
            name_matches | Q(_code_folded__startswith=value.lower()) | Q(tax_id__startswith=value)
        )
