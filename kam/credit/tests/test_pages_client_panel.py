"""The client card's credit panel: the limit, the exposure (unpaid receivables + deals at the
contract stage on deferred terms), what is left, the terms and the expiry; the history of
decisions and applications; "Apply for credit" for whom may (or the pending application)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kam.credit.models import CreditDecision
from kam.credit.testing import Committee
from kam.credit.tests.pages import TODAY, application_filed, browser_for, deal_made
from kam.deals.choices import DealStage
from kam.deals.models import Deal

pytestmark = pytest.mark.django_db


def panel(committee: Committee, login: str, client: str = "C1") -> tuple[dict[str, Any], str]:
    response = browser_for(committee, login).get(
        reverse("clients:detail", args=[committee.clients[client].pk])
    )
    assert response.status_code == 200
    return response.context["credit_panel"], response.content.decode()


def test_without_a_decision_there_is_no_credit_and_the_rep_may_apply(
    committee: Committee,
) -> None:
    context, html = panel(committee, "erin")
    assert context["position"].limit is None and context["position"].exposure == Decimal(
        "100000.00"
    )
    assert "no valid decision: no deferred payment" in html
    assert 'id="credit-apply-link"' in html
    assert f"/credit/applications/new/?client={committee.clients['C1'].pk}" in html
    assert "No credit decision for this client." in html
    # The auditor reads the panel but does not apply
    _context, html = panel(committee, "frank")
    assert 'id="credit-apply-link"' not in html


def test_the_limit_the_exposure_with_deals_at_contract_and_what_is_left(
    committee: Committee,
) -> None:
    CreditDecision.objects.create(
        decision_no="IMP-9",
        client=committee.clients["C1"],
        date=TODAY - dt.timedelta(days=10),
        credit_limit=Decimal("250000"),
        max_terms_days=30,
        valid_until=TODAY + dt.timedelta(days=90),
    )
    CreditDecision.objects.create(
        decision_no="IMP-1",
        client=committee.clients["C1"],
        date=TODAY - dt.timedelta(days=500),
        credit_limit=Decimal("90000"),
        max_terms_days=14,
        valid_until=TODAY - dt.timedelta(days=135),
    )
    deal = deal_made(committee)  # 300 000 on 45 days
    Deal.objects.filter(pk=deal.pk).update(stage=DealStage.CONTRACT)
    context, html = panel(committee, "erin")
    position = context["position"]
    assert position.limit == Decimal("250000")
    assert position.exposure == Decimal("400000.00")  # 100 000 owed + 300 000 at contract
    assert position.available == Decimal("-150000.00")
    assert context["over_limit"] is True and context["used_pct"] == 100
    assert 'class="kpi kpi-alert"' in html
    assert "up to 30 days" in html and "valid until" in html
    assert [d.decision_no for d in context["decisions"]] == ["IMP-9", "IMP-1"]
    assert [d.standing for d in context["decisions"]] == ["valid", "expired"]
    assert "Overdue 100" in html and "40 days late" in html


def test_a_pending_application_replaces_the_apply_button(committee: Committee) -> None:
    application = application_filed(committee)
    context, html = panel(committee, "erin")
    assert context["pending"] == application
    assert 'id="credit-pending-link"' in html and 'id="credit-apply-link"' not in html
    assert f"{application.number} awaits votes" in html
    assert [a.pk for a in context["applications"]] == [application.pk]
    # the register link only for its readers
    assert context["register_url"] == ""
    assert panel(committee, "alice")[0]["register_url"].startswith("/credit/decisions/?client=")
