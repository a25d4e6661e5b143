"""Reads the committee's pages share: applications with their tallies, the member's queue,
the votes and who may still vote, the facts as filed, decisions with their standing on a day.

Counts are subqueries rather than joins, so a list costs the same number of queries whatever
its length (pinned in the page tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy

from kam.clients.choices import ClientStatus
from kam.credit.choices import APPROVING, ApplicationState, DecisionState, VoteChoice
from kam.credit.models import CreditApplication, CreditDecision, Vote
from kam.organization.models import Employee

# --- Applications ----------------------------------------------------------------------------


def _count(queryset: QuerySet[Any], key: str) -> Any:
    """The rows of ``queryset`` (filtered on OuterRef) counted in a subquery, 0 when none."""
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def applications_base() -> QuerySet[CreditApplication]:
    """Applications with what every list shows: client, applicant, deal, decision, and the
    votes counted (approving, cast) against the members who may vote."""
    through = CreditApplication.voters.through
    return (
        CreditApplication.objects.select_related(
            "client", "applicant", "deal", "chair", "decision", "requested_by"
        )
        .annotate(
            approvals=_count(
                Vote.objects.filter(application=OuterRef("pk"), choice__in=APPROVING),
                "application",
            ),
            votes_cast=_count(Vote.objects.filter(application=OuterRef("pk")), "application"),
            voters_count=_count(
                through.objects.filter(creditapplication=OuterRef("pk")), "creditapplication"
            ),
        )
        # Pending first (the committee's work), then by the latest news: decided or filed.
        .annotate(
            pending_rank=Case(
                When(state=ApplicationState.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            activity=Coalesce(F("decided_at"), F("created_at"), output_field=DateTimeField()),
        )
    )


def with_my_vote(
    queryset: QuerySet[CreditApplication], member: Employee | None
) -> QuerySet[CreditApplication]:
    """Annotate ``my_vote`` (the member's choice, or None) and ``i_may_vote`` (1 when the
    member is among the application's voters)."""
    if member is None:
        return queryset.annotate(
            my_vote=Value(None, output_field=CharField()),
            i_may_vote=Value(0, output_field=IntegerField()),
        )
    through = CreditApplication.voters.through
    return queryset.annotate(
        my_vote=Subquery(
            Vote.objects.filter(application=OuterRef("pk"), member=member).values("choice")[:1],
            output_field=CharField(),
        ),
        i_may_vote=_count(
            through.objects.filter(creditapplication=OuterRef("pk"), employee=member),
            "creditapplication",
        ),
    )


def votes_prefetch() -> Prefetch:
    return Prefetch(
        "votes",
        queryset=Vote.objects.select_related("member", "voted_by").order_by("at", "id"),
        to_attr="vote_list",
    )


def awaiting_vote(member: Employee | None) -> list[CreditApplication]:
    """The applications waiting for ``member``'s vote: pending, the member among those who may
    vote, no vote of theirs yet; the oldest first (they have waited longest)."""
    if member is None:
        return []
    queryset = (
        applications_base()
        .filter(state=ApplicationState.PENDING, voters=member)
        .exclude(votes__member=member)
        .prefetch_related(votes_prefetch())
        .order_by("created_at", "id")
    )
    return list(queryset)


@dataclass
class Tally:
    """Where the votes stand against the application's policy."""

    approvals: int
    rejections: int
    cast: int
    needed: int
    voters: int
    chair_must_approve: bool
    chair_vote: Vote | None

    @property
    def missing(self) -> int:
        return max(self.needed - self.approvals, 0)

    @property
    def still_possible(self) -> int:
        """Approvals the application may still reach if every remaining member approves."""
        return self.approvals + (self.voters - self.cast)


def tally(application: CreditApplication, votes: list[Vote], voters: int) -> Tally:
    return Tally(
        approvals=sum(1 for v in votes if v.choice in APPROVING),
        rejections=sum(1 for v in votes if v.choice == VoteChoice.REJECT),
        cast=len(votes),
        needed=application.approvals_needed,
        voters=voters,
        chair_must_approve=application.chair_must_approve,
        chair_vote=next((v for v in votes if v.member_id == application.chair_id), None),
    )


#: Why a member may not vote on an application, as a list names it and as the member reads it.
CONFLICTS: dict[str, tuple[Any, Any]] = {
    "applicant": (
        gettext_lazy("the applicant"),
        gettext_lazy("You filed this application: the applicant does not vote on it."),
    ),
    "responsible": (
        gettext_lazy("responsible for the client"),
        gettext_lazy(
            "You are responsible for the client: a conflict of interest keeps you from voting."
        ),
    ),
    "deal_owner": (
        gettext_lazy("the deal's owner"),
        gettext_lazy("You own the deal: a conflict of interest keeps you from voting."),
    ),
    "not_member": (
        gettext_lazy("not a member when it was filed"),
        gettext_lazy("You were not a member of the committee when the application was filed."),
    ),
}


def conflict_reason(
    *,
    employee_id: int,
    applicant_id: int | None,
    responsible_id: int | None,
    deal_owner_id: int | None,
) -> str:
    """Why a member may not vote on a client's application: a key of CONFLICTS ("" when
    nothing stands in the way)."""
    if employee_id == applicant_id:
        return "applicant"
    if employee_id == responsible_id:
        return "responsible"
    if employee_id == deal_owner_id:
        return "deal_owner"
    return ""


@dataclass
class Seat:
    """A committee member on one application: may vote (and has or has not), or may not."""

    member: Employee
    may_vote: bool
    vote: Vote | None = None
    is_chair: bool = False
    reason: str = ""

    @property
    def reason_label(self) -> Any:
        return CONFLICTS[self.reason][0] if self.reason in CONFLICTS else ""

    @property
    def reason_for_member(self) -> Any:
        return CONFLICTS[self.reason][1] if self.reason in CONFLICTS else ""


@dataclass
class Ballot:
    """One application's votes, who may still vote and who may not, and the tally."""

    votes: list[Vote]
    seats: list[Seat]
    tally: Tally
    waiting: list[Employee] = field(default_factory=list)
    conflicted: list[Seat] = field(default_factory=list)


def ballot(application: CreditApplication) -> Ballot:
    """The votes cast, the members who may still vote and the committee's members who may not
    (with why: a conflict of interest, or not a member when it was filed)."""
    from kam.credit.services import committee_members

    votes = list(application.votes.select_related("member", "voted_by").order_by("at", "id"))
    voters = list(application.voters.order_by("name"))
    voted = {v.member_id: v for v in votes}
    seats = [
        Seat(
            member=m,
            may_vote=True,
            vote=voted.get(m.pk),
            is_chair=m.pk == application.chair_id,
        )
        for m in voters
    ]
    # Those who voted in the order they did, then those who have not, by name (the minutes).
    seats.sort(
        key=lambda s: (s.vote is None, s.vote.at.timestamp() if s.vote else 0.0, s.member.name)
    )
    voter_ids = {m.pk for m in voters}
    responsible_id = application.client.responsible_id
    deal_owner_id = application.deal.owner_id if application.deal else None
    conflicted = [
        Seat(
            member=m,
            may_vote=False,
            is_chair=m.pk == application.chair_id,
            reason=conflict_reason(
                employee_id=m.pk,
                applicant_id=application.applicant_id,
                responsible_id=responsible_id,
                deal_owner_id=deal_owner_id,
            )
            or "not_member",
        )
        for m in committee_members()
        if m.pk not in voter_ids
    ]
    return Ballot(
        votes=votes,
        seats=seats,
        tally=tally(application, votes, len(voters)),
        waiting=[s.member for s in seats if s.vote is None],
        conflicted=conflicted,
    )


# --- The facts kept with an application ------------------------------------------------------


def _money(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def facts_view(facts: dict[str, Any] | None) -> dict[str, Any]:
    """The client's credit facts as filed (JSON of strings), typed for the templates: money as
    Decimal, dates as dates, the late share in per cent."""
    facts = facts or {}
    late_share = facts.get("late_share")
    return {
        "on": _date(facts.get("on")),
        "unpaid": _money(facts.get("unpaid")),
        "overdue": _money(facts.get("overdue")),
        "max_overdue_days": facts.get("max_overdue_days") or 0,
        "deals_at_contract": _money(facts.get("deals_at_contract")),
        "exposure": _money(facts.get("exposure")),
        "decision_no": facts.get("decision_no"),
        "limit": _money(facts.get("limit")),
        "terms_days": facts.get("terms_days"),
        "valid_until": _date(facts.get("valid_until")),
        "revenue_12m": _money(facts.get("revenue_12m")),
        "days_overdue_avg": facts.get("days_overdue_avg"),
        "late_share_pct": round(float(late_share) * 100, 1) if late_share is not None else None,
        "status": facts.get("status") or "",
        "status_label": ClientStatus(facts["status"]).label
        if facts.get("status") in ClientStatus.values
        else "",
    }


# --- Decisions -------------------------------------------------------------------------------


def with_decision_state(
    queryset: QuerySet[CreditDecision], today: dt.date
) -> QuerySet[CreditDecision]:
    """Annotate ``standing``: revoked, not yet valid (dated after ``today``), expired (valid
    until before ``today``) or valid, in that order of precedence."""
    return queryset.annotate(
        standing=Case(
            When(revoked_at__isnull=False, then=Value(DecisionState.REVOKED.value)),
            When(date__gt=today, then=Value(DecisionState.NOT_YET_VALID.value)),
            When(valid_until__lt=today, then=Value(DecisionState.EXPIRED.value)),
            default=Value(DecisionState.VALID.value),
            output_field=CharField(),
        )
    )


def decisions_base(today: dt.date) -> QuerySet[CreditDecision]:
    return with_decision_state(
        CreditDecision.objects.select_related("client", "application", "revoked_by"), today
    )


def decision_standing(decision: CreditDecision, today: dt.date) -> str:
    """The same standing as ``with_decision_state``, for one decision in hand."""
    if decision.revoked_at is not None:
        return DecisionState.REVOKED.value
    if decision.date > today:
        return DecisionState.NOT_YET_VALID.value
    if decision.valid_until is not None and decision.valid_until < today:
        return DecisionState.EXPIRED.value
    return DecisionState.VALID.value
