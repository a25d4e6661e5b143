"""One application: the form that files it (beside the client's credit position, the members
who will vote and the policy), its card (what was filed, the votes, who may still vote, the
decision), the vote, the withdrawal and the printable minutes.

Every form is a plain POST that works without JavaScript. A vote and a withdrawal cannot be
taken back: the page asks first (a browser dialog, or without one a confirmation page). A
refusal of the service comes back beside its field or as a message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.clients.models import Client
from kam.credit import selectors, services
from kam.credit.choices import ApplicationState, VoteChoice
from kam.credit.filters import client_matches
from kam.credit.forms import ApplicationForm, VoteForm, WithdrawForm
from kam.credit.models import CreditApplication, CreditDecision
from kam.credit.views import member_of
from kam.ledger.months import add_months
from kam.organization.models import Employee
from kam.web import access

#: The page again with the refused form (a plain POST that did not go through).
PAGE_INVALID = 400
PICKER_SIZE = 25


def map_errors(form: forms.Form, error: ValidationError, elsewhere: str = "") -> list[str]:
    """The service's field errors beside their fields; those of a field the form lacks are
    returned (``elsewhere`` names one the page shows apart, e.g. the client's)."""
    apart: list[str] = []
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return apart
    for name, errors in error.error_dict.items():
        texts = [m for item in errors for m in item.messages]
        if name in form.fields:
            form.add_error(name, texts)
        elif name == elsewhere:
            apart.extend(texts)
        else:
            form.add_error(None, texts)
    return apart


def decision_of(application: CreditApplication) -> CreditDecision | None:
    try:
        return application.decision
    except ObjectDoesNotExist:
        return None


# --- Filing ----------------------------------------------------------------------------------


def _client_to_apply_for(request: HttpRequest, client_id: str) -> Client:
    """The client if the user may apply for it: 404 if they may not even see it, else 403."""
    client = get_object_or_404(Client.objects.select_related("responsible"), pk=client_id)
    if access.can_apply_for_credit(request.user, client):
        return client
    if not access.can_view_client(request.user, client):
        raise Http404
    raise PermissionDenied(
        _(
            "Credit is applied for by the client's responsible employee, the deal's owner, the "
            "key-account head or the director."
        )
    )


def _picker(request: HttpRequest) -> HttpResponse:
    """No client named yet: the clients the user may apply for, searched by name, code or
    tax id."""
    text = request.GET.get("q", "").strip()
    clients = access.credit_client_scope(request.user, Client.objects.all())
    if text:
        clients = client_matches(clients, text)
    found = list(clients.select_related("responsible").order_by("name")[: PICKER_SIZE + 1])
    context = {
        "q": text,
        "clients": found[:PICKER_SIZE],
        "more": len(found) > PICKER_SIZE,
        "nav": "credit",
    }
    return render(request, "credit/apply_pick.html", context)


@dataclass
class RosterRow:
    """A committee member as the applicant sees them before filing."""

    member: Employee
    is_chair: bool
    reason: str
    deals: list[str]

    @property
    def reason_label(self) -> Any:
        return selectors.CONFLICTS[self.reason][0] if self.reason else ""


def roster(client: Client, applicant: Employee | None, deals: list[Any]) -> list[RosterRow]:
    """Who will vote (without the conflicted, ``services.conflicted``), and whose deal would
    keep them from voting if the application names it."""
    chair = services.committee_chair()
    blocked = services.conflicted(client, applicant)
    rows = []
    for member in services.committee_members():
        reason = ""
        if member.pk in blocked:
            reason = selectors.conflict_reason(
                employee_id=member.pk,
                applicant_id=applicant.pk if applicant else None,
                responsible_id=client.responsible_id,
                deal_owner_id=None,
            )
        rows.append(
            RosterRow(
                member=member,
                is_chair=chair is not None and chair.pk == member.pk,
                reason=reason,
                deals=[d.number for d in deals if d.owner_id == member.pk],
            )
        )
    return rows


@login_required
def apply_view(request: HttpRequest) -> HttpResponse:
    """GET: the form for ``?client=<id>`` (and ``&deal=<id>``), or the client picker; POST:
    file the application, then its card."""
    access.require_role(request)
    user = request.user
    if not access.applies_for_credit(user):
        raise PermissionDenied(
            _(
                "Credit is applied for by the client's responsible employee, a deal's owner, "
                "the key-account head or the director."
            )
        )
    client_id = (request.POST.get("client") or request.GET.get("client") or "").strip()
    if not client_id.isdigit():
        return _picker(request)
    client = _client_to_apply_for(request, client_id)
    from kam.deals.choices import FINAL_STAGES
    from kam.deals.models import Deal

    deals_qs = (
        access.deal_scope(user, Deal.objects.filter(client=client))
        .exclude(stage__in=FINAL_STAGES)
        .select_related("owner")
        .order_by("-created_at", "-id")
    )
    deals = list(deals_qs)
    policy = services.committee_settings()
    today = timezone.localdate()
    default_until = add_months(today, policy.validity_months)
    deal_id = request.GET.get("deal", "")
    initial = {
        "valid_until": default_until,
        "deal": int(deal_id)
        if deal_id.isdigit() and any(d.pk == int(deal_id) for d in deals)
        else None,
    }
    form = ApplicationForm(request.POST or None, deals=deals_qs, initial=initial, prefix="apply")
    client_errors: list[str] = []
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                application = services.application_submit(
                    client=client,
                    user=user,
                    requested_limit=data["requested_limit"],
                    requested_terms_days=data["requested_terms_days"],
                    justification=data["justification"],
                    valid_until=data["valid_until"],
                    deal=data["deal"],
                )
            except ValidationError as error:
                client_errors = map_errors(form, error, elsewhere="client")
            else:
                messages.success(
                    request,
                    _(
                        "%(number)s is filed: %(n)s member(s) of the committee vote on it; "
                        "%(m)s approval(s) decide."
                    )
                    % {
                        "number": application.number,
                        "n": application.voters.count(),
                        "m": application.approvals_needed,
                    },
                )
                return redirect("credit:application", pk=application.pk)
        status = PAGE_INVALID
    applicant = access.user_employee(user)
    rows = roster(client, applicant, deals)
    voting = [r for r in rows if not r.reason]
    chair = services.committee_chair()
    context = {
        "client": client,
        "form": form,
        "client_errors": client_errors,
        "position": services.credit_position(client, today),
        "facts": selectors.facts_view(services.credit_facts(client, today)),
        "roster": rows,
        "voting": len(voting),
        "members": len(rows),
        "short_of_members": len(voting) < policy.approvals_needed,
        "policy": policy,
        "chair": chair,
        "chair_conflicted": chair is not None
        and any(r.member.pk == chair.pk and r.reason for r in rows),
        "default_until": default_until,
        "pending": CreditApplication.objects.filter(
            client=client, state=ApplicationState.PENDING
        ).first(),
        "nav": "credit",
    }
    return render(request, "credit/apply.html", context, status=status)


# --- The card ----------------------------------------------------------------------------------


def application_for(request: HttpRequest, pk: int) -> CreditApplication:
    """The application if the user may read it: 403 without a role, 404 outside their scope."""
    access.require_role(request)
    scope = access.credit_application_scope(request.user, selectors.applications_base())
    return get_object_or_404(scope, pk=pk)


@dataclass
class May:
    """What the reader may do on the application now."""

    vote: bool = False
    withdraw: bool = False
    revoke: bool = False
    my_vote: Any = None
    conflict: Any = ""


def may_for(user: Any, application: CreditApplication, ballot: selectors.Ballot) -> May:
    member = member_of(user)
    pending = application.state == ApplicationState.PENDING
    may = May(
        withdraw=pending and access.can_withdraw_application(user, application),
    )
    decision = decision_of(application)
    may.revoke = (
        decision is not None
        and decision.revoked_at is None
        and access.can_revoke_credit_decision(user)
    )
    if member is None:
        return may
    seat = next((s for s in ballot.seats if s.member.pk == member.pk), None)
    if seat is not None:
        may.my_vote = seat.vote
        may.vote = pending and seat.vote is None
    else:
        stood = next((s for s in ballot.conflicted if s.member.pk == member.pk), None)
        reason = stood.reason if stood else "not_member"
        may.conflict = selectors.CONFLICTS[reason][1]
    return may


def _page(
    request: HttpRequest,
    application: CreditApplication,
    *,
    vote_form: VoteForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    status: int = 200,
) -> HttpResponse:
    ballot = selectors.ballot(application)
    may = may_for(request.user, application, ballot)
    decision = decision_of(application)
    today = timezone.localdate()
    context = {
        "application": application,
        "facts": selectors.facts_view(application.facts),
        "ballot": ballot,
        "tally": ballot.tally,
        "may": may,
        "decision": decision,
        "standing": selectors.decision_standing(decision, today) if decision else "",
        "vote_form": (vote_form or VoteForm(prefix="vote")) if may.vote else None,
        "withdraw_form": (withdraw_form or WithdrawForm(prefix="withdraw"))
        if may.withdraw
        else None,
        "reduced": VoteChoice.APPROVE_REDUCED.value,
        "reject": VoteChoice.REJECT.value,
        "nav": "credit",
    }
    return render(request, "credit/application.html", context, status=status)


@login_required
def application_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, application_for(request, pk))


