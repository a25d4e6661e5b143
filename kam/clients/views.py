"""Client list (search, filters, sorting, pagination, export) and the client card with its
assessment panel and contacts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.assessment.decision_views import panel_context
from kam.clients.forms import ClientProfileForm, ContactForm
from kam.clients.models import Client, Contact
from kam.clients.selectors import client_card, client_list, client_plans_panel, clients_revenue
from kam.clients.services import (
    CONTACT_FIELDS,
    PROFILE_FIELDS,
    client_profile_update,
    contact_add,
    contact_delete,
)
from kam.credit.panels import client_credit_panel
from kam.deals.selectors import client_deals_panel
from kam.incidents.panels import client_incidents_panel
from kam.keyaccounts.selectors import client_ownership
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page

PAGE_SIZE = 50


@login_required
def client_list_view(request: HttpRequest) -> HttpResponse:
    access.require_role(request)
    filterset, queryset = client_list(user=request.user, params=request.GET)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    revenue = clients_revenue(client_ids=[c.pk for c in page], as_of=timezone.localdate())
    rows = [(client, revenue.get(client.pk)) for client in page]
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    context = {
        "filterset": filterset,
        "page": page,
        "rows": rows,
        "query": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        # Who sees only their own clients has no use for the owner filters.
        "own_clients_only": not access.sees_others_clients(request.user),
        "nav": "clients",
    }
    return render_page(request, "clients/list.html", context, fragment="clients/_table.html")


EXPORT_HEADER = [
    "code",
    "name",
    "tax_id",
    "status",
    "industry",
    "region",
    "group_code",
    "responsible_code",
    "responsible",
    "employees",
    "annual_revenue",
    "purchase_potential",
    "revenue_12m",
]


@login_required
def client_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    access.require_role(request)
    _filterset, queryset = client_list(user=request.user, params=request.GET)
    revenue = clients_revenue(
        client_ids=queryset.values_list("pk", flat=True), as_of=timezone.localdate()
    )

    def rows():  # type: ignore[no-untyped-def]
        for c in queryset.iterator(chunk_size=2000):
            yield [
                c.code,
                c.name,
                c.tax_id,
                c.get_status_display(),
                c.industry,
                c.region,
                c.group.code if c.group else "",
                c.responsible.code if c.responsible else "",
                c.responsible.name if c.responsible else "",
                c.employees,
                c.annual_revenue,
                c.purchase_potential,
                revenue.get(c.pk),
            ]

    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"clients-{stamp}.csv", EXPORT_HEADER, rows())
    if fmt == "xlsx":
        return xlsx_response(f"clients-{stamp}.xlsx", _("Clients"), EXPORT_HEADER, rows())
    raise Http404


@login_required
def client_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_role(request)
    client = get_object_or_404(
        access.client_scope(request.user).select_related("responsible__department", "group"),
        pk=pk,
    )
    can_edit = access.can_edit_client(request.user, client)
    context = {
        "client": client,
        "card": client_card(client=client, as_of=timezone.localdate()),
        "can_edit": can_edit,
        "contacts": list(client.contacts.all()),
        "contact_form": ContactForm(prefix="contact") if can_edit else None,
        "ownership": client_ownership(client),
        "plans": client_plans_panel(client=client, user=request.user, as_of=timezone.localdate()),
        "incidents_panel": client_incidents_panel(client=client, user=request.user),
        "deals_panel": client_deals_panel(client=client, user=request.user),
        "credit_panel": client_credit_panel(client=client, user=request.user),
        "can_hand_over": access.can_hand_over(request.user, client),
        "can_register_sale": access.can_register_sale(request.user, client),
        "can_view_handovers": access.can_view_department(request.user),
        "nav": "clients",
        **panel_context(request, client),
    }
    return render_page(request, "clients/detail.html", context)


@login_required
def client_profile_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the collected profile facts (GET: the form; POST: save, back to the card)."""
    access.require_role(request)
    client = get_object_or_404(access.client_scope(request.user), pk=pk)
    if not access.can_edit_client(request.user, client):
        raise PermissionDenied(_("You may not change this client."))
    form = ClientProfileForm(request.POST or None, instance=Client.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        client_profile_update(
            client=client,
            user=request.user,
            **{name: form.cleaned_data[name] for name in PROFILE_FIELDS},
        )
        messages.success(request, _("The profile of %(name)s is saved.") % {"name": client.name})
        return redirect("clients:detail", pk=client.pk)
    return render(
        request,
        "clients/profile_form.html",
        {"client": client, "form": form, "nav": "clients"},
        status=400 if request.method == "POST" else 200,
    )


def _editable_client(request: HttpRequest, pk: int) -> Client:
    access.require_role(request)
    client = get_object_or_404(access.client_scope(request.user), pk=pk)
    if not access.can_edit_client(request.user, client):
        raise PermissionDenied(_("You may not change this client."))
    return client


@login_required
def contact_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a person at the client (GET: the form on its own; POST: save, back to the card)."""
    client = _editable_client(request, pk)
    form = ContactForm(request.POST or None, prefix="contact")
    if request.method == "POST" and form.is_valid():
        contact = contact_add(
            client=client,
            user=request.user,
            **{name: form.cleaned_data[name] for name in CONTACT_FIELDS},
        )
        messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
        return redirect(f"{reverse('clients:detail', args=[client.pk])}#contacts")
    return render(
        request,
        "clients/contact_form.html",
        {"client": client, "form": form, "nav": "clients"},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def contact_delete_view(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Remove a contact (the card asks for a confirmation first)."""
    client = _editable_client(request, pk)
    contact = get_object_or_404(Contact, pk=contact_pk, client=client)
    contact_delete(contact=contact, user=request.user)
    messages.success(request, _("Contact %(name)s removed.") % {"name": contact.name})
    return redirect(f"{reverse('clients:detail', args=[client.pk])}#contacts")
