"""The incident inbox: tabs per role (to handle, names me, my department, everything I read)
with their active counts, the shared filter set, sorting, pagination and CSV/XLSX export.

One incident's card and its lifecycle are in card_views, the scorecard in scorecard_views, the
catalogue of sanctions in sanction_views. Every permission is asked of kam.web.access; every
read goes through kam.incidents.selectors and filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.incidents import selectors
from kam.incidents.choices import UNDECIDED_STATES
from kam.incidents.filters import DEFAULT_SORT, SORTS, IncidentFilterSet, sort_incidents
from kam.incidents.models import Incident
from kam.organization.models import Employee
from kam.rules.models import Rule
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page
from kam.web.querystring import query_link, sort_links
from kam.web.widgets import FastSelect

PAGE_SIZE = 50

TAB_LABELS = {
    "handle": gettext_lazy("To handle"),
    "mine": gettext_lazy("Naming me"),
    "department": gettext_lazy("My department"),
    "all": gettext_lazy("All I may read"),
}
TAB_HELP = {
    "handle": gettext_lazy("Active incidents you handle: take them up, decide, close."),
    "mine": gettext_lazy("Incidents that name you as the violator: explain what happened."),
    "department": gettext_lazy("Incidents of the employees of the departments you head."),
    "all": gettext_lazy("Every incident you may read."),
}
#: Why a tab is empty, when no filter narrows it.
TAB_EMPTY = {
    "handle": gettext_lazy(
        "Nothing waits for you to handle. New incidents appear here when the audit finds a "
        "breach of a rule you handle, or someone overrides one."
    ),
    "mine": gettext_lazy(
        "No incident names you. Keep it that way: the rulebook lists what the rules ask."
    ),
    "department": gettext_lazy("No incident in the departments you head."),
    "all": gettext_lazy(
        "There are no incidents you may read yet. The audit opens them when a mandatory rule "
        "is broken."
    ),
}


class OneOfSelect(forms.SelectMultiple):
    """One value picked from a drop-down, for a filter that accepts several (state=a&state=b
    from a link still works; an empty "All" choice is dropped)."""

    allow_multiple_selected = False

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if isinstance(values, str):
            values = [values]
        return [v for v in values or [] if v]


def _employee_options() -> list[tuple[Any, str]]:
    return list(Employee.objects.order_by("name").values_list("pk", "name"))


def _rule_options() -> list[tuple[Any, str]]:
    return [
        (
            rule.code,
            f"{rule.enabled_version.title} ({rule.code})" if rule.enabled_version else rule.code,
        )
        for rule in Rule.objects.select_related("enabled_version").order_by("code")
    ]


def tune_form(form: forms.Form) -> None:
    """The filter set's fields as the inbox shows them: one state at a time, yes/no/all for
    the flags, employees and rules listed without a query per option."""
    yes_no = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]
    fields = form.fields
    state = fields["state"]
    state.widget = OneOfSelect(choices=[("", _("All")), *state.choices])  # type: ignore[attr-defined]
    for name in ("active", "overdue"):
        fields[name].widget.choices = yes_no  # type: ignore[attr-defined]
    for name in ("violator", "handler"):
        fields[name].widget = FastSelect(options=_employee_options)
    fields["rule"].widget = FastSelect(options=_rule_options)
    for name in ("opened_from", "opened_to"):
        fields[name].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    fields["client"].widget = forms.HiddenInput()


@dataclass
class InboxQuery:
    tab: str
    sort: str
    filterset: IncidentFilterSet
    queryset: QuerySet[Incident]
    counts: dict[str, int]


def inbox_query(request: HttpRequest) -> InboxQuery:
    """The tab (default: where work waits for the user), its incidents filtered and sorted."""
    user = request.user
    counts = selectors.tab_counts(user)
    tab = request.GET.get("tab", "")
    if tab not in selectors.TABS:
        tab = selectors.default_tab(user)
    sort = request.GET.get("sort", "") or DEFAULT_SORT
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    filterset = IncidentFilterSet(request.GET or None, queryset=selectors.inbox(user, tab))
    queryset = sort_incidents(filterset.qs, sort)
    return InboxQuery(tab=tab, sort=sort, filterset=filterset, queryset=queryset, counts=counts)


def _link(params: QueryDict, **changes: str | None) -> str:
    return query_link(reverse("incidents:inbox"), params, **changes)


def _sort_links(params: QueryDict, sort: str) -> dict[str, dict[str, str]]:
    return sort_links(reverse("incidents:inbox"), params, sort, SORTS)


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    query = inbox_query(request)
    tune_form(query.filterset.form)
    page = Paginator(query.queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params["tab"] = query.tab
    params.pop("page", None)
    encoded = params.urlencode()
    client_id = request.GET.get("client", "")
    client = (
        access.client_scope(request.user).filter(pk=client_id).only("pk", "name", "code").first()
        if client_id.isdigit()
        else None
    )
    filtered = any(v for k, v in request.GET.lists() if k not in ("tab", "sort", "page") and any(v))
    context = {
        "query": query,
        "tab": query.tab,
        "tabs": [
            {
                "key": tab,
                "label": TAB_LABELS[tab],
                "count": query.counts[tab],
                "url": _link(request.GET, tab=tab),
                "active": tab == query.tab,
            }
            for tab in selectors.TABS
        ],
        "tab_help": TAB_HELP[query.tab],
        "empty_text": TAB_EMPTY[query.tab],
        "filterset": query.filterset,
        "form": query.filterset.form,
        "page": page,
        "today": timezone.localdate(),
        "undecided": [str(s) for s in UNDECIDED_STATES],
        "sort": query.sort,
        "sort_links": _sort_links(params, query.sort),
        "query_string": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "client": client,
        "client_clear_url": _link(params, client=None),
        "filtered": filtered,
        "can_view_scorecard": access.can_view_scorecard(request.user),
        "nav": "incidents",
    }
    return render_page(
        request, "incidents/inbox.html", context, fragment="incidents/_inbox_table.html"
    )


EXPORT_HEADER = [
    "number",
    "opened",
    "rule_code",
    "rule_title",
    "rule_version",
    "subprocess",
    "kind",
    "subject_type",
    "subject_key",
    "client_code",
    "client",
    "violator_code",
    "violator",
    "department",
    "handler",
    "severity",
    "state",
    "deadline",
    "overdue",
    "escalated",
    "closed",
]


@login_required
def inbox_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The tab's incidents as filtered and sorted on the page, every one of them."""
    access.require_role(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    query = inbox_query(request)
    today = timezone.localdate()
    from kam.incidents.templatetags.incidents import subject_label

    def rows():  # type: ignore[no-untyped-def]
        for incident in query.queryset.iterator(chunk_size=2000):
            overdue = incident.state in UNDECIDED_STATES and incident.deadline < today
            yield [
                incident.number,
                timezone.localtime(incident.opened_at).replace(tzinfo=None),
                incident.rule.code,
                incident.rule_version.title,
                incident.rule_version.number,
                incident.get_subprocess_display(),
                incident.get_kind_display(),
                subject_label(incident),
                incident.subject_key,
                incident.client.code if incident.client else "",
                incident.client.name if incident.client else "",
                incident.violator.code if incident.violator else "",
                incident.violator.name if incident.violator else "",
                incident.department.get_kind_display() if incident.department else "",
                incident.handler.name if incident.handler else "",
                incident.get_severity_display(),
                incident.get_state_display(),
                incident.deadline,
                _("yes") if overdue else "",
                _("yes") if incident.escalated_at else "",
                timezone.localtime(incident.closed_at).replace(tzinfo=None)
                if incident.closed_at
                else "",
            ]

    stamp = today.isoformat()
    if fmt == "csv":
        return csv_response(f"incidents-{stamp}.csv", EXPORT_HEADER, rows())
    return xlsx_response(f"incidents-{stamp}.xlsx", _("Incidents"), EXPORT_HEADER, rows())
