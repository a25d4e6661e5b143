"""The planning lists: my plans, the department's plans (state chips, filters, sorting, bulk
approve and return, the plan-vs-actual chart, CSV/XLSX), proposing plans in one click, and the
company's planning settings.

One plan's page, its editing and workflow are in plan_views. Every permission is asked of
kam.web.access; every write goes through kam.planning.services.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.planning import selectors, services
from kam.planning.choices import PeriodKind, PlanState
from kam.planning.filters import (
    SORTS,
    STATES,
    DepartmentQuery,
    department_query,
    period_from,
    plan_managers,
    row_manager,
    sort_rows,
)
from kam.planning.models import DevelopmentPlan
from kam.planning.periods import Period
from kam.planning.selectors import MISSING, PeriodPlans, PlanRow
from kam.planning.templatetags.planning import light_label, state_label
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.querystring import sort_links

PAGE_SIZE = 50
#: Names listed in a message before "and N more".
NAMES_SHOWN = 10
#: States that still wait for an approval (the approve-by deadline counts them).
NOT_APPROVED = (MISSING, PlanState.DRAFT, PlanState.SUBMITTED)


def _require_plans_reader(request: HttpRequest) -> None:
    if not access.can_view_plans(request.user):
        raise PermissionDenied(_("The department's plans are for those who see every client."))


def _period_context(
    period: Period, url_name: str, params: QueryDict | None = None
) -> dict[str, Any]:
    """The period switcher: previous, this, next and the current period (other parameters of
    the page kept, the page number dropped)."""
    base = reverse(url_name)
    current = services.current_period()

    def link(target: Period) -> str:
        query = params.copy() if params is not None else QueryDict(mutable=True)
        query.pop("page", None)
        query["period"] = target.code
        return f"{base}?{query.urlencode()}"

    return {
        "period": period,
        "previous_url": link(period.previous()),
        "next_url": link(period.next()),
        "current_url": link(current) if current != period else "",
        "current": current,
    }


def _names(plans_or_clients: list[Any]) -> str:
    names = [getattr(item, "client", item).name for item in plans_or_clients]
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        rest = len(names) - NAMES_SHOWN
        shown += " " + ngettext("and %(n)s more", "and %(n)s more", rest) % {"n": rest}
    return shown


def _totals(data: PeriodPlans) -> dict[str, Any]:
    target = data.revenue_target
    return {
        "target": target,
        "actual": data.revenue_actual,
        "forecast": data.revenue_forecast,
        "ratio": data.revenue_actual / target if target else None,
        "forecast_ratio": data.revenue_forecast / target if target else None,
    }


def _back(request: HttpRequest, default: str) -> str:
    """Where a POST goes back to: its ``next`` when it is a path of this site."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- My plans ----------------------------------------------------------------------------------


@login_required
def my_plans_view(request: HttpRequest) -> HttpResponse:
    """The manager's key accounts × a period: each account's plan (or "no plan" with a button to
    propose one), revenue target against actual and forecast, the light and the actions. Whoever
    reads every plan but keeps no accounts is sent to the department's plans."""
    user = request.user
    if not access.has_plans_page(user):
        if access.can_view_plans(user):
            query = request.GET.urlencode()
            return redirect(reverse("planning:department") + (f"?{query}" if query else ""))
        raise PermissionDenied(_("This page is for the key-account department's managers."))
    period, error = period_from(request.GET.get("period", ""))
    employee = access.user_employee(user)
    context: dict[str, Any] = {
        **_period_context(period, "planning:mine"),
        "employee": employee,
        "error": error,
        "nav": "planning",
        "can_view_department": access.can_view_plans(user),
        "here": request.get_full_path(),
    }
    if employee is not None:
        data = selectors.my_plans(employee, period)
        proposable = {
            r.client.pk
            for r in data.rows
            if r.plan is None
            and r.client.status == ClientStatus.KEY
            and access.can_create_plan(user, r.client)
        }
        context.update(
            {
                "data": data,
                "rows": data.rows,
                "counts": [(s, state_label(s), data.counts.get(s, 0)) for s in STATES],
                "totals": _totals(data),
                "proposable": proposable,
                "returned": sum(
                    1
                    for r in data.rows
                    if r.plan is not None
                    and r.plan.state == PlanState.DRAFT
                    and r.plan.return_comment
                ),
            }
        )
    return render(request, "planning/mine.html", context, status=400 if error else 200)


# --- The department's plans --------------------------------------------------------------------


