"""One development plan: its page (header, goal, targets against the ledger, actions, the
plan-vs-actual chart, history), inline editing, the workflow (submit, approve, return, close),
and the printable page and XLSX for the client meeting.

Inline editing is HTMX: a row swaps to its form and back; a refused save answers 422 with the
form and the service's message beside the field. Every form also works without JavaScript
(a plain POST, then a redirect, or the page again with the errors). Whether a change is allowed
the services decide (kam.planning.services); the page only hides what the user cannot do.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kam.ledger.models import MonthlyRollup
from kam.ledger.months import month_start
from kam.planning import selectors, services
from kam.planning.actuals import (
    PlanProgress,
    TargetProgress,
    daily_revenue,
    data_until,
    plans_progress,
)
from kam.planning.choices import (
    LOWER_IS_BETTER,
    MEASURED_TARGETS,
    MONEY_TARGETS,
    EventKind,
    Light,
    PlanState,
    TargetKind,
)
from kam.planning.forms import (
    EDIT,
    RECORD,
    ActionForm,
    ApproveForm,
    CloseForm,
    ReturnForm,
    SummaryForm,
    TargetForm,
)
from kam.planning.models import DevelopmentPlan, PlanAction, PlanTarget
from kam.planning.proposals import basis_text
from kam.rules.guards import GuardRefused
from kam.rules.web import rule_refusal_messages
from kam.web import access
from kam.web.exports import xlsx_response

#: A partial (HTMX) answered with its form and the errors; the page's script swaps it in.
PARTIAL_INVALID = 422
#: The whole page again with the errors (no JavaScript), as the other pages answer.
PAGE_INVALID = 400


# --- Reading -----------------------------------------------------------------------------------


def _htmx(request: HttpRequest) -> bool:
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "boosted", False)


def _plan(request: HttpRequest, pk: int) -> DevelopmentPlan:
    """The plan with its targets, actions and history, if the user may read it (403 otherwise,
    as a handover the user may not see)."""
    access.require_role(request)
    try:
        plan = selectors.plan_detail(pk)
    except DevelopmentPlan.DoesNotExist:
        raise Http404(_("No such plan.")) from None
    if not access.can_view_plan(request.user, plan):
        raise PermissionDenied(_("You may not see this plan."))
    return plan


def _detail_url(plan: DevelopmentPlan, anchor: str = "") -> str:
    url = reverse("planning:detail", args=[plan.pk])
    return f"{url}#{anchor}" if anchor else url


def _money(value: float | None) -> str:
    return "" if value is None else number_format(round(value), 0, force_grouping=True)


def figure_text(kind: str, value: Any) -> str:
    """A target's number as the page shows it: money grouped, counts and days whole."""
    if value is None:
        return ""
    if kind in MONEY_TARGETS:
        return _money(float(value))
    return number_format(round(float(value)), 0)


@dataclass
class TargetRow:
    """One target as its row shows it: the numbers formatted, the proposal's basis in words."""

    target: PlanTarget
    actual: float | None
    forecast: float | None
    light: str
    ratio: float | None
    basis: str
    note: str = ""

    @property
    def kind(self) -> str:
        return self.target.kind

    @property
    def measured(self) -> bool:
        return self.target.kind in MEASURED_TARGETS

    @property
    def value_text(self) -> str:
        return figure_text(self.kind, self.target.value)

    @property
    def proposed_text(self) -> str:
        return figure_text(self.kind, self.target.proposed_value)

    @property
    def actual_text(self) -> str:
        return figure_text(self.kind, self.actual)

    @property
    def forecast_text(self) -> str:
        return figure_text(self.kind, self.forecast)

    @property
    def percent(self) -> float | None:
        return None if self.ratio is None else self.ratio * 100

    @property
    def light_label(self) -> str:
        return str(Light(self.light).label)

    @property
    def changed(self) -> bool:
        """The value differs from the proposal (the manager changed it)."""
        proposed = self.target.proposed_value
        return proposed is not None and self.target.value != proposed


