"""Assessment pages: re-evaluation cycles, a cycle's proposals (filters, bulk decisions with a
confirmation, export) and the portfolio matrix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from kam.assessment import selectors, services
from kam.assessment.choices import Cell, CycleState, Review
from kam.assessment.filters import AssessmentFilterSet
from kam.assessment.forms import CycleRunForm, DecideForm, ScheduleForm
from kam.assessment.models import Assessment, AssessmentCycle
from kam.assessment.schedule import can_change_schedule, schedule_update
from kam.assessment.scoring import ModelError
from kam.clients.choices import ClientStatus
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page

PAGE_SIZE = 50
CYCLES_PAGE_SIZE = 25
#: Clients listed by name on the confirmation page (the rest are counted).
CONFIRM_SHOWN = 20
#: At most this many proposals are decided in one request (narrow the filter for more).
DECIDE_AT_ONCE = 10_000
#: Cycles offered in the matrix page's cycle selector.
MATRIX_CYCLES = 24

#: Sort orders of the proposals table (values of AssessmentFilterSet's ``ordering``).
ORDERINGS = [
    ("", gettext_lazy("Key-account priority")),
    ("-revenue", gettext_lazy("Revenue, largest first")),
    ("-potential", gettext_lazy("Potential, highest first")),
    ("-attractiveness", gettext_lazy("Attractiveness, highest first")),
    ("-growth", gettext_lazy("Growth, highest first")),
    ("-margin", gettext_lazy("Gross margin, largest first")),
    ("name", gettext_lazy("Name")),
]
CELL_MEANINGS = [
    (Cell.STRATEGIC, gettext_lazy("high potential, high attractiveness")),
    (Cell.STAR, gettext_lazy("high potential, lower attractiveness")),
    (Cell.STATUS, gettext_lazy("lower potential, high attractiveness")),
    (Cell.STREAMLINE, gettext_lazy("lower potential, lower attractiveness")),
]
STATUS_ORDER = [ClientStatus.KEY, ClientStatus.POTENTIAL_KEY, ClientStatus.STANDARD]


def _require_view(request: HttpRequest) -> None:
    if not access.can_view_assessment(request.user):
        raise PermissionDenied(
            _("Re-evaluation cycles and the portfolio matrix are for those who see every client.")
        )


def _filter_form(filterset: AssessmentFilterSet) -> Any:
    """The filter set's form (already validated) dressed for the page: "All" as the empty
    choice, our own sort orders. Only the widgets change: validation stays the filter set's."""
    form = filterset.form
    for name, field in form.fields.items():
        widget = field.widget
        if name == "changed":
            widget.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]
        elif name == "ordering":
            widget.choices = ORDERINGS
        elif name == "change":  # "Change" alone reads as a verb
            field.label = form[name].label = _("Proposed change")
        if isinstance(field, forms.ChoiceField) and name != "ordering":
            widget.choices = [("", _("All")), *[c for c in widget.choices if c[0] != ""]]
    return form


def _query(request: HttpRequest, *drop: str) -> str:
    query = request.GET.copy()
    for name in ("page", *drop):
        query.pop(name, None)
    return query.urlencode()


def _latest_pk() -> int | None:
    latest = selectors.latest_cycle()
    return latest.pk if latest else None


# --- Cycles ------------------------------------------------------------------------------------


