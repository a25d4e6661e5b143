"""One filter set serves the client list page, its exports and the API (as in NetBox)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.clients.search import contains_folded
from kam.organization.choices import DepartmentKind
from kam.organization.models import Employee


def _distinct(field: str) -> list[tuple[str, str]]:
    values = (
        Client.objects.exclude(**{field: ""})
        .order_by(field)
        .values_list(field, flat=True)
        .distinct()
    )
    return [(v, v) for v in values]


class ClientFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.ChoiceFilter(
        choices=ClientStatus.choices, label=_("Status"), empty_label=_("All")
    )
    responsible = django_filters.ModelChoiceFilter(
        queryset=Employee.objects.filter(is_active=True).order_by("name"),
        label=_("Responsible"),
        field_name="responsible",
        empty_label=_("All"),
    )
    department = django_filters.ChoiceFilter(
        choices=DepartmentKind.choices,
        field_name="responsible__department__kind",
        label=_("Department"),
        empty_label=_("All"),
    )
    region = django_filters.ChoiceFilter(
        choices=lambda: _distinct("region"), label=_("Region"), empty_label=_("All")
    )
    industry = django_filters.ChoiceFilter(
        choices=lambda: _distinct("industry"), label=_("Industry"), empty_label=_("All")
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
