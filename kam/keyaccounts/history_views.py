"""The handover history: filters, sorting, pages and the CSV/XLSX export of the same rows."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.keyaccounts import selectors
from kam.keyaccounts.filters import HandoverFilterSet
from kam.keyaccounts.models import Handover
from kam.keyaccounts.views import require_department_view
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page

PAGE_SIZE = 50


def handovers_filtered(params: Any) -> tuple[HandoverFilterSet, QuerySet[Handover]]:
    filterset = HandoverFilterSet(params or None, queryset=selectors.handover_list())
    queryset = filterset.qs
    if not (params or {}).get("ordering"):
        queryset = queryset.order_by("-created_at", "-pk")
    return filterset, queryset


def person(user: Any) -> str:
    """A user by their employee name when they have one (a login otherwise)."""
    if user is None:
        return ""
    employee = getattr(user, "employee", None)
    return employee.name if employee is not None else user.get_username()


@login_required
def handover_list_view(request: HttpRequest) -> HttpResponse:
    require_department_view(request)
    filterset, queryset = handovers_filtered(request.GET)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    context = {
        "filterset": filterset,
        "page": page,
        "query": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "nav": "keyaccounts",
    }
    return render_page(
        request, "keyaccounts/handovers.html", context, fragment="keyaccounts/_handover_table.html"
    )


EXPORT_HEADER = [
    "id",
    "effective",
    "client_code",
    "client",
    "from_code",
    "from",
    "to_code",
    "to",
    "cause",
    "reason",
    "notes",
    "receiver_accounts_before",
    "limit",
    "over_limit",
    "bulk",
    "recorded_at",
    "recorded_by",
    "acknowledged_at",
    "acknowledged_by",
]


@login_required
def handover_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    require_department_view(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _filterset, queryset = handovers_filtered(request.GET)
    zone = timezone.get_current_timezone()

    def rows():  # type: ignore[no-untyped-def]
        for h in queryset.iterator(chunk_size=2000):
            yield [
                h.pk,
                h.effective,
                h.client.code,
                h.client.name,
                h.from_manager.code if h.from_manager else "",
                h.from_manager.name if h.from_manager else "",
                h.to_manager.code,
                h.to_manager.name,
                h.get_cause_display(),
                h.reason,
                h.notes,
                h.load_before,
                h.limit,
                _("yes") if h.over_limit else "",
                str(h.bulk) if h.bulk else "",
                h.created_at.astimezone(zone).replace(tzinfo=None, microsecond=0),
                person(h.created_by),
                h.acknowledged_at.astimezone(zone).replace(tzinfo=None, microsecond=0)
                if h.acknowledged_at
                else None,
                person(h.acknowledged_by),
            ]

    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"handovers-{stamp}.csv", EXPORT_HEADER, rows())
    return xlsx_response(f"handovers-{stamp}.xlsx", _("Handovers"), EXPORT_HEADER, rows())