def _department_rows(query: DepartmentQuery) -> tuple[PeriodPlans, Counter[str], list[PlanRow]]:
    """The period's rows of the query's manager (all managers without one), the counts by
    state over them, and the rows of the query's state, sorted."""
    data = selectors.department_plans(query.period, manager=query.manager)
    counts = Counter(r.state for r in data.rows)
    rows = [r for r in data.rows if not query.state or r.state == query.state]
    return data, counts, sort_rows(rows, query.sort)


def _deadline(period: Period, counts: Counter[str]) -> dict[str, Any]:
    """The approve-by day of the period and how many accounts are not approved yet."""
    day = services.approve_by(period)
    waiting = sum(counts.get(s, 0) for s in NOT_APPROVED)
    return {
        "date": day,
        "waiting": waiting,
        "late": waiting > 0 and timezone.localdate() > day,
    }


def _sort_links(query: DepartmentQuery) -> dict[str, dict[str, str]]:
    return sort_links(reverse("planning:department"), query.params(), query.sort, SORTS)


def _chips(query: DepartmentQuery, counts: Counter[str]) -> list[dict[str, Any]]:
    base = reverse("planning:department")
    chips = [
        {
            "state": "",
            "label": _("All"),
            "count": sum(counts.values()),
            "url": f"{base}?{query.params(state=None).urlencode()}",
            "active": not query.state,
        }
    ]
    for state in STATES:
        chips.append(
            {
                "state": state,
                "label": state_label(state),
                "count": counts.get(state, 0),
                "url": f"{base}?{query.params(state=state).urlencode()}",
                "active": query.state == state,
            }
        )
    return chips


def _chart_rows(rows: list[PlanRow]) -> list[dict[str, Any]]:
    """Target, actual and forecast of revenue per account with a revenue target."""
    chart = []
    for row in rows:
        revenue = row.revenue
        if revenue is None or revenue.target.value is None:
            continue
        chart.append(
            {
                "label": row.client.name,
                "target": float(revenue.target.value),
                "actual": revenue.actual,
                "forecast": revenue.forecast,
            }
        )
    return chart


@login_required
def department_view(request: HttpRequest) -> HttpResponse:
    """GET: every key account × the period with its plan's state and progress. POST: approve or
    return the ticked plans (a confirmation page first)."""
    user = request.user
    if not access.can_view_plans(user):
        if access.has_plans_page(user):
            period = request.GET.get("period", "")
            return redirect(
                reverse("planning:mine") + (f"?{urlencode({'period': period})}" if period else "")
            )
        _require_plans_reader(request)
    if request.method == "POST":
        return _bulk(request)
    query = department_query(request.GET)
    data, counts, rows = _department_rows(query)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    approver = access.approves_plans(user)
    encoded = query.params().urlencode()
    context = {
        **_period_context(query.period, "planning:department", query.params()),
        "query": query,
        "query_string": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "errors": query.errors,
        "page": page,
        "rows": page.object_list,
        "counts": counts,
        "chips": _chips(query, counts),
        "totals": _totals(data),
        "deadline": _deadline(query.period, counts),
        "data_until": data.data_until,
        "managers": list(plan_managers(query.period).values_list("pk", "name")),
        "sorts": [(key, label) for key, (label, _key) in SORTS.items()],
        "sort_links": _sort_links(query),
        "chart": _chart_rows(list(page.object_list)),
        "selectable": approver,
        "can_propose_all": approver and counts.get(MISSING, 0) > 0,
        "proposable": {
            r.client.pk
            for r in page.object_list
            if r.plan is None
            and r.client.status == ClientStatus.KEY
            and access.can_create_plan(user, r.client)
        },
        "has_own_page": access.has_plans_page(user),
        "can_change_settings": access.can_change_planning_settings(user),
        "show_manager": True,
        "here": request.get_full_path(),
        "nav": "planning",
    }
    return render(request, "planning/department.html", context, status=400 if query.errors else 200)


BULK_ACTIONS = {"approve", "return"}


