"""The issue's story through the pages: erin (a sales rep) applies for 45 days of credit for her
client with the client's facts and the committee beside the form; mike and cora approve (two of
three) after confirming; the decision appears on the application, in the register and on the
client card; the deal then moves to the contract."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kam.credit.choices import ApplicationState, VoteChoice
from kam.credit.models import CreditApplication, CreditDecision, CreditDecisionSource
from kam.credit.testing import Committee
from kam.credit.tests.pages import TODAY, apply_url, browser_for, deal_made, vote_posted
from kam.deals.choices import DealStage
from kam.deals.services import deal_move
from kam.ledger.models import Payment

pytestmark = pytest.mark.django_db


def test_a_sales_rep_applies_two_of_three_approve_and_the_client_card_shows_it(
    committee: Committee,
) -> None:
    c1 = committee.clients["C1"]
    deal = deal_made(committee)
    erin = browser_for(committee, "erin")

    # The form, from the client card's link: the client's facts, who votes, the policy
    form_page = erin.get(apply_url(c1.pk, deal.pk))
    assert form_page.status_code == 200
    html = form_page.content.decode()
    assert "ООО «Ромашка»" in html
    assert 'data-fact="unpaid">100' in html  # 100 000 owed, 40 days late
    assert "the oldest 40 days late" in html
    roster = {r.member.code: r.reason for r in form_page.context["roster"]}
    assert roster == {"E9": "", "E10": "", "E11": ""}
    assert "2 approval(s) of the 3 members who may vote decide." in html
    assert form_page.context["form"]["deal"].value() == deal.pk

    filed = erin.post(
        apply_url(c1.pk),
        {
            "client": c1.pk,
            "apply-deal": deal.pk,
            "apply-requested_limit": "500 000",
            "apply-requested_terms_days": "45",
            "apply-valid_until": "",
            "apply-justification": "Квартальный контракт, платит в срок последние полгода.",
        },
    )
    application = CreditApplication.objects.get()
    assert filed.status_code == 302
    assert filed["Location"] == reverse("credit:application", args=[application.pk])
    assert application.requested_terms_days == 45 and application.deal == deal
    assert application.requested_limit == Decimal("500000.00")
    assert application.facts["max_overdue_days"] == 40

    # Each member finds it awaiting their vote, with the facts kept with it
    inbox = browser_for(committee, "mike").get(reverse("credit:inbox"))
    assert [i["application"].pk for i in inbox.context["awaiting"]] == [application.pk]
    assert "Квартальный контракт" in inbox.content.decode()

    # mike approves: asked to confirm first, then recorded; one approval is not enough
    asked = vote_posted(committee, application, "mike", confirmed=False)
    assert asked.status_code == 200 and "A vote is never changed" in asked.content.decode()
    assert not application.votes.exists()
    assert vote_posted(committee, application, "mike").status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.PENDING

    # cora approves with 45 days kept but a lower limit: the policy is met, the decision made
    decided = vote_posted(
        committee,
        application,
        "cora",
        VoteChoice.APPROVE_REDUCED,
        limit="400 000",
        comment="Ниже лимит: просрочка.",
    )
    assert decided.status_code == 302
    application.refresh_from_db()
    assert application.state == ApplicationState.APPROVED
    decision = CreditDecision.objects.get()
    assert decision.source == CreditDecisionSource.COMMITTEE
    assert (decision.credit_limit, decision.max_terms_days) == (Decimal("400000.00"), 45)

    # The application shows the decision
    card = browser_for(committee, "erin").get(decided["Location"])
    html = card.content.decode()
    assert "Your vote is recorded and decides: approved" not in html  # erin did not vote
    assert decision.decision_no in html
    assert 'id="decision-limit">400' in html
    assert card.context["tally"].approvals == 2

    # The client card's credit panel shows the limit, the exposure and what is left
    client_card = erin.get(reverse("clients:detail", args=[c1.pk]))
    panel = client_card.context["credit_panel"]
    assert panel["position"].decision == decision
    assert panel["position"].available == Decimal("300000.00")  # 400 000 − 100 000 owed
    html = client_card.content.decode()
    assert 'id="credit-panel"' in html and decision.decision_no in html
    assert "up to 45 days" in html

    # The register lists it; once the old debt is paid (the rules allow no overdue debt over
    # 30 days), the deal moves to the contract
    register = browser_for(committee, "alice").get(reverse("credit:decisions"))
    assert [d.decision_no for d in register.context["page"]] == [decision.decision_no]
    Payment.objects.create(
        doc_no="P-OLD", date=TODAY, client=c1, amount=Decimal("100000"), invoice_doc_no="S-OLD"
    )
    moved = deal_move(deal=deal, user=committee.users["erin"], stage=DealStage.CONTRACT)
    assert moved.stage == DealStage.CONTRACT
    assert decision.valid_until == application.valid_until and decision.date == TODAY
