"""The credit committee's work: applications, votes, the decision computed when the quorum
policy is met, decisions revoked; the committee's settings.

Votes on one application are serialised by locking the application's row, so two members
casting the last votes at the same moment make exactly one decision (and the database allows
one decision per application besides). Every write leaves an audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.audit.services import audit_record
from kam.clients.models import Client
from kam.credit.choices import APPROVING, ApplicationState, VoteChoice
from kam.credit.models import (
    CommitteeSettings,
    CreditApplication,
    CreditDecision,
    CreditDecisionSource,
    Vote,
)
from kam.ledger.months import add_months
from kam.numbers import decimal_from_text, next_number
from kam.organization.choices import DepartmentKind
from kam.organization.models import Department, Employee
from kam.web import access

AnyUser = access.AnyUser
MAX_TERMS_DAYS = 365


# --- The committee -------------------------------------------------------------------------


def committee_settings() -> CommitteeSettings:
    found = CommitteeSettings.objects.first()
    return found if found is not None else CommitteeSettings.objects.create()


def committee_members() -> list[Employee]:
    """The committee: the active employees of the credit-committee department."""
    return list(
        Employee.objects.filter(
            department__kind=DepartmentKind.CREDIT_COMMITTEE, is_active=True
        ).order_by("name")
    )


def committee_chair() -> Employee | None:
    """The chair: the credit-committee department's head."""
    department = (
        Department.objects.filter(kind=DepartmentKind.CREDIT_COMMITTEE)
        .select_related("head")
        .first()
    )
    return department.head if department is not None else None


@transaction.atomic
def committee_settings_update(
    *,
    user: AnyUser | None,
    approvals_needed: int,
    chair_must_approve: bool,
    validity_months: int,
) -> CommitteeSettings:
    """The quorum policy (the director sets it); applications filed earlier keep theirs."""
    if user is not None and not access.can_change_committee_settings(user):
        raise PermissionDenied(_("The committee's policy is set by the sales director."))
    errors = {}
    members = len(committee_members())
    if not 1 <= approvals_needed <= max(members, 1):
        errors["approvals_needed"] = _("Between 1 and the number of members (%(n)s).") % {
            "n": members
        }
    if not 1 <= validity_months <= 36:
        errors["validity_months"] = _("Between 1 and 36 months.")
    if errors:
        raise ValidationError(errors)
    current = CommitteeSettings.objects.select_for_update().get(pk=committee_settings().pk)
    before = {
        "approvals_needed": current.approvals_needed,
        "chair_must_approve": current.chair_must_approve,
        "validity_months": current.validity_months,
    }
    after = {
        "approvals_needed": approvals_needed,
        "chair_must_approve": chair_must_approve,
        "validity_months": validity_months,
    }
    if before != after:
        for name, value in after.items():
            setattr(current, name, value)
        current.save()
        audit_record(
            actor=user,
            action="credit.settings_changed",
            obj=current,
            summary=f"{approvals_needed} of {members}, chair must approve: {chair_must_approve}",
            data={"before": before, "after": after},
        )
    return current


# --- The client's credit -------------------------------------------------------------------


def valid_decisions(client: Client, on: dt.date) -> list[CreditDecision]:
    """The client's decisions valid on ``on`` (taken by then, not expired, not revoked by then),
    the latest first: the rulebook's facts read the same (kam.rules.facts.common.credit_on)."""
    decisions = CreditDecision.objects.filter(client=client, date__lte=on).order_by(
        "-date", "-decision_no"
    )
    return [
        d
        for d in decisions
        if (d.valid_until is None or on <= d.valid_until)
        and (d.revoked_at is None or on < timezone.localtime(d.revoked_at).date())
    ]


def open_deferred_deals(client: Client, *, exclude: Any = None) -> Decimal:
    """Deals at the contract stage on deferred terms: goods promised on credit, not shipped."""
    from kam.deals.choices import DealStage
    from kam.deals.models import Deal

    deals = Deal.objects.filter(client=client, stage=DealStage.CONTRACT, payment_terms_days__gt=0)
    if exclude is not None:
        deals = deals.exclude(pk=exclude)
    return deals.aggregate(total=Sum("amount"))["total"] or Decimal(0)


@dataclass
class CreditPosition:
    """A client's credit on a day: the limit and terms allowed, the exposure, what is left."""

    on: dt.date
    decision: CreditDecision | None
    limit: Decimal | None
    terms_days: int | None
    valid_until: dt.date | None
    unpaid: Decimal
    overdue: Decimal
    max_overdue_days: int
    deals_at_contract: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.unpaid + self.deals_at_contract

    @property
    def available(self) -> Decimal | None:
        return self.limit - self.exposure if self.limit is not None else None