def _target_rows(progress: PlanProgress) -> list[TargetRow]:
    rows = []
    for item in progress.targets:
        note = ""
        if item.target.kind == TargetKind.NEW_GROUPS and progress.actuals.new_groups:
            note = _("Bought: %(groups)s") % {"groups": ", ".join(progress.actuals.new_groups)}
        rows.append(_target_row(item, note))
    return rows


def _target_row(item: TargetProgress, note: str = "") -> TargetRow:
    return TargetRow(
        target=item.target,
        actual=item.actual,
        forecast=item.forecast,
        light=item.light,
        ratio=item.ratio,
        basis=basis_text(item.target.basis),
        note=note,
    )


@dataclass
class May:
    """What the user may do on this plan (the services check again on every write)."""

    write: bool
    edit_targets: bool
    edit_actions: bool
    submit: bool
    approve: bool
    return_: bool
    close: bool
    closes_later: bool
    employee_pk: int | None
    #: The user may override a rule that refuses the approval (with a reason).
    override: bool = False

    def record(self, action: PlanAction) -> bool:
        """Whether the user records this action's status and outcome (owner or doer)."""
        return self.edit_actions or (
            self.employee_pk is not None and action.responsible_id == self.employee_pk
        )


def _may(request: HttpRequest, plan: DevelopmentPlan) -> May:
    from kam.rules.guards import may_override

    user = request.user
    closed = plan.state == PlanState.CLOSED
    writer = access.can_write_plan(user, plan)
    approver = access.can_approve_plan(user, plan)
    closer = not closed and access.can_close_plan(user, plan)
    ended = timezone.localdate() > plan.period_end
    employee = access.user_employee(user)
    return May(
        write=writer,
        edit_targets=writer and plan.state == PlanState.DRAFT,
        edit_actions=writer and not closed,
        submit=writer and plan.state == PlanState.DRAFT,
        approve=approver and plan.state == PlanState.SUBMITTED,
        return_=approver and plan.state in (PlanState.SUBMITTED, PlanState.APPROVED),
        close=closer and ended,
        closes_later=closer and not ended,
        employee_pk=employee.pk if employee is not None else None,
        override=approver
        and plan.state == PlanState.SUBMITTED
        and may_override(user, "development_plan"),
    )


def _actions(plan: DevelopmentPlan) -> list[PlanAction]:
    actions = list(plan.actions.all())
    for action in actions:
        carried = action.carried_from
        action.carried_label = (  # type: ignore[attr-defined]
            carried.plan.period.label if carried is not None else ""
        )
    return actions


def pace_rows(
    plan: DevelopmentPlan, progress: PlanProgress, until: dt.date | None
) -> list[dict[str, Any]]:
    """The chart's rows: each day of the period, the cumulative revenue up to the data date
    (null after it) and the revenue target spread evenly over the days. Empty without a
    revenue target."""
    revenue = progress.target_of(TargetKind.REVENUE)
    if revenue is None or revenue.target.value is None:
        return []
    period = plan.period
    series = dict(daily_revenue([plan.client_id], period).get(plan.client_id, []))
    last = min(until, timezone.localdate(), period.end) if until is not None else None
    target = float(revenue.target.value)
    rows = []
    running = 0.0
    for index in range(period.days):
        day = period.start + dt.timedelta(days=index)
        running = series.get(day, running)
        rows.append(
            {
                "day": day.isoformat(),
                "actual": running if last is not None and day <= last else None,
                "target": round(target * (index + 1) / period.days, 2),
            }
        )
    return rows


def _product_groups(plan: DevelopmentPlan) -> list[str]:
    """Groups the client bought in the last two years (suggestions for a group's target)."""
    return list(
        MonthlyRollup.objects.filter(
            client_id=plan.client_id, month__gte=month_start(plan.period_start, 24)
        )
        .exclude(product_group="")
        .values_list("product_group", flat=True)
        .distinct()
        .order_by("product_group")
    )


