"""Handing accounts over: one client (the form with its briefing preview) and all or some of
one manager's accounts (rule, confirmation with the receivers' loads, then all or nothing)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kam.clients.models import Client
from kam.clients.selectors import clients_revenue
from kam.keyaccounts import selectors
from kam.keyaccounts.briefing import briefing_for
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.display import briefing_sections
from kam.keyaccounts.forms import BulkConfirmForm, BulkHandoverForm, HandoverForm, Receivers
from kam.keyaccounts.models import Assignment
from kam.keyaccounts.rules import is_key_account_staff
from kam.keyaccounts.services import (
    HandoverConflict,
    Rule,
    bulk_plan,
    current_assignment,
    handover_record,
    handovers_bulk,
    loads_of,
)
from kam.organization.models import Employee
from kam.rules.guards import may_override
from kam.web import access

# --- One client --------------------------------------------------------------------------------


def _receivers(client: Client, current: Assignment | None) -> Receivers:
    """Who may take the client over, without the one already responsible."""
    holder = current.manager_id if current is not None else None
    return [(e, load) for e, load in selectors.receivers_for(client) if e.pk != holder]


def _map_errors(form: Any, error: ValidationError) -> None:
    """The service's field errors onto the form's fields (the rest above the form)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.error_dict.items():
        if field == "confirm_over_limit":
            form.needs_confirmation = True
        for item in errors:
            form.add_error(field if field in form.fields else None, item.messages)