def credit_position(client: Client, on: dt.date | None = None) -> CreditPosition:
    """The client card's credit panel and the application's facts."""
    from kam.ledger.selectors import client_receivables

    on = on or timezone.localdate()
    decisions = valid_decisions(client, on)
    receivables = client_receivables(client_id=client.pk, as_of=on)
    latest = decisions[0] if decisions else None
    return CreditPosition(
        on=on,
        decision=latest,
        limit=max((d.credit_limit for d in decisions), default=None),
        terms_days=max((d.max_terms_days for d in decisions), default=None),
        valid_until=latest.valid_until if latest is not None else None,
        unpaid=Decimal(str(receivables["unpaid"])).quantize(Decimal("0.01")),
        overdue=Decimal(str(receivables["overdue"])).quantize(Decimal("0.01")),
        max_overdue_days=int(receivables["max_overdue_days"] or 0),
        deals_at_contract=open_deferred_deals(client),
    )


def credit_facts(client: Client, on: dt.date) -> dict[str, Any]:
    """What the members see on an application: the client's credit position and payment
    discipline (the latest assessment's), as JSON kept with the application."""
    from kam.assessment.models import Assessment

    position = credit_position(client, on)
    assessment = Assessment.objects.filter(client=client).order_by("-cycle__as_of").first()

    def money(value: Decimal | None) -> str | None:
        return str(value) if value is not None else None

    return {
        "on": on.isoformat(),
        "unpaid": money(position.unpaid),
        "overdue": money(position.overdue),
        "max_overdue_days": position.max_overdue_days,
        "deals_at_contract": money(position.deals_at_contract),
        "exposure": money(position.exposure),
        "decision_no": position.decision.decision_no if position.decision else None,
        "limit": money(position.limit),
        "terms_days": position.terms_days,
        "valid_until": position.valid_until.isoformat() if position.valid_until else None,
        "revenue_12m": round(assessment.revenue_12m, 2) if assessment else None,
        "days_overdue_avg": round(assessment.days_overdue_avg, 1)
        if assessment and assessment.days_overdue_avg is not None
        else None,
        "late_share": round(assessment.late_share, 3)
        if assessment and assessment.late_share is not None
        else None,
        "status": client.status,
    }


# --- Applications --------------------------------------------------------------------------


def conflicted(client: Client, applicant: Employee | None, deal: Any = None) -> set[int]:
    """Who may not vote: the applicant, the client's responsible and the deal's owner."""
    ids = {applicant.pk if applicant else None, client.responsible_id}
    if deal is not None:
        ids.add(deal.owner_id)
    return {i for i in ids if i is not None}


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = decimal_from_text(value)
    except InvalidOperation:
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: _("Enter a number of 0 or more.")})
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def application_submit(
    *,
    client: Client,
    user: AnyUser | None,
    requested_limit: Any,
    requested_terms_days: Any,
    justification: str,
    valid_until: dt.date | None = None,
    deal: Any = None,
) -> CreditApplication:
    """File an application: the client's credit facts are kept with it, the quorum policy and
    the members who may vote (without the conflicted) are fixed. One audit row."""
    if user is not None and not access.can_apply_for_credit(user, client):
        raise PermissionDenied(
            _(
                "Credit is applied for by the client's responsible employee, the deal's owner, "
                "the key-account head or the director."
            )
        )
    errors: dict[str, Any] = {}
    limit = terms = None
    try:
        limit = _decimal(requested_limit, "requested_limit")
        if limit == 0:
            errors["requested_limit"] = _("Ask for a limit above 0.")
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        terms = int(requested_terms_days)
        if not 1 <= terms <= MAX_TERMS_DAYS:
            raise ValueError
    except (TypeError, ValueError):
        errors["requested_terms_days"] = _("Payment terms are 1 to %(n)s days.") % {
            "n": MAX_TERMS_DAYS
        }
    today = timezone.localdate()
    if valid_until is not None and valid_until <= today:
        errors["valid_until"] = _("A decision is asked for the future: a date after today.")
    if not (justification or "").strip():
        errors["justification"] = _("Say why the client should get deferred payment.")
    if deal is not None and deal.client_id != client.pk:
        errors["deal"] = _("The deal is another client's.")
    if CreditApplication.objects.filter(client=client, state=ApplicationState.PENDING).exists():
        errors["client"] = _(
            "The client has an application awaiting the committee's votes: wait for it or "
            "withdraw it."
        )
    applicant = access.user_employee(user) if user is not None else None
    settings = committee_settings()
    blocked = conflicted(client, applicant, deal)
    voters = [m for m in committee_members() if m.pk not in blocked]
    if len(voters) < settings.approvals_needed and "client" not in errors:
        errors["client"] = _(
            "Only %(n)s member(s) of the committee may vote on this client (the others have a "
            "conflict of interest); the policy needs %(m)s approvals."
        ) % {"n": len(voters), "m": settings.approvals_needed}
    chair = committee_chair()
    if settings.chair_must_approve and (chair is None or chair.pk in blocked):
        errors.setdefault(
            "client",
            _("The chair must approve, but the chair has a conflict of interest or is missing."),
        )
    if errors:
        raise ValidationError(errors)
    assert limit is not None and terms is not None
    application = CreditApplication.objects.create(
        client=client,
        deal=deal,
        requested_limit=limit,
        requested_terms_days=terms,
        valid_until=valid_until or add_months(today, settings.validity_months),
        justification=justification.strip(),
        applicant=applicant,
        requested_by=access.acting_user(user),
        facts=credit_facts(client, today),
        approvals_needed=settings.approvals_needed,
        chair_must_approve=settings.chair_must_approve,
        chair=chair,
    )
    application.voters.set(voters)
    audit_record(
        actor=user,
        action="credit.application_submitted",
        obj=application,
        summary=f"{client.code}: {limit}, {terms} days",
        data={"limit": str(limit), "terms_days": terms, "voters": [v.code for v in voters]},
    )
    return application


