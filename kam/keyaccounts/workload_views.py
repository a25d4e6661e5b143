"""Workload limits: the department's default and each manager's own (head and director set
them; whoever sees the department reads them)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.keyaccounts import selectors
from kam.keyaccounts.forms import WorkloadLimitForm
from kam.keyaccounts.models import WorkloadLimit
from kam.keyaccounts.services import (
    DEFAULT_MAX_ACCOUNTS,
    loads_of,
    workload_limit_remove,
    workload_limit_set,
)
from kam.keyaccounts.views import require_department_view
from kam.organization.models import Employee
from kam.web import access

DEFAULT_PREFIX = "default"


def _prefix(manager_pk: int | None) -> str:
    return f"m{manager_pk}" if manager_pk else DEFAULT_PREFIX


def _initial(row: WorkloadLimit | None) -> dict[str, Any]:
    if row is None:
        return {"max_accounts": DEFAULT_MAX_ACCOUNTS}
    return {"max_accounts": row.max_accounts, "max_revenue": row.max_revenue}


def _context(request: HttpRequest, bound: WorkloadLimitForm | None = None) -> dict[str, Any]:
    managers = list(selectors.department_managers())
    loads = loads_of(managers)
    rows = {r.manager_id: r for r in WorkloadLimit.objects.select_related("updated_by")}
    default = rows.get(None)
    can_manage = access.can_manage_department(request.user)

    def form_for(manager: Employee | None, row: WorkloadLimit | None) -> WorkloadLimitForm | None:
        if not can_manage:
            return None
        prefix = _prefix(manager.pk if manager else None)
        if bound is not None and bound.prefix == prefix:
            form = bound
        else:
            form = WorkloadLimitForm(prefix=prefix, initial=_initial(row or default))
        if manager is not None:
            # A manager's inputs sit in the table's cells; the form element is in the last one.
            for field in form.fields.values():
                field.widget.attrs["form"] = f"limit-{manager.pk}"
                field.widget.attrs["aria-label"] = f"{field.label}: {manager.name}"
        return form

    return {
        "default": default,
        "builtin": DEFAULT_MAX_ACCOUNTS,
        "default_form": form_for(None, default),
        "rows": [
            {
                "employee": m,
                "load": loads[m.pk],
                "own": rows.get(m.pk),
                "form": form_for(m, rows.get(m.pk)),
            }
            for m in managers
        ],
        "can_manage": can_manage,
        "nav": "keyaccounts",
    }


@login_required
def workload_view(request: HttpRequest) -> HttpResponse:
    """GET: limits and loads; POST (``manager`` empty for the default): set a limit."""
    require_department_view(request)
    if request.method != "POST":
        return render(request, "keyaccounts/workload.html", _context(request))
    if not access.can_manage_department(request.user):
        raise PermissionDenied(
            _("Workload limits are set by the key-account head or the director.")
        )
    raw = request.POST.get("manager", "")
    manager = (
        get_object_or_404(selectors.department_managers(), pk=int(raw)) if raw.isdigit() else None
    )
    form = WorkloadLimitForm(request.POST, prefix=_prefix(manager.pk if manager else None))
    if form.is_valid():
        try:
            workload_limit_set(
                manager=manager,
                max_accounts=form.cleaned_data["max_accounts"],
                max_revenue=form.cleaned_data["max_revenue"],
                user=request.user,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("The limit of %(who)s is saved.")
                % {"who": manager.name if manager else _("the department")},
            )
            return redirect("keyaccounts:workload")
    return render(request, "keyaccounts/workload.html", _context(request, form), status=400)


@login_required
@require_POST
def workload_remove_view(request: HttpRequest, employee_pk: int) -> HttpResponse:
    """Drop a manager's own limit: the department's default applies again."""
    require_department_view(request)
    if not access.can_manage_department(request.user):
        raise PermissionDenied(
            _("Workload limits are set by the key-account head or the director.")
        )
    manager = get_object_or_404(selectors.department_managers(), pk=employee_pk)
    workload_limit_remove(manager=manager, user=request.user)
    messages.success(
        request,
        _("%(name)s has the department's default limit again.") % {"name": manager.name},
    )
    return redirect("keyaccounts:workload")