@login_required
def handover_view(request: HttpRequest, client_pk: int) -> HttpResponse:
    """GET: the form with the current responsible and the briefing the receiver will get;
    POST: hand over, back to the client's card."""
    access.require_role(request)
    client = get_object_or_404(
        access.client_scope(request.user).select_related("responsible__department"),
        pk=client_pk,
    )
    if not access.can_hand_over(request.user, client):
        raise PermissionDenied(
            _("Accounts are handed over by the key-account head or the director.")
        )
    today = timezone.localdate()
    current = current_assignment(client)
    form: HandoverForm
    if request.method == "POST":
        form = HandoverForm(request.POST, receivers=_receivers(client, current))
        if form.is_valid():
            data = form.cleaned_data
            expected_pk = data["expected_from"]
            expected = Employee.objects.filter(pk=expected_pk).first() if expected_pk else None
            try:
                handover = handover_record(
                    client=client,
                    to_manager=data["to_manager"],
                    user=request.user,
                    cause=data["cause"],
                    reason=data["reason"],
                    notes=data["notes"],
                    effective=data["effective"],
                    expected_from=expected,
                    confirm_over_limit=data["confirm_over_limit"],
                    override_reason=data["override_reason"],
                )
            except HandoverConflict as conflict:
                # Show the form again as it is now: the new responsible, and the user decides.
                current = current_assignment(client)
                client.refresh_from_db()
                values = request.POST.copy()
                values["expected_from"] = str(current.manager_id) if current else ""
                form = HandoverForm(values, receivers=_receivers(client, current))
                form.is_valid()
                form.add_error(None, str(conflict))
            except ValidationError as error:
                _map_errors(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("%(client)s is handed over to %(name)s from %(date)s.")
                    % {
                        "client": client.name,
                        "name": handover.to_manager.name,
                        "date": formats.date_format(handover.effective, "SHORT_DATE_FORMAT"),
                    },
                )
                if data["override_reason"]:
                    messages.warning(
                        request,
                        _("A rule was overridden: an incident is opened for the override."),
                    )
                for warning in getattr(handover, "rule_warnings", []):
                    messages.warning(request, warning)
                return redirect(f"{reverse('clients:detail', args=[client.pk])}#ownership")
    else:
        cause = request.GET.get("cause")
        form = HandoverForm(
            initial={
                "effective": today,
                "cause": cause
                if cause in Cause.values
                else (Cause.ASSIGNMENT if current is None else ""),
                "expected_from": current.manager_id if current else None,
                "to_manager": request.GET.get("to", ""),
            },
            receivers=_receivers(client, current),
        )
    context = {
        "client": client,
        "current": current,
        "form": form,
        "sections": briefing_sections(briefing_for(client, today)),
        "today": today,
        "nav": "keyaccounts",
        "may_override": may_override(request.user, "assignment"),
    }
    return render(
        request,
        "keyaccounts/handover_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


# --- One manager's accounts --------------------------------------------------------------------


def _require_manage(request: HttpRequest) -> None:
    access.require_role(request)
    if not access.can_manage_department(request.user):
        raise PermissionDenied(
            _("Accounts are handed over by the key-account head or the director.")
        )


def _bulk_form(employee: Employee, accounts: list[Any], data: Any = None) -> BulkHandoverForm:
    per_status = {
        status: [(e, load) for e, load in receivers if e.pk != employee.pk]
        for status, receivers in selectors.receivers_by_status().items()
    }
    statuses = {a.client.status for a in accounts}
    wanted = {e.pk for status in statuses for e, _load in per_status[status]}
    seen: set[int] = set()
    candidates = []
    for receivers in per_status.values():
        for e, load in receivers:
            if e.pk in wanted and e.pk not in seen:
                seen.add(e.pk)
                candidates.append((e, load))
    candidates.sort(key=lambda pair: (not is_key_account_staff(pair[0]), pair[0].name))
    initial = {
        "clients": [a.client.pk for a in accounts],
        "rule": Rule.SPREAD,
        "cause": Cause.LEAVING if not employee.is_active else Cause.OVERLOAD,
        "effective": timezone.localdate(),
    }
    return BulkHandoverForm(
        data,
        initial=initial,
        accounts=accounts,
        candidates=candidates,
        per_status=per_status,
    )


def _plan_rows(
    employee: Employee, pairs: list[tuple[int, int]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """The plan as the confirmation shows it: each client → receiver, and each receiver's
    load before and after; plus what no longer holds (an account that changed hands)."""
    held = {
        c.pk: c
        for c in Client.objects.filter(
            assignments__manager=employee, assignments__end__isnull=True
        ).order_by("name")
    }
    receivers = Employee.objects.select_related("department").in_bulk({r for _c, r in pairs})
    problems = []
    kept = []
    for client_pk, receiver_pk in pairs:
        if client_pk not in held:
            name = Client.objects.filter(pk=client_pk).values_list("name", flat=True).first()
            problems.append(
                _("%(client)s is no longer %(name)s's account: left out.")
                % {"client": name or client_pk, "name": employee.name}
            )
        elif receiver_pk not in receivers or not receivers[receiver_pk].is_active:
            problems.append(
                _("%(client)s: the receiver is no longer active: left out.")
                % {"client": held[client_pk].name}
            )
        else:
            kept.append((held[client_pk], receivers[receiver_pk]))
    revenue = clients_revenue(client_ids=[c.pk for c, _r in kept], as_of=timezone.localdate())
    loads = loads_of(list({r.pk: r for _c, r in kept}.values()))
    added: dict[int, list[Client]] = defaultdict(list)
    for client, receiver in kept:
        added[receiver.pk].append(client)
    rows = [
        {"client": c, "receiver": r, "revenue": revenue.get(c.pk, Decimal(0))}
        for c, r in sorted(kept, key=lambda pair: pair[0].name)
    ]
    summary: list[dict[str, Any]] = []
    for pk, clients in added.items():
        load = loads[pk]
        receiver = receivers[pk]
        extra = sum((revenue.get(c.pk, Decimal(0)) for c in clients), Decimal(0))
        limit = load.limit
        accounts_after = load.accounts + len(clients)
        revenue_after = load.revenue + extra
        key_staff = is_key_account_staff(receiver)
        summary.append(
            {
                "receiver": receiver,
                "key_staff": key_staff,
                "accounts": load.accounts,
                "added": len(clients),
                "accounts_after": accounts_after,
                "revenue": load.revenue,
                "revenue_after": revenue_after,
                "limit": limit,
                "over": key_staff
                and (
                    accounts_after > limit.max_accounts
                    or (limit.max_revenue is not None and revenue_after > limit.max_revenue)
                ),
            }
        )
    summary.sort(key=lambda row: row["receiver"].name)
    return rows, summary, problems


def _confirmation(
    request: HttpRequest,
    employee: Employee,
    pairs: list[tuple[int, int]],
    common: dict[str, Any],
    *,
    errors: list[str] | None = None,
    confirmed: bool = False,
) -> HttpResponse:
    rows, summary, problems = _plan_rows(employee, pairs)
    kept = [(row["client"].pk, row["receiver"].pk) for row in rows]
    form = BulkConfirmForm(
        initial={
            **common,
            "plan": BulkConfirmForm.encode(kept),
            "confirm_over_limit": confirmed,
        }
    )
    context = {
        "employee": employee,
        "rows": rows,
        "summary": summary,
        "problems": problems,
        "errors": errors or [],
        "form": form,
        "over": any(row["over"] for row in summary),
        "cause_label": Cause(common["cause"]).label,
        "common": common,
        "nav": "keyaccounts",
    }
    return render(
        request,
        "keyaccounts/bulk_confirm.html",
        context,
        status=400 if errors else 200,
    )


@login_required
def bulk_handover_view(request: HttpRequest, employee_pk: int) -> HttpResponse:
    """GET: the manager's accounts and the choice of receivers; POST ``step=preview``: the
    confirmation; POST ``step=confirm``: every handover or none."""
    _require_manage(request)
    employee = get_object_or_404(Employee.objects.select_related("department"), pk=employee_pk)
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _bulk_confirm(request, employee)
    accounts = selectors.my_accounts(employee)
    form = _bulk_form(employee, accounts, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["rule"] == "each":
                pairs = form.plan_pairs()
            else:
                receivers = (
                    [form.employees[data["receiver"]]]
                    if data["rule"] == Rule.ONE
                    else [form.employees[pk] for pk in data["receivers"]]
                )
                plan = bulk_plan(
                    from_manager=employee,
                    rule=data["rule"],
                    receivers=receivers,
                    client_ids=data["clients"],
                )
                pairs = [(client.pk, receiver.pk) for client, receiver in plan]
        except ValidationError as error:
            _map_errors(form, error)
        else:
            common = {k: data[k] for k in ("cause", "reason", "notes", "effective")}
            return _confirmation(request, employee, pairs, common)
    context = {
        "employee": employee,
        "accounts": accounts,
        "form": form,
        "nav": "keyaccounts",
    }
    return render(
        request,
        "keyaccounts/bulk_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _bulk_confirm(request: HttpRequest, employee: Employee) -> HttpResponse:
    form = BulkConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The confirmation was incomplete: choose again."))
        return redirect("keyaccounts:bulk_handover", employee_pk=employee.pk)
    data = form.cleaned_data
    common = {k: data[k] for k in ("cause", "reason", "notes", "effective")}
    confirmed = data["confirm_over_limit"]
    rows, _summary, problems = _plan_rows(employee, data["plan"])
    if problems:
        # Something changed since the confirmation was shown: show the plan as it is now.
        return _confirmation(
            request, employee, data["plan"], common, errors=problems, confirmed=confirmed
        )
    try:
        done = handovers_bulk(
            plan=[(row["client"], row["receiver"]) for row in rows],
            user=request.user,
            confirm_over_limit=confirmed,
            from_manager=employee,
            **common,
        )
    except ValidationError as error:
        return _confirmation(
            request, employee, data["plan"], common, errors=error.messages, confirmed=confirmed
        )
    except HandoverConflict as conflict:
        return _confirmation(
            request, employee, data["plan"], common, errors=[str(conflict)], confirmed=confirmed
        )
    messages.success(
        request,
        ngettext(
            "%(n)s account of %(name)s is handed over.",
            "%(n)s accounts of %(name)s are handed over.",
            len(done),
        )
        % {"n": len(done), "name": employee.name},
    )
    return redirect("keyaccounts:board")
