"""The client card's assessment panel (scores, why, history, decisions, data collection) and the
status decision form of the key-account head and the director."""

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
from django.utils.translation import ngettext

from kam.assessment.choices import CELL_WORK, Cell, FurtherWork, Review
from kam.assessment.models import Assessment, StatusDecision
from kam.assessment.selectors import client_assessment_panel
from kam.assessment.services import DecisionInput, decisions_record, schedule
from kam.clients.choices import ClientStatus
from kam.clients.forms import StatusDecisionForm
from kam.clients.models import Client
from kam.ledger.months import add_months
from kam.organization.models import Employee
from kam.web import access

# --- How a metric's value reads ----------------------------------------------------------------

#: Metrics in the company currency.
MONEY = {
    "revenue_12m",
    "revenue_prev_12m",
    "margin_12m",
    "margin_prev_12m",
    "purchase_potential",
    "potential_gap",
    "annual_revenue",
    "group_revenue_12m",
    "forecast_12m",
}
#: Metrics that are shares (0.25 reads 25 %); SIGNED ones are changes (+25 %).
SHARES = {"margin_pct", "share_of_wallet", "late_share", "profile_completeness"}
SIGNED = {"growth", "trend_6m"}
DAYS = {"recency_days", "days_overdue_avg", "days_overdue_max"}
RATIOS = {"revenue_cv"}


def _number(value: float, places: int) -> str:
    # number_format cuts decimals off; round first.
    return formats.number_format(
        round(float(value), places), places, use_l10n=True, force_grouping=True
    )


def metric_display(metric: str, value: Any) -> str:
    """A metric's value as a person reads it: money grouped, shares in %, days as days."""
    if value is None or value == "":
        return "—"
    if metric in MONEY:
        return _number(round(value), 0)
    if metric in SHARES or metric in SIGNED:
        text = _number(value * 100, 1)
        sign = "+" if metric in SIGNED and value > 0 else ""
        return f"{sign}{text} %"
    if metric in DAYS:
        places = 0 if float(value).is_integer() else 1
        return ngettext("%(n)s day", "%(n)s days", round(value)) % {"n": _number(value, places)}
    if metric in RATIOS:
        return _number(value, 2)
    return _number(value, 0 if float(value).is_integer() else 1)


# --- The panel ---------------------------------------------------------------------------------


def _names(user_ids: set[int]) -> dict[int, str]:
    """People's names (their employee record) for the users who took decisions."""
    return dict(
        Employee.objects.filter(user_id__in=user_ids).values_list("user_id", "name")  # type: ignore[misc]
    )


def panel_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    """What the client card's assessment panel needs (``panel``), the decision form for who may
    decide (``decision_form``), and whether the user may read scoring models."""
    panel = client_assessment_panel(client)
    assessment: Assessment | None = panel["assessment"]
    explanation = panel["explanation"]
    if explanation:
        for axis in explanation.values():
            for row in axis["criteria"]:
                row["display"] = metric_display(row["metric"], row["value"])
                row["weight_pct"] = row["weight_share"] * 100
    decisions: list[StatusDecision] = panel["decisions"]
    names = _names({d.decided_by_id for d in decisions if d.decided_by_id})
    for decision in decisions:
        user = decision.decided_by
        decision.decided_by_name = names.get(  # type: ignore[attr-defined]
            decision.decided_by_id or 0, user.get_username() if user else "—"
        )
    context: dict[str, Any] = {
        "panel": panel,
        "rules": _rules(assessment),
        "needs_decision_maker": panel["collecting"]
        and not all(i.done for i in panel["checklist"] if i.key == "decision_makers"),
        "can_decide": access.can_decide_status(request.user),
        "can_view_models": access.can_view_assessment(request.user),
    }
    if context["can_decide"]:
        last = decisions[0] if decisions else None
        form = StatusDecisionForm(initial=decision_initial(client, assessment, last))
        context.update(decision_context(client, assessment, form, decisions))
    return context


def _rules(assessment: Assessment | None) -> dict[str, Any]:
    """The model's thresholds and proposal rules, as the panel states them."""
    if assessment is None:
        return {}
    definition = assessment.cycle.model.definition or {}
    cells = definition.get("cells") or {}
    proposal = definition.get("proposal") or {}

    def labels(values: Any) -> str:
        return ", ".join(str(Cell(v).label) for v in values or [] if v in Cell.values)

    return {
        "cells": cells,
        "cell_work": CELL_WORK[Cell(assessment.cell)],
        "key_cells": labels(proposal.get("key_cells")),
        "key_top_pct": (proposal.get("key_top_share") or 0) * 100,
        "potential_key_cells": labels(proposal.get("potential_key_cells")),
        "potential_key_min": proposal.get("potential_key_min_potential"),
    }