def _plans_url(request: HttpRequest) -> str:
    """The list the crumbs lead back to: the department's plans or one's own."""
    if access.can_view_plans(request.user):
        return reverse("planning:department")
    return reverse("planning:mine")


def _target_columns(plan: DevelopmentPlan, may: May) -> int:
    """Columns of the targets table: a closed plan's results, or progress (and the buttons)."""
    return 6 if plan.state == PlanState.CLOSED else 7 + int(may.edit_targets)


@dataclass
class Forms:
    """The page's forms; a bound one (with errors) replaces its blank default."""

    summary: SummaryForm | None = None
    editing_target: int | None = None
    target: TargetForm | None = None
    add_target: TargetForm | None = None
    editing_action: int | None = None
    action: ActionForm | None = None
    add_action: ActionForm | None = None
    approve: ApproveForm | None = None
    return_: ReturnForm | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _page_context(request: HttpRequest, plan: DevelopmentPlan, forms: Forms) -> dict[str, Any]:
    today = timezone.localdate()
    until = data_until()
    progress = plans_progress([plan], today, until=until)[plan.pk]
    may = _may(request, plan)
    events = list(plan.events.all())
    returned = next((e for e in reversed(events) if e.kind == EventKind.RETURNED), None)
    previous = plan.copied_from
    if previous is not None and not access.can_view_plan(request.user, previous):
        previous = None
    if may.edit_targets and forms.add_target is None:
        forms.add_target = TargetForm(prefix="new-target")
    if may.edit_actions and forms.add_action is None:
        forms.add_action = ActionForm(plan=plan, prefix="new-action")
    if may.approve and forms.approve is None:
        forms.approve = ApproveForm(prefix="approve")
    if may.return_ and forms.return_ is None:
        forms.return_ = ReturnForm(prefix="return")
    targets = [item.target for item in progress.targets]
    return {
        "plan": plan,
        "period": plan.period,
        "progress": progress,
        "rows": _target_rows(progress),
        "judged": sum(1 for t in targets if t.met is not None),
        "met_count": sum(1 for t in targets if t.met),
        "actions": _actions(plan),
        "events": events,
        "returned": returned if plan.state == PlanState.DRAFT and plan.return_comment else None,
        "previous": previous,
        "previous_period": previous.period if previous is not None else None,
        "may": may,
        "today": today,
        "data_until": until,
        "pace": pace_rows(plan, progress, until),
        "forms": forms,
        "product_groups": _product_groups(plan) if may.edit_targets else [],
        "target_columns": _target_columns(plan, may),
        "plans_url": _plans_url(request),
        "nav": "planning",
        **forms.extra,
    }


def _page(
    request: HttpRequest, plan: DevelopmentPlan, forms: Forms | None = None, status: int = 200
) -> HttpResponse:
    context = _page_context(request, plan, forms or Forms())
    return render(request, "planning/plan_detail.html", context, status=status)


@login_required
def plan_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's card and editor."""
    return _page(request, _plan(request, pk))


# --- Errors of the services onto the forms -----------------------------------------------------


def _map_errors(form: Any, error: ValidationError) -> None:
    """The service's field errors beside their fields, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        for item in errors:
            form.add_error(name if name in form.fields else None, item.messages)


def _refused(request: HttpRequest, plan: DevelopmentPlan, error: ValidationError) -> HttpResponse:
    """A change the plan's state no longer allows: the page again with the message."""
    messages.error(request, " ".join(error.messages))
    if _htmx(request):
        return HttpResponseClientRedirect(_detail_url(plan))
    return redirect(_detail_url(plan))


def _state_refusal(plan: DevelopmentPlan, *, draft: bool = False) -> ValidationError:
    """Why the plan's state refuses a change, in the services' words: a closed plan never
    changes; targets and the goal change only in a draft."""
    if plan.state == PlanState.CLOSED or not draft:
        return ValidationError(_("The plan is closed: its results are final and it cannot change."))
    return ValidationError(
        _("The plan is %(state)s: targets change only in a draft (ask for it to be returned).")
        % {"state": plan.get_state_display().lower()}
    )


