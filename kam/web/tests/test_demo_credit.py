"""The demo's credit committee and pipeline, on a small generated company: decided
applications of the last weeks, one awaiting the chair with an approval already, prospects in
every status, deals across the pipeline — through the services, told once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kam.credit.choices import ApplicationState
from kam.credit.models import CreditApplication
from kam.credit.services import committee_chair, valid_decisions
from kam.deals.choices import COMMITTED_STAGES, DealStage, ProspectStatus
from kam.deals.models import Deal, Prospect
from kam.web.demo import demo_credit

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_committee_at_work_and_a_pipeline(demo_with_plans: dt.date) -> None:
    end = demo_with_plans
    story = demo_credit(end)
    states = set(CreditApplication.objects.values_list("state", flat=True))
    assert states == set(ApplicationState.values)
    waiting = CreditApplication.objects.filter(state=ApplicationState.PENDING, votes__isnull=False)
    assert waiting.exists()
    chair = committee_chair()
    assert chair is not None and chair.user is not None and chair.user.username == "credit"
    first = waiting.first()
    assert first is not None and first.requested_terms_days == 45
    assert first.voters.filter(pk=chair.pk).exists()
    assert {p.status for p in Prospect.objects.all()} == set(ProspectStatus.values)
    stages = set(Deal.objects.values_list("stage", flat=True))
    assert {DealStage.QUALIFICATION, DealStage.NEGOTIATION, DealStage.CONTRACT} <= stages
    today = timezone.localdate()
    for deal in Deal.objects.filter(stage__in=COMMITTED_STAGES, payment_terms_days__gt=0):
        assert deal.client is not None
        assert any(
            d.max_terms_days >= deal.payment_terms_days for d in valid_decisions(deal.client, today)
        )
    assert demo_credit(end) == story
