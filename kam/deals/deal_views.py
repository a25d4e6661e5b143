"""One deal: the new deal form, the card (its fields, stage history, the client's credit
position and the incidents about it), editing and the moves between stages.

A move into the contract or shipment may be refused by the rulebook (kam.rules.guards): the
card comes back with each rule's title and message, and — to whom the rules allow it — the
reason field to override; an override opens an incident whose number the card then shows.
Losing a deal asks for a reason and a confirmation (the browser's dialog, or a page without
JavaScript).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.deals import selectors, services
from kam.deals.choices import COMMITTED_STAGES, FINAL_STAGES, DealStage
from kam.deals.forms import DealEditForm, DealForm, LoseForm, MoveForm
from kam.deals.models import Deal
from kam.rules.guards import GuardRefused, may_override
from kam.rules.web import override_roles_text
from kam.web import access

#: The form or the card again with what was refused (a plain POST that did not go through).
PAGE_INVALID = 400


def credit_apply_url(deal: Deal) -> str:
    """The credit committee's application form for the deal's client, with the deal named."""
    return (
        reverse("credit:apply") + "?" + urlencode({"client": deal.client_id or "", "deal": deal.pk})
    )


def credit_decision_url(decision: Any) -> str:
    return reverse("credit:decision", args=[decision.pk]) if decision is not None else ""


def _deal(request: HttpRequest, pk: int) -> Deal:
    """The deal if the user may see it: 403 without a role, 404 outside their scope."""
    access.require_role(request)
    queryset = selectors.deals_visible(request.user).select_related(
        "client__responsible", "created_by"
    )
    return get_object_or_404(queryset, pk=pk)


def _require_editor(request: HttpRequest, deal: Deal) -> None:
    if not access.can_edit_deal(request.user, deal):
        raise PermissionDenied(
            _("A deal is changed by its owner, the key-account head or the director.")
        )


def _map_errors(form: forms.Form, error: ValidationError) -> None:
    """The service's field errors beside their fields, the rest above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        for item in errors:
            form.add_error(name if name in form.fields else None, item.messages)


# --- New deal ----------------------------------------------------------------------------------


@login_required
def deal_new_view(request: HttpRequest) -> HttpResponse:
    """GET: the form (a client or a prospect may come chosen from their card); POST: create
    the deal at the qualification stage and go to its card."""
    access.require_role(request)
    if not access.can_work_deals(request.user):
        raise PermissionDenied(
            _(
                "Deals are started by the sales reps, the key-account managers, their head and "
                "the director."
            )
        )
    user = request.user
    employee = access.user_employee(user)
    initial: dict[str, Any] = {
        "owner": employee.pk if employee else None,
        "expected_close": timezone.localdate() + dt.timedelta(days=30),
    }
    for name in ("client", "prospect"):
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
            initial["for_kind"] = name
    form = DealForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(
                user=user,
                client=form.client_obj
                if form.cleaned_data["for_kind"] == form.FOR_CLIENT
                else None,
                prospect=form.prospect_obj
                if form.cleaned_data["for_kind"] == form.FOR_PROSPECT
                else None,
                owner=form.owner_obj,
                **form.values(),
            )
        except ValidationError as error:
            _map_errors(form, error)
        else:
            messages.success(
                request,
                _("Deal %(number)s is started at the qualification stage.")
                % {"number": deal.number},
            )
            return redirect(reverse("deals:detail", args=[deal.pk]))
    context = {
        "form": form,
        "groups": selectors.product_group_options(),
        "nav": "deals",
    }
    status = PAGE_INVALID if request.method == "POST" else 200
    return render(request, "deals/deal_form.html", context, status=status)


# --- The card ----------------------------------------------------------------------------------


def _credit(deal: Deal) -> dict[str, Any] | None:
    """The client's credit position beside the deal, and how the deal's terms stand to it."""
    if deal.client is None:
        return None
    from kam.credit.choices import ApplicationState
    from kam.credit.models import CreditApplication
    from kam.credit.services import credit_position

    position = credit_position(deal.client)
    allowed = selectors.terms_allowed(deal, position)
    counted = deal.stage == DealStage.CONTRACT and deal.payment_terms_days > 0
    with_deal = position.exposure + (0 if counted or deal.payment_terms_days <= 0 else deal.amount)
    return {
        "position": position,
        "terms_allowed": allowed,
        # Exposure as the move into the contract would leave it (the rule's "exposure").
        "exposure_with_deal": with_deal,
        "over_limit": position.limit is not None
        and deal.payment_terms_days > 0
        and with_deal > position.limit,
        "needs_committee": allowed is False,
        "show_with_deal": deal.payment_terms_days > 0
        and deal.stage not in (*COMMITTED_STAGES, *FINAL_STAGES),
        "apply_url": credit_apply_url(deal),
        # An application already awaiting the committee's votes: no second one.
        "pending_application": CreditApplication.objects.filter(
            client=deal.client, state=ApplicationState.PENDING
        ).first(),
    }