def _with_pace(request: HttpRequest, response: HttpResponse, plan: DevelopmentPlan) -> HttpResponse:
    """Add the chart's panel out of band (in a ``<template>``, which parses beside a table
    row): the revenue target's line moves with the target."""
    progress = plans_progress([plan], timezone.localdate())[plan.pk]
    context = {"pace": pace_rows(plan, progress, data_until()), "oob": True}
    panel = render_to_string("planning/_plan_pace.html", context, request=request)
    response.content = response.content + f"<template>{panel}</template>".encode()
    return response


def _fresh(plan: DevelopmentPlan) -> DevelopmentPlan:
    return selectors.plan_detail(plan.pk)


# --- The goal ----------------------------------------------------------------------------------


@login_required
def summary_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the goal's form (HTMX: only the panel; ``?cancel`` the panel as it is); POST: save."""
    plan = _plan(request, pk)
    may = _may(request, plan)
    if request.method == "GET" and "cancel" in request.GET and _htmx(request):
        return render(request, "planning/_plan_summary.html", {"plan": plan, "may": may})
    if not may.write:
        raise PermissionDenied(_("Only the account's responsible manager writes this plan."))
    if not may.edit_targets:
        return _refused(request, plan, _state_refusal(plan, draft=True))
    form = SummaryForm(initial={"summary": plan.summary})
    status = 200
    if request.method == "POST":
        form = SummaryForm(request.POST)
        if form.is_valid():
            try:
                services.plan_summary_update(
                    plan=plan, user=request.user, summary=form.cleaned_data["summary"]
                )
            except ValidationError as error:
                _map_errors(form, error)
            else:
                if _htmx(request):
                    context = {"plan": _fresh(plan), "may": may}
                    return render(request, "planning/_plan_summary.html", context)
                messages.success(request, _("The goal for the period is saved."))
                return redirect(_detail_url(plan, "summary"))
        status = PARTIAL_INVALID if _htmx(request) else PAGE_INVALID
    if _htmx(request):
        context = {"plan": plan, "may": may, "form": form}
        return render(request, "planning/_plan_summary_form.html", context, status=status)
    return _page(request, plan, Forms(summary=form), status=status)


# --- Targets -----------------------------------------------------------------------------------


def _require_writer(request: HttpRequest, plan: DevelopmentPlan) -> May:
    services.require_writer(plan, request.user)
    return _may(request, plan)


