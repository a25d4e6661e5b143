"""The credit committee: an application with the client's facts, M-of-N votes, conflicts of
interest, the decision recorded when the policy is met (immutable), rejections, withdrawals and
revocations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.audit.models import AuditEntry
from kam.credit.choices import ApplicationState, VoteChoice
from kam.credit.models import CreditApplication, CreditDecision, CreditDecisionSource
from kam.credit.services import (
    application_submit,
    application_withdraw,
    committee_settings_update,
    credit_position,
    decision_revoke,
    valid_decisions,
    vote_cast,
)
from kam.credit.testing import Committee, committee_create

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def committee() -> Committee:
    return committee_create()


def apply(
    c: Committee, client: str = "C1", login: str = "erin", **extra: object
) -> CreditApplication:
    values: dict[str, object] = {
        "requested_limit": "500 000",
        "requested_terms_days": 45,
        "justification": "Регулярные закупки, платит в срок.",
    }
    values.update(extra)
    return application_submit(client=c.clients[client], user=c.users[login], **values)  # type: ignore[arg-type]


def vote(
    c: Committee,
    application: CreditApplication,
    login: str,
    choice: str = VoteChoice.APPROVE,
    **extra: object,
) -> None:
    vote_cast(application=application, user=c.users[login], choice=choice, **extra)  # type: ignore[arg-type]


def test_two_of_three_approve_and_the_decision_is_recorded(committee: Committee) -> None:
    application = apply(committee)
    assert application.state == ApplicationState.PENDING
    assert set(application.voters.values_list("code", flat=True)) == {"E9", "E10", "E11"}
    assert (application.approvals_needed, application.chair_must_approve) == (2, False)
    facts = application.facts
    assert facts["unpaid"] == "100000.00" and facts["max_overdue_days"] == 40
    assert facts["decision_no"] is None
    vote(committee, application, "mike")
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING
    assert not CreditDecision.objects.exists()
    vote(
        committee,
        application,
        "nina",
        VoteChoice.APPROVE_REDUCED,
        limit="400000",
        comment="Лимит ниже: просрочка.",
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    decision = CreditDecision.objects.get()
    assert decision.application == application
    assert decision.source == CreditDecisionSource.COMMITTEE
    assert (decision.credit_limit, decision.max_terms_days) == (Decimal("400000.00"), 45)
    assert decision.decision_no == f"CC-{TODAY.year}-00001"
    assert decision.valid_until == application.valid_until
    # The client's credit panel shows it.
    position = credit_position(committee.clients["C1"])
    assert position.decision == decision and position.limit == Decimal("400000.00")
    assert position.available == Decimal("300000.00")  # 400 000 − 100 000 owed
    # Decided: nobody votes any more.
    with pytest.raises(ValidationError, match="votes are closed"):
        vote(committee, application, "cora")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "credit.application_submitted",
        "credit.vote_cast",
        "credit.application_approved",
    } <= actions


def test_a_member_votes_once_and_reasons_are_required(committee: Committee) -> None:
    application = apply(committee)
    vote(committee, application, "mike")
    with pytest.raises(ValidationError, match="voted already"):
        vote(committee, application, "mike", VoteChoice.REJECT, comment="Передумал.")
    with pytest.raises(ValidationError) as refused:
        vote(committee, application, "cora", VoteChoice.REJECT)
    assert "comment" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        vote(committee, application, "cora", VoteChoice.APPROVE_REDUCED, limit="600000")
    assert "limit" in refused.value.message_dict


def test_conflicts_of_interest_keep_members_from_voting(committee: Committee) -> None:
    application = apply(committee, client="N1", login="alice")
    assert set(application.voters.values_list("code", flat=True)) == {"E9", "E10"}
    with pytest.raises(PermissionDenied, match="conflict of interest"):
        vote(committee, application, "nina")
    with pytest.raises(PermissionDenied, match="Only the credit committee's members vote"):
        vote(committee, application, "erin")


def test_when_approval_is_out_of_reach_it_is_rejected(committee: Committee) -> None:
    application = apply(committee)
    vote(committee, application, "mike", VoteChoice.REJECT, comment="Просрочка 40 дней.")
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING
    vote(committee, application, "nina", VoteChoice.REJECT, comment="Согласна с Михаилом.")
    application.refresh_from_db()
    assert application.state == ApplicationState.REJECTED
    assert not CreditDecision.objects.exists()


def test_the_chair_must_approve_when_the_policy_says_so(committee: Committee) -> None:
    committee_settings_update(
        user=committee.users["alice"],
        approvals_needed=2,
        chair_must_approve=True,
        validity_months=6,
    )
    application = apply(committee)
    vote(committee, application, "mike")
    vote(committee, application, "nina")
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING  # two approvals, but not the chair's
    vote(committee, application, "cora", VoteChoice.APPROVE_REDUCED, terms_days="30")
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    assert CreditDecision.objects.get().max_terms_days == 30
    second = apply(committee, client="K1", login="charlie")
    vote(committee, second, "cora", VoteChoice.REJECT, comment="Нет.")
    second.refresh_from_db()
    assert second.state == ApplicationState.REJECTED


def test_who_applies_and_what_an_application_needs(committee: Committee) -> None:
    with pytest.raises(PermissionDenied):
        apply(committee, login="charlie")  # C1 is erin's client
    with pytest.raises(PermissionDenied):
        apply(committee, login="frank")
    with pytest.raises(ValidationError) as refused:
        apply(
            committee,
            requested_limit="-5",
            requested_terms_days=0,
            justification=" ",
            valid_until=TODAY,
        )
    assert set(refused.value.message_dict) == {
        "requested_limit",
        "requested_terms_days",
        "justification",
        "valid_until",
    }
    apply(committee)
    with pytest.raises(ValidationError, match="awaiting the committee"):
        apply(committee)


def test_withdrawal_and_revocation(committee: Committee) -> None:
    application = apply(committee)
    with pytest.raises(PermissionDenied):
        application_withdraw(application=application, user=committee.users["mike"], reason="x")
    application_withdraw(
        application=application, user=committee.users["erin"], reason="Клиент передумал."
    )
    application.refresh_from_db()
    assert application.state == ApplicationState.WITHDRAWN
    again = apply(committee)
    vote(committee, again, "mike")
    vote(committee, again, "cora")
    decision = CreditDecision.objects.get()
    with pytest.raises(PermissionDenied):
        decision_revoke(decision=decision, user=committee.users["mike"], reason="x")
    decision_revoke(decision=decision, user=committee.users["cora"], reason="Просрочка выросла.")
    decision.refresh_from_db()
    assert decision.revoked_at is not None and decision.revoked_by == committee.users["cora"]
    # Revoked today: valid no longer from today on.
    assert valid_decisions(committee.clients["C1"], TODAY) == []
    assert valid_decisions(committee.clients["C1"], TODAY - dt.timedelta(days=1)) == []


def test_the_policy_is_the_directors(committee: Committee) -> None:
    with pytest.raises(PermissionDenied):
        committee_settings_update(
            user=committee.users["cora"],
            approvals_needed=1,
            chair_must_approve=False,
            validity_months=12,
        )
    with pytest.raises(ValidationError) as refused:
        committee_settings_update(
            user=committee.users["alice"],
            approvals_needed=4,
            chair_must_approve=False,
            validity_months=40,
        )
    assert set(refused.value.message_dict) == {"approvals_needed", "validity_months"}
