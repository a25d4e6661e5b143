"""The decision register (every credit decision, imported or by the committee — the same
objects — with its standing today, filters, sorting, pagination, CSV/XLSX), one decision with
its record and revocation (the chair or the director, after a confirmation), and the
committee's settings (the director changes them, everyone with a role reads them)."""

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

from kam.credit import selectors, services
from kam.credit.application_views import PAGE_INVALID, confirm_page, map_errors
from kam.credit.choices import DecisionState
from kam.credit.filters import (
    DECISION_DEFAULT_SORT,
    DECISION_SORTS,
    DecisionFilterSet,
    sort_key,
    sorted_by,
)
from kam.credit.forms import CommitteeSettingsForm, RevokeForm
from kam.credit.models import CreditDecision
from kam.credit.views import (
    PAGE_SIZE,
    client_named,
    date_input,
    filtered,
    require_credit_reader,
)
from kam.web import access
from kam.web.exports import csv_response, xlsx_response
from kam.web.htmx import render_page
from kam.web.querystring import query_link as link
from kam.web.querystring import sort_links


def _decisions(request: HttpRequest) -> tuple[DecisionFilterSet, Any, str]:
    today = timezone.localdate()
    filterset = DecisionFilterSet(request.GET or None, queryset=selectors.decisions_base(today))
    sort = sort_key(request.GET.get("sort", ""), DECISION_SORTS, DECISION_DEFAULT_SORT)
    queryset = sorted_by(filterset.qs, sort, DECISION_SORTS, [])
    return filterset, queryset, sort


@login_required
def decisions_view(request: HttpRequest) -> HttpResponse:
    require_credit_reader(request)
    filterset, queryset, sort = _decisions(request)
    form = filterset.form
    for name in ("date_from", "date_to"):
        form.fields[name].widget = date_input()
    form.fields["client"].widget = forms.HiddenInput()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    base = reverse("credit:decisions")
    params = request.GET.copy()
    params.pop("page", None)
    encoded = params.urlencode()
    context = {
        "filterset": filterset,
        "form": form,
        "page": page,
        "sort": sort,
        "sort_links": sort_links(base, params, sort, DECISION_SORTS),
        "query_string": encoded,
        "query_prefix": f"{encoded}&" if encoded else "",
        "client": client_named(request.user, request.GET.get("client", "")),
        "client_clear_url": link(base, params, client=None),
        "filtered": filtered(request.GET),
        "can_revoke": access.can_revoke_credit_decision(request.user),
        "nav": "credit",
    }
    return render_page(request, "credit/decisions.html", context, fragment="credit/_decisions.html")


DECISION_EXPORT_HEADER = [
    "decision_no",
    "date",
    "client_code",
    "client",
    "credit_limit",
    "max_terms_days",
    "valid_until",
    "source",
    "state",
    "application",
    "revoked_at",
    "revoked_by",
    "revoke_reason",
]


@login_required
def decisions_export_view(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """The decisions as filtered and sorted on the page, every one of them."""
    require_credit_reader(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _filterset, queryset, _sort = _decisions(request)

    def rows():  # type: ignore[no-untyped-def]
        for d in queryset.iterator(chunk_size=2000):
            yield [
                d.decision_no,
                d.date,
                d.client.code,
                d.client.name,
                d.credit_limit,
                d.max_terms_days,
                d.valid_until,
                d.get_source_display(),
                str(DecisionState(d.standing).label),
                d.application.number if d.application else "",
                timezone.localtime(d.revoked_at).replace(tzinfo=None) if d.revoked_at else "",
                d.revoked_by.get_username() if d.revoked_by else "",
                d.revoke_reason,
            ]

    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(f"credit-decisions-{stamp}.csv", DECISION_EXPORT_HEADER, rows())
    return xlsx_response(
        f"credit-decisions-{stamp}.xlsx", _("Credit decisions"), DECISION_EXPORT_HEADER, rows()
    )


def _decision(request: HttpRequest, pk: int) -> CreditDecision:
    require_credit_reader(request)
    return get_object_or_404(selectors.decisions_base(timezone.localdate()), pk=pk)


def _decision_page(
    request: HttpRequest,
    decision: CreditDecision,
    form: RevokeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_revoke = decision.revoked_at is None and access.can_revoke_credit_decision(request.user)
    context = {
        "decision": decision,
        "standing": decision.standing,  # type: ignore[attr-defined]
        "form": (form or RevokeForm(prefix="revoke")) if may_revoke else None,
        "history": list(
            selectors.decisions_base(timezone.localdate())
            .filter(client=decision.client)
            .exclude(pk=decision.pk)[:10]
        ),
        "nav": "credit",
    }
    return render(request, "credit/decision.html", context, status=status)


@login_required
def decision_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_page(request, _decision(request, pk))


@login_required
@require_POST
def revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _decision(request, pk)
    if not access.can_revoke_credit_decision(request.user):
        raise PermissionDenied(_("A decision is revoked by the committee's chair or the director."))
    form = RevokeForm(request.POST, prefix="revoke")
    url = reverse("credit:decision", args=[decision.pk])
    if form.is_valid():
        if form.cleaned_data["confirmed"] != "1":
            return confirm_page(
                request,
                title=_("Confirm the revocation"),
                question=_(
                    "Revoke decision %(number)s for %(client)s? From today the client has no "
                    "credit under it; it cannot be taken back."
                )
                % {"number": decision.decision_no, "client": decision.client.name},
                action=reverse("credit:revoke", args=[decision.pk]),
                back=f"{url}#revoke",
                form=form,
                summary=form.summary(),
                crumbs=[
                    (reverse("credit:decisions"), _("Credit decisions")),
                    (url, decision.decision_no),
                ],
            )
        try:
            services.decision_revoke(
                decision=decision, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(url)
            map_errors(form, error)
        else:
            messages.success(
                request, _("Decision %(number)s is revoked.") % {"number": decision.decision_no}
            )
            return redirect(url)
    return _decision_page(request, decision, form, status=PAGE_INVALID)


# --- The committee's settings ------------------------------------------------------------------


@login_required
def settings_view(request: HttpRequest) -> HttpResponse:
    """GET: the policy, the members and the chair (read by everyone with a role); POST: the
    director changes the policy (applications filed before keep theirs)."""
    access.require_role(request)
    user = request.user
    can_change = access.can_change_committee_settings(user)
    current = services.committee_settings()
    form = None
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied(_("The committee's policy is set by the sales director."))
        form = CommitteeSettingsForm(request.POST)
        if form.is_valid():
            try:
                saved = services.committee_settings_update(user=user, **form.cleaned_data)
            except ValidationError as error:
                map_errors(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "The committee's policy is saved: %(m)s of %(n)s members approve. "
                        "Applications filed before keep their policy."
                    )
                    % {"m": saved.approvals_needed, "n": len(services.committee_members())},
                )
                return redirect("credit:settings")
        status = PAGE_INVALID
    elif can_change:
        form = CommitteeSettingsForm(
            initial={
                "approvals_needed": current.approvals_needed,
                "chair_must_approve": current.chair_must_approve,
                "validity_months": current.validity_months,
            }
        )
    members = services.committee_members()
    chair = services.committee_chair()
    context = {
        "settings": current,
        "form": form,
        "members": members,
        "chair": chair,
        "chair_is_member": chair is not None and any(m.pk == chair.pk for m in members),
        "too_few": current.approvals_needed > len(members),
        "nav": "credit",
    }
    return render(request, "credit/settings.html", context, status=status)