def _target_partial(
    request: HttpRequest,
    plan: DevelopmentPlan,
    target_pk: int,
    form: TargetForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """One target's row, or its form when ``form`` is given."""
    today = timezone.localdate()
    progress = plans_progress([plan], today)[plan.pk]
    rows = {row.target.pk: row for row in _target_rows(progress)}
    if target_pk not in rows:
        raise Http404(_("No such target in this plan."))
    may = _may(request, plan)
    context = {
        "plan": plan,
        "row": rows[target_pk],
        "may": may,
        "form": form,
        "target_columns": _target_columns(plan, may),
    }
    template = "planning/_target_form.html" if form is not None else "planning/_target_row.html"
    return render(request, template, context, status=status)


def _target_of(plan: DevelopmentPlan, target_pk: int) -> PlanTarget:
    found = next((t for t in plan.targets.all() if t.pk == target_pk), None)
    if found is None:
        raise Http404(_("No such target in this plan."))
    return found


@login_required
def target_edit_view(request: HttpRequest, pk: int, target_pk: int) -> HttpResponse:
    """GET: the row's form (HTMX) or the page with the row open; ``?cancel``: the row.
    POST: save; the row again, or the form with the errors (422)."""
    plan = _plan(request, pk)
    target = _target_of(plan, target_pk)
    if request.method == "GET" and "cancel" in request.GET:
        if _htmx(request):
            return _target_partial(request, plan, target.pk)
        return redirect(_detail_url(plan, f"target-{target.pk}"))
    may = _require_writer(request, plan)
    form_id = f"target-form-{target.pk}"
    if request.method != "POST":
        if not may.edit_targets:
            return _refused(request, plan, _state_refusal(plan, draft=True))
        form = TargetForm(target=target, form_id=form_id)
        if _htmx(request):
            return _target_partial(request, plan, target.pk, form)
        return _page(request, plan, Forms(editing_target=target.pk, target=form))
    form = TargetForm(request.POST, target=target, form_id=form_id)
    if form.is_valid():
        try:
            services.target_update(target=target, user=request.user, **form.service_arguments())
        except ValidationError as error:
            if not hasattr(error, "error_dict") and not _htmx(request):
                return _refused(request, plan, error)
            _map_errors(form, error)
        else:
            if _htmx(request):
                fresh = _fresh(plan)
                response = _target_partial(request, fresh, target.pk)
                if target.kind == TargetKind.REVENUE:
                    _with_pace(request, response, fresh)
                return response
            messages.success(request, _("The target is saved."))
            return redirect(_detail_url(plan, f"target-{target.pk}"))
    if _htmx(request):
        return _target_partial(request, plan, target.pk, form, status=PARTIAL_INVALID)
    return _page(request, plan, Forms(editing_target=target.pk, target=form), status=PAGE_INVALID)


def _targets_section(
    request: HttpRequest, plan: DevelopmentPlan, forms: Forms, status: int = 200
) -> HttpResponse:
    context = _page_context(request, plan, forms)
    return render(request, "planning/_plan_targets.html", context, status=status)


@login_required
def target_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: a new target; HTMX gets the targets panel again (with the errors: 422)."""
    plan = _plan(request, pk)
    may = _require_writer(request, plan)
    if request.method != "POST":
        return redirect(_detail_url(plan, "targets"))
    if not may.edit_targets:
        return _refused(request, plan, _state_refusal(plan, draft=True))
    form = TargetForm(request.POST, prefix="new-target")
    if form.is_valid():
        try:
            target = services.target_add(
                plan=plan,
                user=request.user,
                kind=form.cleaned_data["kind"],
                **form.service_arguments(),
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict") and not _htmx(request):
                return _refused(request, plan, error)
            _map_errors(form, error)
        else:
            if _htmx(request):
                fresh = _fresh(plan)
                response = _targets_section(request, fresh, Forms())
                if target.kind == TargetKind.REVENUE:
                    _with_pace(request, response, fresh)
                return response
            messages.success(request, _("The target is added."))
            return redirect(_detail_url(plan, f"target-{target.pk}"))
    if _htmx(request):
        return _targets_section(request, plan, Forms(add_target=form), PARTIAL_INVALID)
    return _page(request, plan, Forms(add_target=form), status=PAGE_INVALID)


@login_required
@require_POST
def target_remove_view(request: HttpRequest, pk: int, target_pk: int) -> HttpResponse:
    """Remove a target (HTMX: an empty answer takes the row away)."""
    plan = _plan(request, pk)
    target = _target_of(plan, target_pk)
    _require_writer(request, plan)
    try:
        services.target_remove(target=target, user=request.user)
    except ValidationError as error:
        return _refused(request, plan, error)
    if _htmx(request):
        response = HttpResponse("")
        if target.kind == TargetKind.REVENUE:
            _with_pace(request, response, _fresh(plan))
        return response
    messages.success(request, _("The target is removed."))
    return redirect(_detail_url(plan, "targets"))


# --- Actions -----------------------------------------------------------------------------------


def _action_of(plan: DevelopmentPlan, action_pk: int) -> PlanAction:
    found = next((a for a in _actions(plan) if a.pk == action_pk), None)
    if found is None:
        raise Http404(_("No such action in this plan."))
    return found


def _action_partial(
    request: HttpRequest,
    plan: DevelopmentPlan,
    action: PlanAction,
    form: ActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "plan": plan,
        "action": action,
        "may": _may(request, plan),
        "form": form,
        "today": timezone.localdate(),
    }
    template = "planning/_action_form.html" if form is not None else "planning/_action_row.html"
    return render(request, template, context, status=status)


@login_required
def action_edit_view(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    """The plan's owner edits an action; the employee responsible for it records its status
    and outcome. GET: the row's form; POST: save (the row again, or the form with errors)."""
    plan = _plan(request, pk)
    action = _action_of(plan, action_pk)
    if request.method == "GET" and "cancel" in request.GET:
        if _htmx(request):
            return _action_partial(request, plan, action)
        return redirect(_detail_url(plan, f"action-{action.pk}"))
    may = _may(request, plan)
    if plan.state == PlanState.CLOSED:
        return _refused(request, plan, _state_refusal(plan))
    if not may.record(action):
        raise PermissionDenied(
            _(
                "Only the plan's owner edits its actions; the employee responsible for an action "
                "records its outcome."
            )
        )
    mode = EDIT if may.edit_actions else RECORD
    form_id = f"action-form-{action.pk}"
    if request.method != "POST":
        form = ActionForm(plan=plan, action=action, mode=mode, form_id=form_id)
        if _htmx(request):
            return _action_partial(request, plan, action, form)
        return _page(request, plan, Forms(editing_action=action.pk, action=form))
    form = ActionForm(request.POST, plan=plan, action=action, mode=mode, form_id=form_id)
    if form.is_valid():
        try:
            services.action_update(action=action, user=request.user, **form.service_arguments())
        except ValidationError as error:
            if not hasattr(error, "error_dict") and not _htmx(request):
                return _refused(request, plan, error)
            _map_errors(form, error)
        else:
            if _htmx(request):
                fresh = _fresh(plan)
                return _action_partial(request, fresh, _action_of(fresh, action.pk))
            messages.success(request, _("The action is saved."))
            return redirect(_detail_url(plan, f"action-{action.pk}"))
    if _htmx(request):
        return _action_partial(request, plan, action, form, status=PARTIAL_INVALID)
    return _page(request, plan, Forms(editing_action=action.pk, action=form), status=PAGE_INVALID)


@login_required
def action_add_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: a new action; HTMX gets the actions panel again (with the errors: 422)."""
    plan = _plan(request, pk)
    may = _require_writer(request, plan)
    if request.method != "POST":
        return redirect(_detail_url(plan, "actions"))
    if not may.edit_actions:
        return _refused(request, plan, _state_refusal(plan))
    form = ActionForm(request.POST, plan=plan, prefix="new-action")
    if form.is_valid():
        data = form.service_arguments()
        try:
            action = services.action_add(plan=plan, user=request.user, **data)
        except ValidationError as error:
            if not hasattr(error, "error_dict") and not _htmx(request):
                return _refused(request, plan, error)
            _map_errors(form, error)
        else:
            if _htmx(request):
                context = _page_context(request, _fresh(plan), Forms())
                return render(request, "planning/_plan_actions.html", context)
            messages.success(request, _("The action is added."))
            return redirect(_detail_url(plan, f"action-{action.pk}"))
    status = PARTIAL_INVALID if _htmx(request) else PAGE_INVALID
    if _htmx(request):
        context = _page_context(request, plan, Forms(add_action=form))
        return render(request, "planning/_plan_actions.html", context, status=status)
    return _page(request, plan, Forms(add_action=form), status=status)


@login_required
@require_POST
def action_remove_view(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    action = _action_of(plan, action_pk)
    _require_writer(request, plan)
    try:
        services.action_remove(action=action, user=request.user)
    except ValidationError as error:
        return _refused(request, plan, error)
    if _htmx(request):
        return HttpResponse("")
    messages.success(request, _("The action is removed."))
    return redirect(_detail_url(plan, "actions"))


# --- Workflow ----------------------------------------------------------------------------------


@login_required
@require_POST
def plan_submit_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    try:
        services.plan_submit(plan=plan, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The plan is submitted for approval."))
    return redirect(_detail_url(plan))


@login_required
@require_POST
def plan_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(request, pk)
    form = ApproveForm(request.POST, prefix="approve")
    valid = form.is_valid()
    comment = form.cleaned_data["comment"] if valid else ""
    reason = form.cleaned_data["override_reason"] if valid else ""
    try:
        approved = services.plan_approve(
            plan=plan, user=request.user, comment=comment, override_reason=reason
        )
    except GuardRefused as refusal:
        rule_refusal_messages(request, refusal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The plan is approved."))
        if reason:
            messages.warning(
                request, _("A rule was overridden: an incident is opened for the override.")
            )
        for warning in getattr(approved, "rule_warnings", []):
            messages.warning(request, warning)
    return redirect(_detail_url(plan))


@login_required
@require_POST
def plan_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to draft with the approver's comment (required: the page again without it)."""
    plan = _plan(request, pk)
    services.require_approver(plan, request.user)
    form = ReturnForm(request.POST, prefix="return")
    if form.is_valid():
        try:
            services.plan_return(plan=plan, user=request.user, comment=form.cleaned_data["comment"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(_detail_url(plan))
            _map_errors(form, error)
        else:
            messages.success(
                request,
                _("The plan is returned to %(name)s for rework.") % {"name": plan.owner.name},
            )
            return redirect(_detail_url(plan))
    return _page(request, plan, Forms(return_=form), status=PAGE_INVALID)


@dataclass
class CloseRow:
    """One target on the close form: its figures, whether it was met, its inputs and errors."""

    row: TargetRow
    met: bool | None
    achieved: Any = None
    reason: Any = None
    errors: list[str] = field(default_factory=list)


def _met(row: TargetRow) -> bool | None:
    """Whether a measured target was met, as plan_close will decide it (None: it cannot tell
    or a qualitative goal, which the closer answers)."""
    target = row.target
    if target.kind == TargetKind.QUALITATIVE or target.value is None:
        return None
    actual = row.actual if row.actual is not None else 0.0
    if target.kind in LOWER_IS_BETTER:
        return actual <= float(target.value)
    return actual >= float(target.value)


def _error_texts(error: ValidationError) -> dict[str, list[str]]:
    """The service's messages by key ("" for those about the whole plan)."""
    if not hasattr(error, "error_dict"):
        return {"": list(error.messages)}
    return {
        key: [text for item in items for text in item.messages]
        for key, items in error.error_dict.items()
    }


@login_required
def plan_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the close form (each target's actual, met or missed, a reason for each missed one,
    achieved or not for each qualitative goal); POST: close, or the form with the errors
    beside their rows (nothing is written then)."""
    plan = _plan(request, pk)
    if plan.state == PlanState.CLOSED:
        messages.info(request, _("The plan is closed already."))
        return redirect(_detail_url(plan))
    if not access.can_close_plan(request.user, plan):
        raise PermissionDenied(
            _("The plan's owner, the key-account head or the director closes it.")
        )
    today = timezone.localdate()
    if today <= plan.period_end:
        messages.error(
            request,
            _("The period runs until %(end)s: a plan closes after its period.")
            % {"end": plan.period_end},
        )
        return redirect(_detail_url(plan))
    targets = list(plan.targets.all())
    form = CloseForm(request.POST or None, targets=targets)
    errors: dict[int, list[str]] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.plan_close(
                    plan=plan,
                    user=request.user,
                    results=form.results(),
                    summary=form.cleaned_data["summary"],
                )
            except ValidationError as error:
                for key, texts in _error_texts(error).items():
                    number = key.removeprefix("target_")
                    if number.isdigit():
                        errors.setdefault(int(number), []).extend(texts)
                    else:
                        form.add_error(None, texts)
            else:
                messages.success(request, _("The plan is closed with its results."))
                return redirect(_detail_url(plan))
        status = PAGE_INVALID
    progress = plans_progress([plan], today)[plan.pk]
    rows = []
    for row in _target_rows(progress):
        pk_ = row.target.pk
        rows.append(
            CloseRow(
                row=row,
                met=_met(row),
                achieved=form[f"achieved_{pk_}"] if f"achieved_{pk_}" in form.fields else None,
                reason=form[f"reason_{pk_}"],
                errors=errors.get(pk_, []),
            )
        )
    context = {
        "plan": plan,
        "period": plan.period,
        "progress": progress,
        "rows": rows,
        "form": form,
        "has_errors": bool(errors) or bool(form.non_field_errors()),
        "plans_url": _plans_url(request),
        "nav": "planning",
    }
    return render(request, "planning/plan_close.html", context, status=status)


# --- Print and XLSX ----------------------------------------------------------------------------


@login_required
def plan_print_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A page to print for the meeting with the client: no navigation, the plan only."""
    plan = _plan(request, pk)
    today = timezone.localdate()
    progress = plans_progress([plan], today)[plan.pk]
    context = {
        "plan": plan,
        "period": plan.period,
        "progress": progress,
        "rows": _target_rows(progress),
        "actions": _actions(plan),
        "today": today,
    }
    return render(request, "planning/plan_print.html", context)


def _file_part(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", text).strip("_") or "plan"


def _user_name(user: Any) -> str:
    if user is None:
        return ""
    employee = access.user_employee(user)
    return employee.name if employee is not None else user.get_username()


@login_required
def plan_xlsx_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan as a spreadsheet (sheet "Plan"): the header facts, the targets with target,
    actual and forecast, and the actions."""
    plan = _plan(request, pk)
    period = plan.period
    progress = plans_progress([plan], timezone.localdate())[plan.pk]
    closed = plan.state == PlanState.CLOSED
    rows: list[list[Any]] = [
        [_("Client code"), plan.client.code],
        [_("Period"), period.label],
        [_("State"), plan.get_state_display()],
        [_("Owner"), plan.owner.name],
        [_("Approved by"), _user_name(plan.approved_by)],
        [_("Approved"), timezone.localtime(plan.approved_at).replace(tzinfo=None)]
        if plan.approved_at
        else [_("Approved"), ""],
        [_("Goal for the period"), plan.summary],
        [_("Data up to"), progress.data_until or ""],
    ]
    if closed:
        rows.append([_("Results summary"), plan.closing_summary])
    rows += [
        [],
        [
            _("Target"),
            _("Product group / description"),
            _("Target value"),
            _("Proposed value"),
            _("Actual"),
            _("Forecast"),
            # xgettext:no-python-format
            _("% of target"),
            _("Status"),
            _("Why missed"),
        ],
    ]
    for item in _target_rows(progress):
        target = item.target
        if closed:
            status = "" if target.met is None else _("Met") if target.met else _("Missed")
        else:
            status = item.light_label if item.light != Light.NONE else ""
        rows.append(
            [
                target.get_kind_display(),
                target.product_group or target.description,
                target.value,
                target.proposed_value,
                item.actual,
                None if closed else item.forecast,
                round(item.ratio, 4) if item.ratio is not None else None,
                status,
                target.miss_reason,
            ]
        )
    rows += [
        [],
        [
            _("Action"),
            _("What"),
            pgettext("plan action", "Due"),
            _("Responsible"),
            _("Status"),
            _("Outcome"),
            _("Done on"),
        ],
    ]
    for action in _actions(plan):
        rows.append(
            [
                action.get_kind_display(),
                action.title,
                action.due,
                action.responsible.name,
                action.get_status_display(),
                action.outcome,
                action.done_on,
            ]
        )
    filename = f"plan-{_file_part(plan.client.code)}-{period.code}.xlsx"
    return xlsx_response(filename, _("Plan"), [_("Development plan"), plan.client.name], rows)
