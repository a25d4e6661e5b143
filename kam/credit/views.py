"""The committee's inbox: for a member, the applications awaiting their vote first (each with
the client's credit facts as filed, what is asked and the votes so far); then every
application the reader may see — pending first, then the recently decided — with filters,
sorting, pagination and CSV/XLSX export. An applicant sees their applications and their state.

One application (form, card, votes, withdrawal, minutes) is in application_views; the decision
register, revocation and the committee's settings in decision_views. Every permission is asked
of kam.web.access; every read goes through kam.credit.selectors and filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.credit import selectors
from kam.credit.choices import ApplicationState
from kam.credit.filters import (
    APPLICATION_DEFAULT,
    APPLICATION_SORTS,
    ApplicationFilterSet,
    sort_key,
    sorted_by,
)
from kam.credit.models import CreditApplication
from kam.organization.models import Employee
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page
from kam.web.querystring import query_link as link
from kam.web.querystring import sort_links
from kam.web.widgets import FastSelect

PAGE_SIZE = 50


def require_credit_reader(request: HttpRequest) -> None:
    access.require_role(request)
    if not access.can_view_credit(request.user):
        raise PermissionDenied(
            _("The committee's decisions are read by its members and whoever reads every client.")
        )


def filtered(params: QueryDict) -> bool:
    return any(any(v) for k, v in params.lists() if k not in ("sort", "page"))


def client_named(user: Any, client_id: str) -> Any:
    """The client a ``client=<id>`` filter names, if the user may see it (for its chip)."""
    if not client_id.isdigit():
        return None
    return access.client_scope(user).filter(pk=client_id).only("pk", "name", "code").first()


def member_of(user: Any) -> Employee | None:
    """The user's employee if they sit on the committee (they vote), else None."""
    return access.user_employee(user) if access.is_committee_member(user) else None


def date_input() -> forms.DateInput:
    """Dates typed and shown in ISO whatever the language (the browser's date picker)."""
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _applicant_options() -> list[tuple[Any, str]]:
    ids = CreditApplication.objects.values("applicant_id")
    return list(Employee.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"))


def tune_filters(form: Any) -> None:
    form.fields["applicant"].widget = FastSelect(options=_applicant_options)
    for name in ("filed_from", "filed_to"):
        form.fields[name].widget = date_input()
    form.fields["client"].widget = forms.HiddenInput()


@dataclass
class ApplicationsQuery:
    sort: str
    filterset: ApplicationFilterSet
    queryset: QuerySet[CreditApplication]


def applications_query(request: HttpRequest, member: Employee | None) -> ApplicationsQuery:
    scope = access.credit_application_scope(request.user, selectors.applications_base())
    filterset = ApplicationFilterSet(
        request.GET or None, queryset=selectors.with_my_vote(scope, member)
    )
    sort = sort_key(request.GET.get("sort", ""), APPLICATION_SORTS)
    queryset = sorted_by(filterset.qs, sort, APPLICATION_SORTS, APPLICATION_DEFAULT)
    return ApplicationsQuery(sort=sort, filterset=filterset, queryset=queryset)


@login_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    user = request.user
    member = member_of(user)
    awaiting = [
        {"application": a, "facts": selectors.facts_view(a.facts)}
        for a in selectors.awaiting_vote(member)
    ]
    query = applications_query(request, member)
    tune_filters(query.filterset.form)
    page = Paginator(query.queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    base = reverse("credit:inbox")
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    context = {
        "member": member,
        "awaiting": awaiting,
        "reads_all": access.can_view_credit(user),
        "applies": access.applies_for_credit(user),
        "filterset": query.filterset,
        "form": query.filterset.form,
        "page": page,
        "sort": query.sort,
        "sort_links": sort_links(base, params, query.sort, APPLICATION_SORTS),
        "query_string": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "client": client_named(user, request.GET.get("client", "")),
        "client_clear_url": link(base, params, client=None),
        "filtered": filtered(request.GET),
        "pending": ApplicationState.PENDING.value,
        "can_change_settings": access.can_change_committee_settings(user),
        "nav": "credit",
    }
    return render_page(request, "credit/inbox.html", context, fragment="credit/_applications.html")


APPLICATION_EXPORT_HEADER = [
    "number",
    "filed",
    "client_code",
    "client",
    "deal",
    "applicant",
    "requested_limit",
    "requested_terms_days",
    "valid_until",
    "approvals",
    "approvals_needed",
    "votes_cast",
    "voters",
    "state",
    "decided",
    "decision_no",
    "decision_limit",
    "decision_terms_days",
    "justification",
]


@login_required
def applications_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The applications as filtered and sorted on the page, every one of them."""
    access.require_role(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    query = applications_query(request, None)

    def local(value: Any) -> Any:
        return timezone.localtime(value).replace(tzinfo=None) if value else ""

    def rows():  # type: ignore[no-untyped-def]
        for a in query.queryset.iterator(chunk_size=2000):
            decision = (
                getattr(a, "decision", None) if a.state == ApplicationState.APPROVED else None
            )
            yield [
                a.number,
                local(a.created_at),
                a.client.code,
                a.client.name,
                a.deal.number if a.deal else "",
                a.applicant.name if a.applicant else "",
                a.requested_limit,
                a.requested_terms_days,
                a.valid_until,
                a.approvals,  # type: ignore[attr-defined]
                a.approvals_needed,
                a.votes_cast,  # type: ignore[attr-defined]
                a.voters_count,  # type: ignore[attr-defined]
                a.get_state_display(),
                local(a.decided_at),
                decision.decision_no if decision else "",
                decision.credit_limit if decision else "",
                decision.max_terms_days if decision else "",
                a.justification,
            ]

    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"credit-applications-{stamp}.csv", APPLICATION_EXPORT_HEADER, rows())
    return xlsx_response(
        f"credit-applications-{stamp}.xlsx",
        _("Credit applications"),
        APPLICATION_EXPORT_HEADER,
        rows(),
    )