def _bulk(request: HttpRequest) -> HttpResponse:
    """Approve or return the ticked plans: the first POST shows what will happen, the second
    (``confirm=yes``) does it; each plan is its own transaction and refusals come back with the
    reason."""
    user = request.user
    if not access.approves_plans(user):
        raise PermissionDenied(_("Plans are approved by the key-account head or the director."))
    action = request.POST.get("do", "")
    if action not in BULK_ACTIONS:
        raise Http404
    query = request.POST.get("query", "")
    back = reverse("planning:department") + (f"?{query}" if query else "")
    ids = sorted({int(v) for v in request.POST.getlist("plan") if v.isdigit()})
    plans = list(
        access.plan_scope(user, selectors.plans_queryset())
        .filter(pk__in=ids)
        .order_by("client__name", "pk")
    )
    if not plans:
        messages.warning(request, _("Tick the plans first."))
        return redirect(back)
    comment = request.POST.get("comment", "").strip()
    if request.POST.get("confirm") != "yes":
        return _confirmation(request, action, plans, comment, query)
    if action == "approve":
        result = services.plans_approve_bulk(plans=plans, user=user, comment=comment)
        if result.done:
            messages.success(
                request,
                ngettext(
                    "Approved %(n)s plan: %(names)s.",
                    "Approved %(n)s plans: %(names)s.",
                    len(result.done),
                )
                % {"n": len(result.done), "names": _names(result.done)},
            )
    else:
        try:
            result = services.plans_return_bulk(plans=plans, user=user, comment=comment)
        except ValidationError as error:
            return _confirmation(
                request, action, plans, comment, query, error=" ".join(error.messages)
            )
        if result.done:
            messages.success(
                request,
                ngettext(
                    "Returned %(n)s plan for rework: %(names)s.",
                    "Returned %(n)s plans for rework: %(names)s.",
                    len(result.done),
                )
                % {"n": len(result.done), "names": _names(result.done)},
            )
    for plan, reason in result.refused:
        if action == "approve":
            text = _("Not approved: %(client)s — %(reason)s")
        else:
            text = _("Not returned: %(client)s — %(reason)s")
        messages.warning(request, text % {"client": plan.client.name, "reason": reason})
    return redirect(back)


def _confirmation(
    request: HttpRequest,
    action: str,
    plans: list[DevelopmentPlan],
    comment: str,
    query: str,
    *,
    error: str = "",
) -> HttpResponse:
    context = {
        "action": action,
        "plans": plans,
        "comment": comment,
        "query": query,
        "back": reverse("planning:department") + (f"?{query}" if query else ""),
        "error": error,
        "nav": "planning",
    }
    return render(request, "planning/bulk_confirm.html", context, status=400 if error else 200)


# --- Export ------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "period",
    "client_code",
    "client",
    "manager_code",
    "manager",
    "state",
    "revenue_target",
    "revenue_actual",
    "revenue_forecast",
    "percent_of_target",
    "light",
    "actions_done",
    "actions_total",
    "actions_overdue",
    "submitted_at",
    "approved_at",
    "plan_id",
]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.get_current_timezone()).replace(tzinfo=None, microsecond=0)


def export_row(row: PlanRow, period: Period) -> list[Any]:
    manager = row_manager(row)
    revenue = row.revenue
    plan = row.plan
    ratio = revenue.ratio if revenue is not None else None
    return [
        period.code,
        row.client.code,
        row.client.name,
        manager.code if manager else "",
        manager.name if manager else "",
        state_label(row.state),
        float(revenue.target.value)
        if revenue is not None and revenue.target.value is not None
        else None,
        revenue.actual if revenue is not None else None,
        revenue.forecast if revenue is not None else None,
        round(ratio * 100, 1) if ratio is not None else None,
        light_label(row.progress) if row.progress is not None else "",
        getattr(plan, "actions_done", None) if plan else None,
        getattr(plan, "actions_total", None) if plan else None,
        getattr(plan, "actions_overdue", None) if plan else None,
        _local(plan.submitted_at) if plan else None,
        _local(plan.approved_at) if plan else None,
        plan.pk if plan else None,
    ]


