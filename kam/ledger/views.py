"""Registering a sale in kam: the form, the rulebook's refusal with its reasons, the override."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kam.clients.models import Client
from kam.credit.services import credit_position
from kam.ledger.forms import SaleForm, SaleLineFormSet
from kam.ledger.models import MonthlyRollup
from kam.ledger.services import SaleLineInput, sale_register
from kam.rules.guards import GuardRefused, may_override
from kam.rules.web import override_roles_text
from kam.web import access

#: Refused or invalid: the form again, with the reasons.
PAGE_INVALID = 400


def _groups(client: Client) -> list[str]:
    """The product groups the client bought, most recent first (the lines' suggestions)."""
    return list(
        MonthlyRollup.objects.filter(client=client)
        .exclude(product_group="")
        .order_by("product_group")
        .values_list("product_group", flat=True)
        .distinct()[:50]
    )


def _map_errors(form: SaleForm, lines: Any, error: ValidationError) -> None:
    """The service's errors onto the fields: ``lines.<n>.<field>`` onto the n-th line."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.error_dict.items():
        messages_ = [m for e in errors for m in e.messages]
        if field.startswith("lines."):
            _lines, number, name = field.split(".")
            lines.forms[int(number) - 1].add_error(name, messages_)
        elif field == "lines":
            form.add_error(None, messages_)
        else:
            form.add_error(field if field in form.fields else None, messages_)


@login_required
def sale_register_view(request: HttpRequest, client_pk: int) -> HttpResponse:
    """GET: the form with the client's credit situation; POST: register the sale (the rulebook
    may refuse it), back to the client's card."""
    access.require_role(request)
    client = get_object_or_404(
        access.client_scope(request.user).select_related("responsible"), pk=client_pk
    )
    if not access.can_register_sale(request.user, client):
        raise PermissionDenied(
            _(
                "Sales are registered by the client's responsible employee, the key-account "
                "head or the director."
            )
        )
    refusal: GuardRefused | None = None
    form = SaleForm(request.POST or None)
    lines = SaleLineFormSet(request.POST or None, prefix="line")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        # Lines are kept in their order: an empty one between others keeps its number.
        inputs = [
            SaleLineInput(
                product_group=line.cleaned_data.get("product_group", ""),
                amount=line.cleaned_data.get("amount", ""),
                product_code=line.cleaned_data.get("product_code", ""),
                quantity=line.cleaned_data.get("quantity", ""),
                cost=line.cleaned_data.get("cost", ""),
            )
            for line in lines.forms
        ]
        try:
            sale = sale_register(
                client=client,
                date=data["date"],
                payment_terms_days=data["payment_terms_days"],
                lines=inputs,
                user=request.user,
                doc_no=data["doc_no"],
                override_reason=data["override_reason"],
            )
        except GuardRefused as error:
            refusal = error
        except ValidationError as error:
            _map_errors(form, lines, error)
        else:
            document = sale.document
            messages.success(
                request,
                _("Sale %(doc)s to %(client)s is registered: %(amount)s, %(days)s days.")
                % {
                    "doc": document.doc_no,
                    "client": client.name,
                    "amount": formats.number_format(document.amount, 2, force_grouping=True),
                    "days": document.payment_terms_days,
                },
            )
            for incident in sale.incidents:
                messages.warning(
                    request,
                    _("Rule overridden: incident %(number)s is opened (%(rule)s).")
                    % {"number": incident.number, "rule": incident.rule_version.title},
                )
            for warning in sale.warnings:
                messages.warning(request, warning)
            return redirect(reverse("clients:detail", args=[client.pk]))
    today = timezone.localdate()
    context = {
        "client": client,
        "form": form,
        "lines": lines,
        "refusal": refusal,
        "refusal_messages": [
            (b.version.title, b.version.message(b.facts), b.version.rule.code)
            for b in (refusal.breaches if refusal else [])
        ],
        "override_roles": override_roles_text(refusal) if refusal else "",
        "may_override": may_override(request.user, "sales_document"),
        # What the seller should know before shipping on credit (the client card's panel).
        "credit": credit_position(client, today),
        "groups": _groups(client),
        "today": today,
        "nav": "clients",
    }
    status = PAGE_INVALID if request.method == "POST" else 200
    return render(request, "ledger/sale_form.html", context, status=status)