@dataclass(frozen=True)
class Outcome:
    state: str
    limit: Decimal | None = None
    terms_days: int | None = None


def outcome(application: CreditApplication, votes: list[Vote], voters: int) -> Outcome:
    """What the votes decide under the application's policy (pending while undecided).

    Approved: at least M approving votes (and the chair's among them when the policy wants
    it), with the lowest limit and the shortest terms of the approving votes (never above what
    was asked). Rejected: when the approvals still possible cannot reach M, or the chair who
    must approve has rejected."""
    approving = [v for v in votes if v.choice in APPROVING]
    chair_vote = next((v for v in votes if v.member_id == application.chair_id), None)
    if (
        application.chair_must_approve
        and chair_vote is not None
        and chair_vote.choice == VoteChoice.REJECT
    ):
        return Outcome(ApplicationState.REJECTED)
    chair_ok = not application.chair_must_approve or (
        chair_vote is not None and chair_vote.choice in APPROVING
    )
    if len(approving) >= application.approvals_needed and chair_ok:
        limits = [application.requested_limit] + [v.limit for v in approving if v.limit is not None]
        terms = [application.requested_terms_days] + [
            v.terms_days for v in approving if v.terms_days is not None
        ]
        return Outcome(ApplicationState.APPROVED, min(limits), min(terms))
    still_possible = len(approving) + (voters - len(votes))
    if still_possible < application.approvals_needed:
        return Outcome(ApplicationState.REJECTED)
    return Outcome(ApplicationState.PENDING)


def next_decision_number(day: dt.date) -> str:
    prefix = f"CC-{day.year}-"
    taken = CreditDecision.objects.filter(decision_no__startswith=prefix).values_list(
        "decision_no", flat=True
    )
    return next_number(taken, prefix, 5)


def _lock(application: CreditApplication) -> CreditApplication:
    return CreditApplication.objects.select_for_update().get(pk=application.pk)