def _card_url(application: CreditApplication, anchor: str = "") -> str:
    url = reverse("credit:application", args=[application.pk])
    return f"{url}#{anchor}" if anchor else url


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    question: str,
    action: str,
    back: str,
    form: forms.Form,
    summary: list[tuple[str, str]],
    crumbs: list[tuple[str, str]],
) -> HttpResponse:
    """The confirmation of an irreversible step (a browser without JavaScript, or one whose
    dialog was skipped): the same data posted again with confirmed=1."""
    hidden = [
        (form.add_prefix(name), form.data.get(form.add_prefix(name), ""))
        for name in form.fields
        if name != "confirmed"
    ]
    return render(
        request,
        "credit/confirm.html",
        {
            "title": title,
            "question": question,
            "action": action,
            "back": back,
            "summary": summary,
            "hidden": hidden,
            "confirmed_name": form.add_prefix("confirmed"),
            "crumbs": crumbs,
            "nav": "credit",
        },
    )


@login_required
@require_POST
def vote_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    if not access.is_committee_member(request.user):
        raise PermissionDenied(_("Only the credit committee's members vote."))
    form = VoteForm(request.POST, prefix="vote")
    if form.is_valid():
        data = form.cleaned_data
        if data["confirmed"] != "1":
            return confirm_page(
                request,
                title=_("Confirm your vote"),
                question=_("Cast this vote on %(number)s for %(client)s? A vote is never changed.")
                % {"number": application.number, "client": application.client.name},
                action=reverse("credit:vote", args=[application.pk]),
                back=_card_url(application, "vote"),
                form=form,
                summary=form.summary(),
                crumbs=[
                    (reverse("credit:inbox"), _("Credit")),
                    (_card_url(application), application.number),
                ],
            )
        try:
            services.vote_cast(
                application=application,
                user=request.user,
                choice=data["choice"],
                limit=data["limit"],
                terms_days=data["terms_days"],
                comment=data["comment"],
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(_card_url(application))
            map_errors(form, error)
        else:
            application.refresh_from_db()
            messages.success(request, _voted_message(application))
            return redirect(_card_url(application, "votes"))
    return _page(request, application, vote_form=form, status=PAGE_INVALID)


def _voted_message(application: CreditApplication) -> str:
    if application.state == ApplicationState.APPROVED:
        decision = decision_of(application)
        if decision is not None:
            return _(
                "Your vote is recorded and decides: approved, decision %(number)s — limit "
                "%(limit)s, up to %(days)s days."
            ) % {
                "number": decision.decision_no,
                "limit": f"{decision.credit_limit:,.0f}".replace(",", "\u00a0"),
                "days": decision.max_terms_days,
            }
    if application.state == ApplicationState.REJECTED:
        return _("Your vote is recorded and decides: the application is rejected.")
    return _("Your vote is recorded; the application waits for the other members.")


@login_required
@require_POST
def withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request, pk)
    if not access.can_withdraw_application(request.user, application):
        raise PermissionDenied(_("The applicant or the director withdraws an application."))
    form = WithdrawForm(request.POST, prefix="withdraw")
    if form.is_valid():
        if form.cleaned_data["confirmed"] != "1":
            return confirm_page(
                request,
                title=_("Confirm the withdrawal"),
                question=_(
                    "Withdraw %(number)s? The members stop voting on it and it cannot be "
                    "taken back; a new application may be filed."
                )
                % {"number": application.number},
                action=reverse("credit:withdraw", args=[application.pk]),
                back=_card_url(application, "withdraw"),
                form=form,
                summary=form.summary(),
                crumbs=[
                    (reverse("credit:inbox"), _("Credit")),
                    (_card_url(application), application.number),
                ],
            )
        try:
            services.application_withdraw(
                application=application, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect(_card_url(application))
            map_errors(form, error)
        else:
            messages.success(
                request, _("%(number)s is withdrawn.") % {"number": application.number}
            )
            return redirect(_card_url(application))
    return _page(request, application, withdraw_form=form, status=PAGE_INVALID)


# --- The minutes -------------------------------------------------------------------------------


@login_required
def protocol_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The committee's minutes of one application, to print: no navigation."""
    application = application_for(request, pk)
    ballot = selectors.ballot(application)
    decision = decision_of(application)
    today: dt.date = timezone.localdate()
    context = {
        "application": application,
        "facts": selectors.facts_view(application.facts),
        "ballot": ballot,
        "tally": ballot.tally,
        "decision": decision,
        "standing": selectors.decision_standing(decision, today) if decision else "",
        "today": today,
    }
    return render(request, "credit/protocol.html", context)