@login_required
def department_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The department's table (the page's filters and sorting, every page) as CSV or XLSX."""
    _require_plans_reader(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    query = department_query(request.GET)
    if query.errors:
        return HttpResponse(" ".join(query.errors), status=400, content_type="text/plain")
    _data, _counts, rows = _department_rows(query)
    lines = [export_row(r, query.period) for r in rows]
    name = f"plans-{query.period.code}"
    if fmt == "csv":
        return csv_response(f"{name}.csv", EXPORT_HEADER, lines)
    return xlsx_response(f"{name}.xlsx", _("Plans"), EXPORT_HEADER, lines)


# --- Proposing plans ---------------------------------------------------------------------------


def _without_plan(period: Period) -> Any:
    return ~Exists(
        DevelopmentPlan.objects.filter(
            client=OuterRef("pk"), period_start__lte=period.end, period_end__gte=period.start
        )
    )


@login_required
@require_POST
def plans_create_view(request: HttpRequest) -> HttpResponse:
    """A proposed plan for every key account in the user's scope without one for the period:
    the head and the director all of them (only their own with ``scope=mine``, one manager's
    with ``manager``), a manager their own."""
    user = request.user
    if not access.makes_plans(user):
        raise PermissionDenied(
            _("Plans are made by the account's manager, the key-account head or the director.")
        )
    default = reverse("planning:mine" if access.has_plans_page(user) else "planning:department")
    back = _back(request, default)
    period, error = period_from(request.POST.get("period", ""))
    if error:
        messages.error(request, error)
        return redirect(back)
    clients = (
        Client.objects.filter(status=ClientStatus.KEY)
        .filter(_without_plan(period))
        .select_related("responsible")
        .order_by("name")
    )
    if request.POST.get("scope") == "mine" or not access.approves_plans(user):
        employee = access.user_employee(user)
        clients = clients.filter(responsible=employee) if employee else clients.none()
    elif request.POST.get("manager", "").isdigit():
        # The department page filtered by a manager proposes for that manager's accounts.
        clients = clients.filter(responsible_id=int(request.POST["manager"]))
    result = services.plans_create_missing(user=user, period=period, clients=list(clients))
    if result.created:
        messages.success(
            request,
            ngettext(
                "Proposed %(n)s plan for %(period)s: %(names)s. Check it and submit it.",
                "Proposed %(n)s plans for %(period)s: %(names)s. Check them and submit them.",
                len(result.created),
            )
            % {"n": len(result.created), "period": period, "names": _names(result.created)},
        )
    elif not result.skipped:
        messages.info(
            request,
            _("Every key account here already has a plan for %(period)s.") % {"period": period},
        )
    for _client, reason in result.skipped[:NAMES_SHOWN]:
        messages.warning(request, reason)
    if len(result.skipped) > NAMES_SHOWN:
        rest = len(result.skipped) - NAMES_SHOWN
        messages.warning(
            request,
            ngettext(
                "%(n)s more account could not get a plan.",
                "%(n)s more accounts could not get a plan.",
                rest,
            )
            % {"n": rest},
        )
    return redirect(back)


@login_required
@require_POST
def plan_create_view(request: HttpRequest, client_pk: int) -> HttpResponse:
    """A proposed plan for one key account (the period posted, the current one by default),
    then its page; when it cannot be made, the reason and back."""
    user = request.user
    if not access.makes_plans(user):
        raise PermissionDenied(
            _("Plans are made by the account's manager, the key-account head or the director.")
        )
    client = get_object_or_404(
        access.client_scope(user, Client.objects.select_related("responsible")), pk=client_pk
    )
    default = reverse("planning:mine" if access.has_plans_page(user) else "planning:department")
    back = _back(request, default)
    period, error = period_from(request.POST.get("period", ""))
    if error:
        messages.error(request, error)
        return redirect(back)
    try:
        plan = services.plan_create(client=client, user=user, period=period)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect(back)
    messages.success(
        request,
        _("A plan for %(client)s for %(period)s is proposed: check it and submit it for approval.")
        % {"client": client.name, "period": period},
    )
    return redirect("planning:detail", pk=plan.pk)


# --- Settings ----------------------------------------------------------------------------------


class PlanningSettingsForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Planning period"),
        choices=PeriodKind.choices,
        widget=forms.RadioSelect,
    )
    approve_by_day = forms.IntegerField(
        label=gettext_lazy("Plans approved by day"),
        min_value=1,
        max_value=28,
        help_text=gettext_lazy(
            "Every key account's plan is expected to be approved by this day of the period (1–28)."
        ),
    )


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    """GET: the planning period and the approve-by day (read-only for whoever may not change
    them); POST: change them (the key-account head and the director)."""
    user = request.user
    if not (access.can_view_plans(user) or access.has_plans_page(user)):
        raise PermissionDenied(_("The planning settings are for the planning pages' users."))
    can_change = access.can_change_planning_settings(user)
    current = services.planning_settings()
    form = None
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(
                _("Planning settings are set by the key-account head or the director.")
            )
        form = PlanningSettingsForm(request.POST)
        if form.is_valid():
            try:
                saved = services.planning_settings_update(
                    period=form.cleaned_data["period"],
                    approve_by_day=form.cleaned_data["approve_by_day"],
                    user=user,
                )
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _(
                        "The planning settings are saved: plans made from now on cover a "
                        "%(period)s and are approved by day %(day)s. Existing plans keep their "
                        "period."
                    )
                    % {
                        "period": saved.get_period_display().lower(),
                        "day": saved.approve_by_day,
                    },
                )
                return redirect("planning:settings")
        status = 400
    elif can_change:
        form = PlanningSettingsForm(
            initial={"period": current.period, "approve_by_day": current.approve_by_day}
        )
    context = {
        "settings": current,
        "form": form,
        "can_change": can_change,
        "current_period": services.current_period(),
        "plans_url": reverse(
            "planning:department" if access.can_view_plans(user) else "planning:mine"
        ),
        "nav": "planning",
    }
    return render(request, "planning/settings.html", context, status=status)
