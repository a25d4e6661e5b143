"""Prospects: the list (status chips, filters, sorting, pagination, CSV/XLSX), the new prospect
and edit forms, a prospect's card (details, status history, its deals, status moves; losing
asks for a reason and a confirmation) and its conversion into a client (possible duplicates
shown first: link to one of them, or confirm a new client).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.deals import selectors, services
from kam.deals.choices import OPEN_PROSPECT, ProspectStatus
from kam.deals.filters import (
    PROSPECT_DEFAULT_SORT,
    PROSPECT_SORTS,
    ProspectFilterSet,
    sort_key,
    sort_prospects,
)
from kam.deals.forms import ConvertForm, ProspectForm, ProspectLoseForm, ProspectStatusForm
from kam.deals.models import Prospect
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page
from kam.web.querystring import query_link as link
from kam.web.querystring import sort_links
from kam.web.widgets import FastSelect

PAGE_SIZE = 50
PAGE_INVALID = 400


def _filtered(request: HttpRequest) -> ProspectFilterSet:
    filterset = ProspectFilterSet(request.GET, queryset=selectors.prospects_visible(request.user))
    filterset.form.fields["owner"].widget = FastSelect(options=selectors.employee_filter_options)
    return filterset


@login_required
def prospect_list_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    filterset = _filtered(request)
    sort = sort_key(request.GET.get("sort", ""), PROSPECT_SORTS, PROSPECT_DEFAULT_SORT)
    page = Paginator(sort_prospects(filterset.qs, sort), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    base = reverse("deals:prospects")
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    # The chips count every status under the other filters (a chip picks the status).
    chips_query = request.GET.copy()
    chips_query.pop("status", None)
    chips = ProspectFilterSet(chips_query, queryset=selectors.prospects_visible(request.user))
    counts = selectors.prospect_status_counts(chips.qs) if chips.is_valid() else {}
    status = filterset.form.data.get("status", "")
    context = {
        "form": filterset.form,
        "page": page,
        "sort": sort,
        "sort_links": sort_links(base, params, sort, PROSPECT_SORTS),
        "chips": [
            {
                "key": "",
                "label": _("All"),
                "count": sum(counts.values()),
                "url": link(base, params, status=None),
                "active": not status,
            },
            *(
                {
                    "key": value,
                    "label": label,
                    "count": counts.get(value, 0),
                    "url": link(base, params, status=value),
                    "active": status == value,
                }
                for value, label in ProspectStatus.choices
            ),
        ],
        "status": status,
        "query_string": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "filtered": any(
            v for k, vs in request.GET.lists() if k not in ("sort", "page") for v in vs
        ),
        "can_create": access.can_work_deals(request.user),
        "nav": "deals",
    }
    return render_page(
        request, "deals/prospects.html", context, fragment="deals/_prospect_table.html"
    )


EXPORT_HEADER = [
    "name",
    "tax_id",
    "source",
    "status",
    "status_since",
    "owner_code",
    "owner",
    "industry",
    "region",
    "contact_name",
    "phone",
    "email",
    "open_deals",
    "open_deals_amount",
    "client_code",
    "lost_reason",
    "created",
]


@login_required
def prospect_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    access.require_role(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filterset = _filtered(request)
    sort = sort_key(request.GET.get("sort", ""), PROSPECT_SORTS, PROSPECT_DEFAULT_SORT)

    def rows():  # type: ignore[no-untyped-def]
        for p in sort_prospects(filterset.qs, sort).iterator(chunk_size=2000):
            yield [
                p.name,
                p.tax_id,
                p.get_source_display(),
                p.get_status_display(),
                timezone.localtime(p.status_since).replace(tzinfo=None),
                p.owner.code,
                p.owner.name,
                p.industry,
                p.region,
                p.contact_name,
                p.phone,
                p.email,
                getattr(p, "open_deals", 0),
                getattr(p, "open_amount", None),
                p.client.code if p.client else "",
                p.lost_reason,
                timezone.localtime(p.created_at).replace(tzinfo=None),
            ]

    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"prospects-{stamp}.csv", EXPORT_HEADER, rows())
    return xlsx_response(f"prospects-{stamp}.xlsx", _("Prospects"), EXPORT_HEADER, rows())


# --- New and edit ------------------------------------------------------------------------------


def _map_errors(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        for item in errors:
            form.add_error(name if name in form.fields else None, item.messages)


@login_required
def prospect_new_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    if not access.can_work_deals(request.user):
        raise PermissionDenied(_("Prospects are worked by the sales staff."))
    employee = access.user_employee(request.user)
    form = ProspectForm(request.POST or None, initial={"owner": employee.pk if employee else None})
    if request.method == "POST" and form.is_valid():
        try:
            prospect = services.prospect_create(
                user=request.user,
                name=form.cleaned_data["name"],
                source=form.cleaned_data["source"],
                owner=form.owner_obj,
                **form.details(),
            )
        except ValidationError as error:
            _map_errors(form, error)
        else:
            messages.success(
                request, _("%(name)s is added to the prospects.") % {"name": prospect.name}
            )
            return redirect(reverse("deals:prospect", args=[prospect.pk]))
    status = PAGE_INVALID if request.method == "POST" else 200
    return render(
        request,
        "deals/prospect_form.html",
        {"form": form, "prospect": None, "nav": "deals"},
        status=status,
    )


def _prospect(request: HttpRequest, pk: int) -> Prospect:
    access.require_role(request)
    queryset = selectors.prospects_visible(request.user).select_related("created_by")
    return get_object_or_404(queryset, pk=pk)


def _require_editor(request: HttpRequest, prospect: Prospect) -> None:
    if not access.can_edit_prospect(request.user, prospect):
        raise PermissionDenied(_("A prospect is worked by its owner (or the director)."))


@login_required
def prospect_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(request, pk)
    _require_editor(request, prospect)
    if prospect.status == ProspectStatus.CONVERTED:
        messages.error(request, _("A converted prospect is a client now: change the client."))
        return redirect(reverse("deals:prospect", args=[prospect.pk]))
    initial = {
        "name": prospect.name,
        "source": prospect.source,
        "owner": prospect.owner_id,
        **{name: getattr(prospect, name) for name in ProspectForm.DETAILS},
    }
    form = ProspectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.prospect_update(
                prospect=prospect,
                user=request.user,
                name=form.cleaned_data["name"],
                source=form.cleaned_data["source"],
                owner=form.owner_obj,
                **form.details(),
            )
        except ValidationError as error:
            _map_errors(form, error)
        else:
            messages.success(request, _("The prospect is saved."))
            return redirect(reverse("deals:prospect", args=[prospect.pk]))
    status = PAGE_INVALID if request.method == "POST" else 200
    return render(
        request,
        "deals/prospect_form.html",
        {"form": form, "prospect": prospect, "nav": "deals"},
        status=status,
    )


# --- The card and the status moves -------------------------------------------------------------


def _page(
    request: HttpRequest,
    prospect: Prospect,
    *,
    move: ProspectStatusForm | None = None,
    lose: ProspectLoseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_edit = access.can_edit_prospect(user, prospect)
    context = {
        "prospect": prospect,
        "history": selectors.prospect_history(prospect),
        "deals": selectors.prospect_deals(prospect),
        "may_edit": may_edit and prospect.status != ProspectStatus.CONVERTED,
        "moves": selectors.prospect_moves(prospect) if may_edit else [],
        "may_lose": may_edit and prospect.status in OPEN_PROSPECT,
        "may_convert": may_edit and prospect.status in OPEN_PROSPECT,
        "may_add_deal": access.can_work_deals(user) and prospect.status in OPEN_PROSPECT,
        "move_form": move or ProspectStatusForm(),
        "lose_form": lose or ProspectLoseForm(),
        "client_visible": prospect.client_id is not None
        and access.client_scope(user).filter(pk=prospect.client_id).exists(),
        "today": timezone.localdate(),
        "nav": "deals",
    }
    return render(request, "deals/prospect_detail.html", context, status=status)


@login_required
def prospect_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _prospect(request, pk))


@login_required
@require_POST
def prospect_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(request, pk)
    _require_editor(request, prospect)
    losing = request.POST.get("status") == ProspectStatus.LOST
    form = ProspectLoseForm(request.POST) if losing else ProspectStatusForm(request.POST)
    page_forms: dict[str, Any] = {"lose": form} if losing else {"move": form}
    if not form.is_valid():
        return _page(request, prospect, status=PAGE_INVALID, **page_forms)
    data = form.cleaned_data
    if losing and data["confirmed"] != "1":
        return render(
            request,
            "deals/confirm.html",
            {
                "title": prospect.name,
                "crumbs": [(reverse("deals:prospects"), _("Prospects"))],
                "back_url": reverse("deals:prospect", args=[prospect.pk]),
                "back_label": _("No, back to the prospect"),
                "question": _("Mark %(name)s as lost? Its open deals stay as they are.")
                % {"name": prospect.name},
                "form": form,
                "action": reverse("deals:prospect_status", args=[prospect.pk]),
                "nav": "deals",
            },
        )
    try:
        services.prospect_status_set(
            prospect=prospect, user=request.user, status=data["status"], comment=data["comment"]
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "comment" in error.error_dict:
            _map_errors(form, error)
            return _page(request, prospect, status=PAGE_INVALID, **page_forms)
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("deals:prospect", args=[prospect.pk]))
    messages.success(
        request,
        _("%(name)s: %(status)s.")
        % {"name": prospect.name, "status": ProspectStatus(data["status"]).label},
    )
    return redirect(reverse("deals:prospect", args=[prospect.pk]))


# --- Conversion -------------------------------------------------------------------------------


@login_required
def prospect_convert_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the possible duplicates and the choice; POST (after the confirmation): convert,
    then the client's card."""
    prospect = _prospect(request, pk)
    _require_editor(request, prospect)
    if prospect.status not in OPEN_PROSPECT:
        messages.error(
            request,
            _("The prospect is %(status)s: there is nothing to convert.")
            % {"status": prospect.get_status_display().lower()},
        )
        return redirect(reverse("deals:prospect", args=[prospect.pk]))
    duplicates = services.prospect_duplicates(prospect)
    form = ConvertForm(request.POST or None, duplicates=duplicates)
    confirm = False
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["confirmed"] != "1":
            confirm = True
        else:
            try:
                client = services.prospect_convert(
                    prospect=prospect,
                    user=request.user,
                    code=form.cleaned_data["code"],
                    existing=form.existing(),
                    confirm_new=form.confirm_new(),
                )
            except ValidationError as error:
                _map_convert_errors(form, error)
            else:
                messages.success(
                    request,
                    _("%(name)s is a client now: %(code)s.")
                    % {"name": prospect.name, "code": client.code},
                )
                if access.client_scope(request.user).filter(pk=client.pk).exists():
                    return redirect(reverse("clients:detail", args=[client.pk]))
                return redirect(reverse("deals:prospect", args=[prospect.pk]))
    context = {
        "prospect": prospect,
        "duplicates": duplicates,
        "form": form,
        "confirm": confirm,
        "chosen": form.existing() if confirm else None,
        "deals": selectors.prospect_deals(prospect),
        "nav": "deals",
    }
    status = PAGE_INVALID if request.method == "POST" and not confirm else 200
    return render(request, "deals/convert.html", context, status=status)


def _map_convert_errors(form: ConvertForm, error: ValidationError) -> None:
    """The duplicate refusal names the choice to make: it goes onto the client choice."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = {"existing": "target"}.get(name, name)
            for item in errors:
                form.add_error(target if target in form.fields else None, item.messages)
    else:
        form.add_error(None, error.messages)