def _page(
    request: HttpRequest,
    deal: Deal,
    *,
    move: MoveForm | None = None,
    lose: LoseForm | None = None,
    refusal: GuardRefused | None = None,
    refused_stage: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_edit = access.can_edit_deal(user, deal) and deal.stage not in FINAL_STAGES
    credit = _credit(deal)
    if credit is not None:
        credit["may_apply"] = deal.client is not None and access.can_apply_for_credit(
            user, deal.client
        )
    may_override_deal = may_override(user, "deal") if may_edit else False
    context = {
        "deal": deal,
        "history": selectors.deal_history(deal),
        "moves": selectors.deal_moves(deal) if may_edit else None,
        "may_edit": may_edit,
        "may_override": may_override_deal,
        "move_form": move or MoveForm(initial={"stage": ""}),
        "lose_form": lose or LoseForm(),
        "refusal": refusal,
        "refused_stage": refused_stage,
        "refused_label": DealStage(refused_stage).label if refused_stage else "",
        "refusal_messages": [
            (b.version.title, b.version.message(b.facts), b.version.rule.code)
            for b in (refusal.breaches if refusal else [])
        ],
        "override_roles": override_roles_text(refusal) if refusal else "",
        "credit": credit,
        "late": selectors.is_late(deal),
        "incidents": selectors.deal_incidents(deal, user),
        "incidents_url": reverse("incidents:inbox")
        + "?"
        + urlencode({"tab": "all", "q": deal.number}),
        "nav": "deals",
    }
    return render(request, "deals/deal_detail.html", context, status=status)


@login_required
def deal_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _deal(request, pk))


# --- Edit -----------------------------------------------------------------------------------


@login_required
def deal_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    _require_editor(request, deal)
    if deal.stage in FINAL_STAGES:
        messages.error(request, _("The deal is closed: it changes no more."))
        return redirect(reverse("deals:detail", args=[deal.pk]))
    form = DealEditForm(request.POST or None, deal=deal)
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(deal=deal, user=request.user, **form.values())
        except ValidationError as error:
            _map_errors(form, error)
        else:
            messages.success(request, _("The deal is saved."))
            return redirect(reverse("deals:detail", args=[deal.pk]))
    context = {
        "deal": deal,
        "form": form,
        "groups": selectors.product_group_options(),
        "nav": "deals",
    }
    status = PAGE_INVALID if request.method == "POST" else 200
    return render(request, "deals/deal_edit.html", context, status=status)


# --- Moves ----------------------------------------------------------------------------------


def _next_url(request: HttpRequest, value: str, deal: Deal) -> str:
    """Back where the move was made (the board), if it is this site's; else the deal's card."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("deals:detail", args=[deal.pk])


def _confirm_lose(request: HttpRequest, deal: Deal, form: LoseForm) -> HttpResponse:
    """The confirmation page of losing the deal (a browser without JavaScript, or one whose
    dialog was skipped): the same data posted again with confirmed=1."""
    return render(
        request,
        "deals/confirm.html",
        {
            "title": deal.number,
            "back_url": reverse("deals:detail", args=[deal.pk]),
            "back_label": _("No, back to the deal"),
            "crumbs": [(reverse("deals:pipeline"), _("Pipeline"))],
            "question": _(
                "Lose %(number)s “%(title)s”? A lost deal moves no more; the reason stays in its "
                "history."
            )
            % {"number": deal.number, "title": deal.title},
            "form": form,
            "action": reverse("deals:move", args=[deal.pk]),
            "nav": "deals",
        },
    )


@login_required
@require_POST
def deal_move_view(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _deal(request, pk)
    _require_editor(request, deal)
    losing = request.POST.get("stage") == DealStage.LOST
    form: MoveForm = LoseForm(request.POST) if losing else MoveForm(request.POST)
    page_forms: dict[str, Any] = {"lose": form} if losing else {"move": form}
    if not form.is_valid():
        return _page(request, deal, status=PAGE_INVALID, **page_forms)
    data = form.cleaned_data
    if losing and data["confirmed"] != "1":
        return _confirm_lose(request, deal, form)  # type: ignore[arg-type]
    try:
        moved = services.deal_move(
            deal=deal,
            user=request.user,
            stage=data["stage"],
            comment=data["comment"],
            override_reason=data["override_reason"],
        )
    except GuardRefused as refusal:
        return _page(
            request,
            deal,
            refusal=refusal,
            refused_stage=data["stage"],
            status=PAGE_INVALID,
            **page_forms,
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "comment" in error.error_dict:
            _map_errors(form, error)
            return _page(request, deal, status=PAGE_INVALID, **page_forms)
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("deals:detail", args=[deal.pk]))
    messages.success(
        request,
        _("%(number)s is at the %(stage)s stage now.")
        % {"number": moved.number, "stage": moved.get_stage_display().lower()}
        if moved.stage != DealStage.LOST
        else _("%(number)s is lost.") % {"number": moved.number},
    )
    incidents = getattr(moved, "rule_incidents", [])
    for incident in incidents:
        messages.warning(
            request,
            _("Rule overridden: incident %(number)s is opened (%(rule)s).")
            % {"number": incident.number, "rule": incident.rule_version.title},
        )
    for warning in getattr(moved, "rule_warnings", []):
        messages.warning(request, warning)
    if incidents:
        # The card shows the incidents the override opened.
        return redirect(reverse("deals:detail", args=[deal.pk]) + "#incidents")
    return redirect(_next_url(request, data["next"], deal))
