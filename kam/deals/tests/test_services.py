"""Prospects and deals: the key-account department does not prospect, a prospect converts into
a client (duplicates caught), and a deal on deferred terms reaches the contract only with the
credit committee's decision — or an override that leaves an incident."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kam.credit.choices import VoteChoice
from kam.credit.services import application_submit, credit_position, vote_cast
from kam.credit.testing import Committee, committee_create
from kam.deals.choices import DealStage, ProspectSource, ProspectStatus
from kam.deals.models import Deal, DealStageChange
from kam.deals.services import (
    deal_create,
    deal_move,
    deal_update,
    prospect_convert,
    prospect_create,
    prospect_duplicates,
    prospect_status_set,
)
from kam.incidents.choices import IncidentKind
from kam.incidents.models import Incident
from kam.keyaccounts.models import Assignment
from kam.rules.audit import audit_run
from kam.rules.guards import GuardRefused

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def committee() -> Committee:
    return committee_create()


def a_deal(c: Committee, client: str = "K1", login: str = "charlie", terms: int = 45) -> Deal:
    return deal_create(
        user=c.users[login],
        client=c.clients[client],
        title="Поставка бумаги на квартал",
        amount="300 000",
        payment_terms_days=terms,
        expected_close=TODAY + dt.timedelta(days=20),
        product_groups="Бумага, Картон",
    )


def test_a_deal_on_deferred_terms_waits_for_the_committee(committee: Committee) -> None:
    """The issue's story: refused without a decision, the committee approves 2 of 3, the deal
    moves to the contract; an override elsewhere leaves an incident."""
    deal = a_deal(committee)
    assert deal.product_groups == ["Бумага", "Картон"]
    with pytest.raises(GuardRefused) as refused:
        deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.CONTRACT)
    assert [b.version.rule.code for b in refused.value.breaches] == [
        "deal_on_deferred_terms_requires_credit_approval"
    ]
    assert "45 days of deferred payment without a valid credit-committee decision" in str(
        refused.value.messages
    )
    deal.refresh_from_db()
    assert deal.stage == DealStage.QUALIFICATION
    application = application_submit(
        client=committee.clients["K1"],
        user=committee.users["charlie"],
        requested_limit="1 000 000",
        requested_terms_days=45,
        justification="Квартальный контракт.",
        deal=deal,
    )
    # charlie applied and keeps the client and owns the deal: he is no member anyway; the three
    # members vote, two approve.
    vote_cast(application=application, user=committee.users["mike"], choice=VoteChoice.APPROVE)
    vote_cast(application=application, user=committee.users["cora"], choice=VoteChoice.APPROVE)
    assert credit_position(committee.clients["K1"]).limit == Decimal("1000000.00")
    moved = deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.CONTRACT)
    assert moved.stage == DealStage.CONTRACT
    assert list(deal.stage_changes.values_list("stage", flat=True)) == [
        DealStage.QUALIFICATION,
        DealStage.CONTRACT,
    ]
    # The contract stage counts in the client's exposure.
    assert credit_position(committee.clients["K1"]).exposure == Decimal("300000.00")
    # Terms are fixed from the contract on.
    with pytest.raises(ValidationError, match="fixed from the contract"):
        deal_update(deal=deal, user=committee.users["charlie"], payment_terms_days=60)
    # Without a decision, the director overrides: the move goes through, an incident opens.
    other = a_deal(committee, client="C1", login="erin")
    with pytest.raises(GuardRefused):
        deal_move(deal=other, user=committee.users["alice"], stage=DealStage.CONTRACT)
    deal_move(
        deal=other,
        user=committee.users["alice"],
        stage=DealStage.CONTRACT,
        override_reason="Стратегический клиент; заявка подана.",
    )
    incidents = Incident.objects.filter(kind=IncidentKind.OVERRIDE)
    assert set(incidents.values_list("rule__code", flat=True)) == {
        "deal_on_deferred_terms_requires_credit_approval",
        "deal_with_overdue_debt",  # C1 owes an invoice 40 days overdue
    }
    incident = incidents.first()
    assert incident is not None
    assert (incident.subject_id, incident.period, incident.violator) == (
        other.pk,
        DealStage.CONTRACT,
        committee.employees["erin"],
    )
    # The audit finds the overridden deal and counts its incidents; nothing new opens.
    figures = audit_run(rule_code="deal_on_deferred_terms_requires_credit_approval").figures
    assert (figures["violations"], figures["incidents_opened"]) == (1, 0)


def test_a_deal_paid_on_shipment_needs_no_decision(committee: Committee) -> None:
    deal = a_deal(committee, terms=0)
    deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.CONTRACT)
    deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.SHIPPED)
    deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.PAID)
    with pytest.raises(ValidationError, match="moves no more"):
        deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.LOST, comment="x")


def test_losing_a_deal_needs_a_reason_and_only_its_people_move_it(committee: Committee) -> None:
    deal = a_deal(committee)
    with pytest.raises(PermissionDenied):
        deal_move(deal=deal, user=committee.users["erin"], stage=DealStage.PROPOSAL)
    with pytest.raises(ValidationError, match="why the deal is lost"):
        deal_move(deal=deal, user=committee.users["charlie"], stage=DealStage.LOST)
    deal_move(
        deal=deal, user=committee.users["bob"], stage=DealStage.LOST, comment="Ушли к конкуренту."
    )
    deal.refresh_from_db()
    assert deal.lost_reason == "Ушли к конкуренту."
    assert DealStageChange.objects.filter(deal=deal).count() == 2


def test_the_key_account_department_does_not_prospect(committee: Committee) -> None:
    with pytest.raises(ValidationError) as refused:
        prospect_create(
            user=committee.users["charlie"], name="ООО «Новый»", source=ProspectSource.REFERRAL
        )
    assert "does not search for or attract new customers" in refused.value.message_dict["owner"][0]
    prospect = prospect_create(
        user=committee.users["erin"], name="ООО «Новый»", source=ProspectSource.EXHIBITION
    )
    with pytest.raises(ValidationError) as refused:
        deal_create(
            user=committee.users["bob"],
            prospect=prospect,
            owner=committee.employees["charlie"],
            title="Пилот",
            amount="50000",
            expected_close=TODAY,
        )
    assert "owner" in refused.value.message_dict


def test_a_prospect_converts_into_a_client_and_duplicates_are_caught(committee: Committee) -> None:
    erin = committee.users["erin"]
    prospect = prospect_create(
        user=erin, name="Ромашка, ООО", source=ProspectSource.WEBSITE, tax_id="7707083893"
    )
    deal = deal_create(
        user=erin, prospect=prospect, title="Первая поставка", amount="80000", expected_close=TODAY
    )
    with pytest.raises(ValidationError, match="Convert the prospect"):
        deal_move(deal=deal, user=erin, stage=DealStage.CONTRACT)
    prospect_status_set(prospect=prospect, user=erin, status=ProspectStatus.CONTACTED)
    with pytest.raises(ValidationError, match="why the prospect is lost"):
        prospect_status_set(prospect=prospect, user=erin, status=ProspectStatus.LOST)
    # «ООО «Ромашка»» (C1) is the same company by name.
    assert prospect_duplicates(prospect) == [committee.clients["C1"]]
    with pytest.raises(ValidationError, match="may be a client already"):
        prospect_convert(prospect=prospect, user=erin)
    client = prospect_convert(prospect=prospect, user=erin, confirm_new=True)
    assert client.code == "N-000001" and client.tax_id == "7707083893"
    assert client.responsible == committee.employees["erin"]
    assert Assignment.objects.filter(client=client, end__isnull=True, manager__code="E5").exists()
    prospect.refresh_from_db()
    deal.refresh_from_db()
    assert prospect.status == ProspectStatus.CONVERTED and prospect.client == client
    assert deal.client == client
    assert list(prospect.events.values_list("status", flat=True)) == [
        ProspectStatus.NEW,
        ProspectStatus.CONTACTED,
        ProspectStatus.CONVERTED,
    ]


def test_the_audit_finds_key_account_staff_with_prospects(committee: Committee) -> None:
    """Owners change in the admin or by import; the audit catches what the services refuse."""
    prospect = prospect_create(
        user=committee.users["erin"], name="ООО «Вектор»", source=ProspectSource.COLD_CALL
    )
    type(prospect).objects.filter(pk=prospect.pk).update(owner=committee.employees["charlie"])
    figures = audit_run(rule_code="key_account_staff_not_prospecting").figures
    assert figures["incidents_opened"] == 1
    incident = Incident.objects.get()
    assert incident.violator == committee.employees["charlie"]
    assert "1 prospect(s)" in incident.message()