# --- The decision form -------------------------------------------------------------------------


def decision_initial(
    client: Client, assessment: Assessment | None, last: StatusDecision | None = None
) -> dict[str, Any]:
    """A pending proposal is preselected: its status and its cell's further work. Once someone
    has decided on it, the current status and the last decision's further work are. The next
    review is one schedule period from today."""
    pending = assessment is not None and assessment.review == Review.PENDING
    initial: dict[str, Any] = {
        "status": assessment.proposed_status if pending and assessment else client.status,
        "next_review": add_months(timezone.localdate(), schedule().every_months),
    }
    if last is not None and not pending:
        initial["further_work"] = last.further_work
    elif assessment is not None:
        initial["further_work"] = CELL_WORK[Cell(assessment.cell)].value
    return initial


def _choice(choices: Any, value: str | None) -> str:
    return str(dict(choices).get(value, value or "—"))


def decision_confirmation(
    client: Client,
    assessment: Assessment | None,
    status: str | None,
    further_work: str | None,
    last: StatusDecision | None,
) -> list[str]:
    """What recording the decision would change, in plain words."""
    lines = []
    before, after = client.status, status or client.status
    if before == after:
        lines.append(
            _("Status stays %(status)s.") % {"status": _choice(ClientStatus.choices, before)}
        )
    else:
        lines.append(
            _("Status: %(before)s → %(after)s.")
            % {
                "before": _choice(ClientStatus.choices, before),
                "after": _choice(ClientStatus.choices, after),
            }
        )
    work_before = last.further_work if last else None
    lines.append(
        _("Further work: %(before)s → %(after)s.")
        % {
            "before": _choice(FurtherWork.choices, work_before),
            "after": _choice(FurtherWork.choices, further_work),
        }
    )
    if after == ClientStatus.POTENTIAL_KEY and before != ClientStatus.POTENTIAL_KEY:
        lines.append(_("A data collection opens: its checklist appears on the card."))
    if before == ClientStatus.POTENTIAL_KEY and after != ClientStatus.POTENTIAL_KEY:
        lines.append(_("The open data collection closes."))
    if assessment is not None and assessment.review == Review.PENDING:
        proposed = _choice(ClientStatus.choices, assessment.proposed_status)
        if assessment.proposed_status == after:
            lines.append(_("The proposal (%(status)s) is marked accepted.") % {"status": proposed})
        else:
            lines.append(_("The proposal (%(status)s) is marked rejected.") % {"status": proposed})
    return lines


def _without_choice(client: Client, holder: Employee | None, after: str) -> str:
    """What happens to responsibility when the decision names nobody (the rule of
    kam.keyaccounts.services.status_changed), in words for the select's empty entry."""
    from kam.keyaccounts.rules import responsibility_problem
    from kam.keyaccounts.services import return_receiver

    if holder is None:
        if after == ClientStatus.KEY:
            return _("Nobody for now: the head assigns a key-account manager on the board")
        return _("Nobody, as now")
    if responsibility_problem(holder, after) is None:
        return _("Keep %(name)s") % {"name": holder.name}
    if after == ClientStatus.KEY:
        return _(
            "Nobody for now: %(name)s is released and the head assigns a key-account manager "
            "on the board"
        ) % {"name": holder.name}
    receiver = return_receiver(client)
    if receiver is None:
        return _("Nobody found in sales: %(name)s keeps it and the board lists a conflict") % {
            "name": holder.name
        }
    return _("Back to sales by the rule: %(name)s") % {"name": receiver.name}