@transaction.atomic
def vote_cast(
    *,
    application: CreditApplication,
    user: AnyUser | None,
    choice: str,
    limit: Any = None,
    terms_days: Any = None,
    comment: str = "",
    member: Employee | None = None,
) -> Vote:
    """A member's vote; when it meets the policy, the decision is recorded at once (one per
    application: the application's row is locked while voting)."""
    application = _lock(application)
    member = member or (access.user_employee(user) if user is not None else None)
    if (
        member is None
        or not member.is_active
        or not member.department.kind == DepartmentKind.CREDIT_COMMITTEE
    ):
        raise PermissionDenied(_("Only the credit committee's members vote."))
    if application.state != ApplicationState.PENDING:
        raise ValidationError(
            _("The application is %(state)s: the votes are closed.")
            % {"state": application.get_state_display().lower()}
        )
    if not application.voters.filter(pk=member.pk).exists():
        raise PermissionDenied(
            _(
                "%(name)s may not vote on this application: a conflict of interest (the "
                "applicant, the client's responsible or the deal's owner) or not a member when it "
                "was filed."
            )
            % {"name": member.name}
        )
    if application.votes.filter(member=member).exists():
        raise ValidationError(
            _("%(name)s has voted already; a vote is not changed.") % {"name": member.name}
        )
    errors: dict[str, Any] = {}
    if choice not in VoteChoice.values:
        errors["choice"] = _("Approve, approve with less, or reject.")
    limit_value = terms_value = None
    if choice == VoteChoice.APPROVE_REDUCED:
        if limit not in (None, ""):
            try:
                limit_value = _decimal(limit, "limit")
            except ValidationError as error:
                errors.update(error.message_dict)
        if terms_days not in (None, ""):
            try:
                terms_value = int(terms_days)
            except (TypeError, ValueError):
                errors["terms_days"] = _("Enter a whole number of days.")
        if limit_value is None and terms_value is None:
            errors["limit"] = _("Say the lower limit or the shorter terms you approve.")
        if limit_value is not None and not 0 < limit_value < application.requested_limit:
            errors["limit"] = _("A lower limit: above 0 and below the %(asked)s asked.") % {
                "asked": application.requested_limit
            }
        if terms_value is not None and not 0 < terms_value < application.requested_terms_days:
            errors["terms_days"] = _("Shorter terms: 1 to %(n)s days.") % {
                "n": application.requested_terms_days - 1
            }
    if choice == VoteChoice.REJECT and not (comment or "").strip():
        errors["comment"] = _("Say why you reject: the applicant reads it.")
    if errors:
        raise ValidationError(errors)
    vote = Vote.objects.create(
        application=application,
        member=member,
        choice=choice,
        limit=limit_value,
        terms_days=terms_value,
        comment=(comment or "").strip(),
        voted_by=access.acting_user(user),
    )
    audit_record(
        actor=user,
        action="credit.vote_cast",
        obj=application,
        summary=f"{member.code}: {choice}",
        data={
            "vote": vote.pk,
            "limit": str(limit_value) if limit_value else None,
            "terms_days": terms_value,
        },
    )
    votes = list(application.votes.all())
    result = outcome(application, votes, application.voters.count())
    if result.state != ApplicationState.PENDING:
        _decide(application, result, user)
    return vote


def _decide(application: CreditApplication, result: Outcome, user: AnyUser | None) -> None:
    now = timezone.now()
    application.state = result.state
    application.decided_at = now
    application.save(update_fields=["state", "decided_at"])
    decision = None
    if result.state == ApplicationState.APPROVED:
        today = timezone.localdate()
        assert result.limit is not None and result.terms_days is not None
        decision = CreditDecision.objects.create(
            decision_no=next_decision_number(today),
            client=application.client,
            date=today,
            credit_limit=result.limit,
            max_terms_days=result.terms_days,
            valid_until=application.valid_until,
            source=CreditDecisionSource.COMMITTEE,
            application=application,
        )
    audit_record(
        actor=user,
        action=f"credit.application_{result.state}",
        obj=application,
        summary=f"{application.client.code}: {result.state}"
        + (
            f" {decision.decision_no} {decision.credit_limit} / {decision.max_terms_days} days"
            if decision
            else ""
        ),
        data={"decision": decision.decision_no if decision else None},
    )


@transaction.atomic
def application_withdraw(
    *, application: CreditApplication, user: AnyUser | None, reason: str
) -> CreditApplication:
    application = _lock(application)
    if user is not None and not access.can_withdraw_application(user, application):
        raise PermissionDenied(_("The applicant or the director withdraws an application."))
    if application.state != ApplicationState.PENDING:
        raise ValidationError(_("Only an application awaiting votes is withdrawn."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why it is withdrawn.")})
    application.state = ApplicationState.WITHDRAWN
    application.withdrawn_reason = reason.strip()
    application.decided_at = timezone.now()
    application.save(update_fields=["state", "withdrawn_reason", "decided_at"])
    audit_record(
        actor=user, action="credit.application_withdrawn", obj=application, summary=reason[:80]
    )
    return application


@transaction.atomic
def decision_revoke(
    *, decision: CreditDecision, user: AnyUser | None, reason: str
) -> CreditDecision:
    """Revoke a decision from now on (recorded beside it; the decision itself never changes)."""
    decision = CreditDecision.objects.select_for_update().get(pk=decision.pk)
    if user is not None and not access.can_revoke_credit_decision(user):
        raise PermissionDenied(_("A decision is revoked by the committee's chair or the director."))
    if decision.revoked_at is not None:
        raise ValidationError(_("The decision is revoked already."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the decision is revoked.")})
    decision.revoked_at = timezone.now()
    decision.revoked_by = access.acting_user(user)
    decision.revoke_reason = reason.strip()
    decision.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=user,
        action="credit.decision_revoked",
        obj=decision,
        summary=f"{decision.decision_no}: {reason[:80]}",
        data={"client": decision.client.code},
    )
    return decision
