"""Votes through the application's card: asked to confirm first, recorded once and never
changed; a member with a conflict of interest is told why and refused; a rejection needs a
comment; approving with less needs the lower limit or the shorter terms; the decided
application is read-only; the printable minutes list every vote."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from kam.credit.choices import ApplicationState, VoteChoice
from kam.credit.models import CreditDecision, Vote
from kam.credit.testing import Committee
from kam.credit.tests.pages import application_filed, browser_for, vote_posted, voted

pytestmark = pytest.mark.django_db


def card(committee: Committee, login: str, application: Any) -> Any:
    response = browser_for(committee, login).get(
        reverse("credit:application", args=[application.pk])
    )
    assert response.status_code == 200
    return response


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_member_votes_once_and_the_vote_stays(committee: Committee) -> None:
    application = application_filed(committee)
    page = card(committee, "mike", application)
    assert page.context["vote_form"] is not None
    assert 'id="vote-form"' in page.content.decode()

    assert vote_posted(committee, application, "mike").status_code == 302
    again = vote_posted(committee, application, "mike", VoteChoice.REJECT, comment="Передумал.")
    assert again.status_code == 302
    assert any("has voted already" in m for m in messages_of(again))
    assert list(Vote.objects.values_list("member__code", "choice")) == [("E10", "approve")]

    page = card(committee, "mike", application)
    assert page.context["vote_form"] is None
    html = page.content.decode()
    assert 'id="my-vote"' in html and "A vote is never changed." in html
    assert [m.code for m in page.context["ballot"].waiting] == ["E9", "E11"]


def test_the_confirmation_page_carries_the_vote_as_typed(committee: Committee) -> None:
    application = application_filed(committee)
    asked = vote_posted(
        committee,
        application,
        "nina",
        VoteChoice.APPROVE_REDUCED,
        confirmed=False,
        terms_days="30",
        comment="Короче срок.",
    )
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Confirm your vote" in html and "A vote is never changed." in html
    assert 'name="vote-terms_days" value="30"' in html
    assert 'name="vote-choice" value="approve_reduced"' in html
    assert 'name="vote-confirmed" value="1"' in html
    assert not Vote.objects.exists()
    recorded = vote_posted(
        committee,
        application,
        "nina",
        VoteChoice.APPROVE_REDUCED,
        terms_days="30",
        comment="Короче срок.",
    )
    assert recorded.status_code == 302
    vote = Vote.objects.get()
    assert (vote.choice, vote.terms_days, vote.limit) == ("approve_reduced", 30, None)


def test_a_conflicted_member_is_told_why_and_refused(committee: Committee) -> None:
    # alice applies for N1, which nina keeps: nina may not vote on it
    application = application_filed(committee, client="N1", login="alice")
    page = card(committee, "nina", application)
    html = page.content.decode()
    assert page.context["vote_form"] is None
    assert "You are responsible for the client: a conflict of interest" in html
    assert 'id="conflicted"' in html and "responsible for the client" in html
    refused = vote_posted(committee, application, "nina")
    assert refused.status_code == 403
    assert not Vote.objects.exists()
    inbox = browser_for(committee, "nina").get(reverse("credit:inbox"))
    assert inbox.context["awaiting"] == []
    assert [
        i["application"].pk
        for i in browser_for(committee, "mike").get(reverse("credit:inbox")).context["awaiting"]
    ] == [application.pk]


def test_only_members_vote(committee: Committee) -> None:
    application = application_filed(committee)
    for login in ("erin", "alice", "frank"):
        assert vote_posted(committee, application, login).status_code == 403
    assert card(committee, "erin", application).context["vote_form"] is None


def test_a_rejection_needs_a_comment_and_two_reject_it(committee: Committee) -> None:
    application = application_filed(committee)
    bare = vote_posted(committee, application, "mike", VoteChoice.REJECT, confirmed=False)
    assert bare.status_code == 400  # told before any confirmation
    errors = bare.context["vote_form"].errors
    assert errors["comment"] == ["Say why you reject: the applicant reads it."]
    assert "Say why you reject" in bare.content.decode()
    assert (
        vote_posted(
            committee, application, "mike", VoteChoice.REJECT, comment="Просрочка 40 дней."
        ).status_code
        == 302
    )
    last = vote_posted(
        committee, application, "nina", VoteChoice.REJECT, comment="Согласна с Михаилом."
    )
    assert any("decides: the application is rejected" in m for m in messages_of(last))
    application.refresh_from_db()
    assert application.state == ApplicationState.REJECTED
    assert not CreditDecision.objects.exists()
    html = card(committee, "erin", application).content.decode()
    assert 'id="rejected"' in html and "could no longer reach the 2 needed" in html
    assert "Просрочка 40 дней." in html and "Согласна с Михаилом." in html
    # Decided: read-only — cora has no form, and a vote posted anyway is turned away
    assert card(committee, "cora", application).context["vote_form"] is None
    closed = vote_posted(committee, application, "cora")
    assert closed.status_code == 302
    assert any("the votes are closed" in m for m in messages_of(closed))


def test_approving_with_less_says_how_much_less(committee: Committee) -> None:
    application = application_filed(committee)
    empty = vote_posted(committee, application, "cora", VoteChoice.APPROVE_REDUCED)
    assert empty.status_code == 400
    assert "limit" in empty.context["vote_form"].errors
    words = vote_posted(committee, application, "cora", VoteChoice.APPROVE_REDUCED, limit="много")
    assert words.context["vote_form"].errors["limit"] == ["Enter an amount, e.g. 400 000."]
    more = vote_posted(committee, application, "cora", VoteChoice.APPROVE_REDUCED, limit="900000")
    assert more.status_code == 400
    assert more.context["vote_form"].errors["limit"] == [
        "A lower limit: above 0 and below the 500000.00 asked."
    ]
    longer = vote_posted(
        committee, application, "cora", VoteChoice.APPROVE_REDUCED, terms_days="60"
    )
    assert longer.context["vote_form"].errors["terms_days"] == ["Shorter terms: 1 to 44 days."]
    assert not Vote.objects.exists()


def test_the_minutes_list_the_votes_the_policy_and_the_decision(committee: Committee) -> None:
    application = application_filed(committee)
    voted(committee, application, "mike")
    voted(
        committee,
        application,
        "cora",
        VoteChoice.APPROVE_REDUCED,
        limit="300000",
        comment="Осторожно.",
    )
    decision = CreditDecision.objects.get()
    response = browser_for(committee, "erin").get(reverse("credit:protocol", args=[application.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "mainnav" not in html and 'id="print-button"' in html
    assert "Minutes of the credit committee on application " + application.number in html
    assert "2 approval(s) of the 3 members who may vote." in html
    assert "Осторожно." in html and "did not vote" in html  # nina, once decided
    assert decision.decision_no in html
    assert "credit limit 300" in html and "payment terms up to 45 days" in html
    assert "Approving: 2; rejecting: 0; needed: 2." in html