def _cycle_list_context(
    request: HttpRequest,
    run_form: CycleRunForm | None = None,
    schedule_form: ScheduleForm | None = None,
) -> dict[str, Any]:
    page = Paginator(selectors.cycle_list(), CYCLES_PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [c.pk for c in page]
    pending = dict(
        Assessment.objects.filter(cycle_id__in=ids, review=Review.PENDING)
        .order_by()
        .values_list("cycle_id")
        .annotate(n=Count("id"))
    )
    due = services.cycle_due()
    can_run = access.can_run_assessment(request.user)
    can_schedule = can_change_schedule(request.user)
    return {
        "page": page,
        "rows": [(c, pending.get(c.pk, 0)) for c in page],
        "due": due,
        "latest_pk": _latest_pk(),
        "run_form": (run_form or CycleRunForm()) if can_run else None,
        "schedule_form": (schedule_form or ScheduleForm(initial={"every_months": due.every_months}))
        if can_schedule
        else None,
        "query_prefix": "",
        "nav": "assessment",
    }


@login_required
def cycle_list_view(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    return render(request, "assessment/cycles.html", _cycle_list_context(request))


@login_required
@require_POST
def cycle_run_view(request: HttpRequest) -> HttpResponse:
    """Run a cycle as of a date (today or earlier) and open it."""
    _require_view(request)
    if not access.can_run_assessment(request.user):
        raise PermissionDenied(_("You may not run re-evaluation cycles."))
    form = CycleRunForm(request.POST)
    if not form.is_valid():
        context = _cycle_list_context(request, run_form=form)
        return render(request, "assessment/cycles.html", context, status=400)
    try:
        cycle = services.cycle_run(as_of=form.cleaned_data["as_of"], user=request.user)
    except (ValidationError, ModelError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, _("The cycle did not run: %(reason)s") % {"reason": text})
        return redirect("assessment:cycles")
    messages.success(
        request,
        _(
            "Cycle as of %(date)s is done in %(seconds)s s: %(clients)s clients, "
            "%(promote)s to promote, %(demote)s to demote."
        )
        % {
            "date": formats.date_format(cycle.as_of, "SHORT_DATE_FORMAT"),
            "seconds": formats.number_format(cycle.seconds, 1),
            "clients": cycle.clients,
            "promote": cycle.promote,
            "demote": cycle.demote,
        },
    )
    return redirect("assessment:cycle", pk=cycle.pk)


@login_required
@require_POST
def schedule_view(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    if not can_change_schedule(request.user):
        raise PermissionDenied(_("The schedule is set by the director or the analyst."))
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        context = _cycle_list_context(request, schedule_form=form)
        return render(request, "assessment/cycles.html", context, status=400)
    every = form.cleaned_data["every_months"]
    schedule_update(every_months=every, user=request.user)
    messages.success(
        request,
        ngettext(
            "Clients are now re-evaluated every month.",
            "Clients are now re-evaluated every %(n)s months.",
            every,
        )
        % {"n": every},
    )
    return redirect("assessment:cycles")


# --- One cycle: proposals ----------------------------------------------------------------------


def _cycle_figures(cycle: AssessmentCycle) -> dict[str, Any]:
    """Reviews so far and what changed against the previous cycle (one query)."""
    compared = ~Q(previous_cell="")
    cell_changed = compared & ~Q(cell=F("previous_cell"))
    proposal_changed = compared & ~Q(proposed_status=F("previous_proposed_status"))
    figures = Assessment.objects.filter(cycle=cycle).aggregate(
        pending=Count("id", filter=Q(review=Review.PENDING)),
        accepted=Count("id", filter=Q(review=Review.ACCEPTED)),
        rejected=Count("id", filter=Q(review=Review.REJECTED)),
        cell_changed=Count("id", filter=cell_changed),
        proposal_changed=Count("id", filter=proposal_changed),
        changed=Count("id", filter=cell_changed | proposal_changed),
        new=Count("id", filter=Q(previous_cell="")),
    )
    return figures


@login_required
def cycle_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_view(request)
    cycle = get_object_or_404(selectors.cycle_list().select_related("previous"), pk=pk)
    filterset, queryset = selectors.cycle_assessments(cycle=cycle, params=request.GET)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    is_latest = cycle.state == CycleState.DONE and cycle.pk == _latest_pk()
    can_decide = is_latest and access.can_decide_status(request.user)
    encoded = _query(request)
    context = {
        "cycle": cycle,
        "figures": _cycle_figures(cycle),
        "filterset": filterset,
        "form": _filter_form(filterset),
        "page": page,
        "query": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "is_latest": is_latest,
        "can_decide": can_decide,
        "pending_matching": queryset.filter(review=Review.PENDING).count() if can_decide else 0,
        "nav": "assessment",
    }
    return render_page(
        request, "assessment/cycle.html", context, fragment="assessment/_proposals.html"
    )


def _back(cycle: AssessmentCycle, query: str) -> str:
    url = reverse("assessment:cycle", args=[cycle.pk])
    return f"{url}?{query}" if query else url


@login_required
@require_POST
def cycle_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept or reject pending proposals (ticked ones, or all that match the filter).

    The first post shows what would change; the decisions are taken only when that
    confirmation is posted back, and only if the set is still the one shown."""
    _require_view(request)
    if not access.can_decide_status(request.user):
        raise PermissionDenied(
            _("Status decisions are taken by the key-account head or the director.")
        )
    cycle = get_object_or_404(selectors.cycle_list(), pk=pk)
    form = DecideForm(request.POST)
    query = QueryDict(request.POST.get("query", "")).urlencode() if form.is_valid() else ""
    if cycle.pk != _latest_pk():
        messages.error(request, _("Only the latest cycle's proposals can be decided."))
        return redirect(_back(cycle, query))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(_back(cycle, query))
    pending = Assessment.objects.filter(cycle=cycle, review=Review.PENDING)
    if form.scope == "selected":
        chosen = form.cleaned_data["client"]
        if not chosen:
            messages.warning(request, _("Tick the proposals to decide first."))
            return redirect(_back(cycle, query))
        pending = pending.filter(client_id__in=chosen)
    else:
        _filterset, matching = selectors.cycle_assessments(cycle=cycle, params=QueryDict(query))
        pending = matching.filter(review=Review.PENDING)
    count = pending.count()
    if count == 0:
        messages.warning(request, _("None of these proposals awaits a decision any more."))
        return redirect(_back(cycle, query))
    if count > DECIDE_AT_ONCE:
        messages.error(
            request,
            _("%(n)s proposals at once is too many: narrow the filter to %(max)s or fewer.")
            % {"n": count, "max": DECIDE_AT_ONCE},
        )
        return redirect(_back(cycle, query))
    expected = form.cleaned_data["expected"]
    if not form.cleaned_data["confirm"] or expected != count:
        return _confirmation(request, cycle, form, pending, count, query, moved=expected)
    client_ids = list(pending.values_list("client_id", flat=True))
    note = form.cleaned_data["note"]
    try:
        if form.action == "accept":
            decided = len(
                services.proposals_accept(
                    cycle=cycle, client_ids=client_ids, user=request.user, note=note
                )
            )
            messages.success(
                request,
                ngettext(
                    "%(n)s proposal accepted: the client's status is changed.",
                    "%(n)s proposals accepted: the clients' statuses are changed.",
                    decided,
                )
                % {"n": decided},
            )
        else:
            decided = services.proposals_reject(
                cycle=cycle, client_ids=client_ids, user=request.user, note=note
            )
            messages.success(
                request,
                ngettext(
                    "%(n)s proposal rejected: the status stays as it is.",
                    "%(n)s proposals rejected: the statuses stay as they are.",
                    decided,
                )
                % {"n": decided},
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not decide these proposals."))
    return redirect(_back(cycle, query))


def _confirmation(
    request: HttpRequest,
    cycle: AssessmentCycle,
    form: DecideForm,
    pending: QuerySet[Assessment],
    count: int,
    query: str,
    *,
    moved: int | None,
) -> HttpResponse:
    """What the decision would do: how many, which status changes, the first clients."""
    labels = dict(ClientStatus.choices)
    changes = [
        {
            "before": row["client__status"],
            "before_label": labels.get(row["client__status"], row["client__status"]),
            "after": row["proposed_status"],
            "after_label": labels.get(row["proposed_status"], row["proposed_status"]),
            "n": row["n"],
        }
        for row in pending.order_by()
        .values("client__status", "proposed_status")
        .annotate(n=Count("id"))
        .order_by("-n")
    ]
    shown = list(
        pending.select_related("client", "client__responsible").order_by("priority_rank")[
            :CONFIRM_SHOWN
        ]
    )
    context = {
        "cycle": cycle,
        "action": form.action,
        "scope": form.scope,
        "do": form.cleaned_data["do"],
        "client_ids": form.cleaned_data["client"] if form.scope == "selected" else [],
        "count": count,
        "changes": changes,
        "shown": shown,
        "query": query,
        "back": _back(cycle, query),
        "note": form.cleaned_data["note"],
        "moved": form.cleaned_data["confirm"] and moved is not None and moved != count,
        "nav": "assessment",
    }
    return render(request, "assessment/decide_confirm.html", context)


# --- Export ------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "cycle",
    "as_of",
    "code",
    "name",
    "responsible_code",
    "responsible",
    "revenue_12m",
    "margin_12m",
    "growth",
    "abc",
    "xyz",
    "potential",
    "attractiveness",
    "priority_rank",
    "cell",
    "status_at_the_time",
    "proposed_status",
    "change",
    "review",
    "previous_cell",
    "previous_proposed_status",
    "status_now",
]


@login_required
def cycle_export_view(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    _require_view(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    cycle = get_object_or_404(selectors.cycle_list(), pk=pk)
    _filterset, queryset = selectors.cycle_assessments(cycle=cycle, params=request.GET)

    def rows():  # type: ignore[no-untyped-def]
        for a in queryset.iterator(chunk_size=2000):
            client, responsible = a.client, a.client.responsible
            yield [
                cycle.pk,
                cycle.as_of,
                client.code,
                client.name,
                responsible.code if responsible else "",
                responsible.name if responsible else "",
                round(a.revenue_12m, 2),
                round(a.margin_12m, 2) if a.margin_12m is not None else None,
                round(a.growth, 4) if a.growth is not None else None,
                a.abc,
                a.xyz,
                round(a.potential, 1),
                round(a.attractiveness, 1),
                a.priority_rank,
                a.get_cell_display(),
                a.get_current_status_display(),
                a.get_proposed_status_display(),
                a.get_change_display(),
                a.get_review_display(),
                a.get_previous_cell_display() if a.previous_cell else "",
                a.get_previous_proposed_status_display() if a.previous_proposed_status else "",
                client.get_status_display(),
            ]

    name = f"proposals-{cycle.pk}-{cycle.as_of.isoformat()}"
    if fmt == "csv":
        return csv_response(f"{name}.csv", EXPORT_HEADER, rows())
    return xlsx_response(f"{name}.xlsx", _("Proposals"), EXPORT_HEADER, rows())


# --- Portfolio matrix --------------------------------------------------------------------------


def _cell_counts(queryset: QuerySet[Assessment]) -> dict[str, Any]:
    """Clients per portfolio cell × their current status, with totals."""
    found = {
        (row["cell"], row["client__status"]): row["n"]
        for row in queryset.order_by().values("cell", "client__status").annotate(n=Count("id"))
    }
    rows = []
    for cell, meaning in CELL_MEANINGS:
        counts = [found.get((cell.value, status.value), 0) for status in STATUS_ORDER]
        rows.append(
            {
                "cell": cell.value,
                "label": cell.label,
                "meaning": meaning,
                "counts": counts,
                "total": sum(counts),
            }
        )
    totals = [sum(r["counts"][i] for r in rows) for i in range(len(STATUS_ORDER))]
    return {
        "statuses": [(s.value, s.label) for s in STATUS_ORDER],
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
    }


@login_required
def matrix_view(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    done = selectors.cycle_list().filter(state=CycleState.DONE)
    wanted = request.GET.get("cycle", "")
    cycle = get_object_or_404(done, pk=int(wanted)) if wanted.isdigit() else done.first()
    context: dict[str, Any] = {"cycle": cycle, "nav": "assessment"}
    if cycle is None:
        return render(request, "assessment/matrix.html", context)
    params = request.GET.copy()
    params.pop("cycle", None)
    filterset, queryset = selectors.cycle_assessments(cycle=cycle, params=params)
    points = selectors.matrix_points(cycle=cycle, queryset=queryset)
    labels = {
        "x": _("Attractiveness"),
        "y": _("Potential"),
        "revenue": _("Revenue, 12 months"),
        "cell": _("Portfolio cell"),
        "proposed": _("Proposed status"),
        "statuses": {s.value: str(s.label) for s in STATUS_ORDER},
        "cells": {c.value: str(c.label) for c in Cell},
    }
    cycles = list(done[:MATRIX_CYCLES])
    if cycle not in cycles:
        cycles.append(cycle)
    context.update(
        {
            "filterset": filterset,
            "form": _filter_form(filterset),
            "points": points,
            "labels": labels,
            "counts": _cell_counts(queryset),
            "cycles": cycles,
            "proposals_query": _query(request, "cycle"),
            "hide_ordering": True,  # the matrix has no order
        }
    )
    return render(request, "assessment/matrix.html", context)