def responsible_setup(form: StatusDecisionForm, client: Client, status: str | None) -> str | None:
    """Offer a responsible manager when the decision moves the account into the key-account
    department (its managers, with their load) or out of it (sales staff). Returns the words
    for "nobody chosen", or None when the select does not apply."""
    from kam.keyaccounts.forms import receiver_choices
    from kam.keyaccounts.selectors import receivers_by_status
    from kam.keyaccounts.services import current_assignment

    if form.responsible_ready:
        return form.responsible_default
    form.responsible_ready = True
    before, after = client.status, status if status in ClientStatus.values else client.status
    field = form.fields["responsible"]
    if not (
        (after == ClientStatus.KEY and before != ClientStatus.KEY)
        or (before == ClientStatus.KEY and after != ClientStatus.KEY)
    ):
        form.show_responsible = False
        field.disabled = True  # a stale value posted with it is ignored, not an error
        return None
    current = current_assignment(client)
    holder = current.manager if current is not None else None
    receivers = [
        (employee, load)
        for employee, load in receivers_by_status()[after]
        if holder is None or employee.pk != holder.pk
    ]
    default = _without_choice(client, holder, after)
    field.choices = [("", default), *receiver_choices(receivers)[1:]]  # type: ignore[attr-defined]
    form.show_responsible = True
    form.responsible_names = {employee.pk: employee.name for employee, _load in receivers}
    form.responsible_default = default
    return default


def decision_context(
    client: Client,
    assessment: Assessment | None,
    form: StatusDecisionForm,
    decisions: list[StatusDecision],
) -> dict[str, Any]:
    values = form.data if form.is_bound else {**form.initial, **form.data}
    default = responsible_setup(form, client, values.get("status"))
    lines = decision_confirmation(
        client,
        assessment,
        values.get("status"),
        values.get("further_work"),
        decisions[0] if decisions else None,
    )
    if default is not None:
        chosen = str(values.get("responsible") or "")
        names = {str(pk): name for pk, name in form.responsible_names.items()}
        if chosen in names:
            lines.append(
                _("Responsible manager: %(name)s takes the account over (a handover is recorded).")
                % {"name": names[chosen]}
            )
        else:
            lines.append(_("Responsible manager: %(what)s.") % {"what": default})
    return {"decision_form": form, "decision_confirm": lines}


def _decision_client(request: HttpRequest, pk: int) -> Client:
    if not access.can_use_app(request.user):
        raise PermissionDenied(_("Your account has no role in kam yet."))
    client = get_object_or_404(access.client_scope(request.user), pk=pk)
    if not access.can_decide_status(request.user):
        raise PermissionDenied(
            _("Status decisions are taken by the key-account head or the director.")
        )
    return client


@login_required
def status_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the decision form (an HTMX request with the form's values gets only the
    confirmation of what will change); POST: record the decision, back to the card."""
    client = _decision_client(request, pk)
    panel = client_assessment_panel(client)
    assessment: Assessment | None = panel["assessment"]
    decisions: list[StatusDecision] = panel["decisions"]
    if request.method == "POST":
        form = StatusDecisionForm(request.POST)
        responsible_setup(form, client, request.POST.get("status"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                decisions_record(
                    items=[
                        DecisionInput(
                            client_id=client.pk,
                            status=data["status"],
                            further_work=data["further_work"],
                            reason=data["reason"],
                            next_review=data["next_review"],
                            responsible_id=data.get("responsible"),
                            confirm_over_limit=bool(data.get("confirm_over_limit")),
                        )
                    ],
                    user=request.user,
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                responsible_before = client.responsible_id
                client.refresh_from_db(fields=["status", "responsible"])
                messages.success(
                    request,
                    _("Decision recorded: %(name)s is now %(status)s.")
                    % {"name": client.name, "status": client.get_status_display()},
                )
                if client.responsible_id != responsible_before:
                    messages.info(
                        request,
                        _("Responsible manager now: %(name)s.")
                        % {"name": client.responsible.name if client.responsible else _("nobody")},
                    )
                return redirect(f"{_card_url(client)}#assessment")
    else:
        initial = decision_initial(client, assessment, decisions[0] if decisions else None)
        for name in ("status", "further_work", "reason", "next_review", "responsible"):
            if name in request.GET:
                initial[name] = request.GET[name]
        form = StatusDecisionForm(initial=initial)
    context = {
        "client": client,
        "panel": panel,
        "nav": "clients",
        **decision_context(client, assessment, form, decisions),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and request.method == "GET":
        return render(request, "assessment/_decision_form.html", context)
    return render(
        request,
        "clients/decision_form.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _card_url(client: Client) -> str:
    return reverse("clients:detail", args=[client.pk])


def _form_errors(form: StatusDecisionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            if field == "confirm_over_limit":
                form.needs_confirmation = True
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
