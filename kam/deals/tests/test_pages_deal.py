"""A deal's pages: starting one (for a client the user works with, or a prospect), its card
with the client's credit position, moving it (the rulebook refuses a deferred contract without
a credit decision and says why; the director's override opens an incident), losing it (a
reason and a confirmation), editing it before the contract; each refused to the wrong user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kam.credit.models import CreditDecision
from kam.deals.choices import DealStage
from kam.deals.models import Deal
from kam.deals.tests.pages import TODAY, a_deal, a_prospect, browser_for
from kam.incidents.choices import IncidentKind
from kam.incidents.models import Incident
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

NEW = reverse("deals:new")
RULE = "deal_on_deferred_terms_requires_credit_approval"


def card(deal: Deal) -> str:
    return reverse("deals:detail", args=[deal.pk])


def move(deal: Deal) -> str:
    return reverse("deals:move", args=[deal.pk])


def new_deal(**changes: Any) -> dict[str, Any]:
    data = {
        "for_kind": "client",
        "title": "Картон на квартал",
        "amount": "1 250 000,50",
        "product_groups": "Картон, Бумага",
        "payment_terms_days": "45",
        "expected_close": (TODAY + dt.timedelta(days=30)).isoformat(),
        "notes": "Тендер в марте.",
    }
    data.update(changes)
    return data


# --- Starting a deal -----------------------------------------------------------------------------


def test_a_sales_rep_starts_a_deal_for_her_client(company: Company) -> None:
    browser = browser_for(company, "erin")
    page = browser.get(NEW)
    assert page.status_code == 200
    html = page.content.decode()
    # her clients only, and she owns the deal unless she names someone else
    c3 = company.clients["C3"]
    form = page.context["form"]
    assert [pk for pk, _name in form.fields["client"].widget.options_source()] == [c3.pk]
    owners = dict(form.fields["owner"].widget.options_source())
    assert set(owners.values()) == {
        "Алиса Директорова",
        "Борис Главный",
        "Чарли Ключевой",
        "Давид Ключевой",
        "Ирина Продажная",
    }
    assert f'<option value="{company.employees["erin"].pk}" selected>' in html
    response = browser.post(NEW, new_deal(client=c3.pk, owner=company.employees["erin"].pk))
    deal = Deal.objects.get()
    assert response.status_code == 302 and response["Location"] == card(deal)
    assert (deal.client, deal.owner, deal.stage) == (c3, company.employees["erin"], "qualification")
    assert deal.amount == Decimal("1250000.50") and deal.payment_terms_days == 45
    assert deal.product_groups == ["Картон", "Бумага"]
    assert list(deal.stage_changes.values_list("stage", "actor")) == [
        ("qualification", company.users["erin"].pk)
    ]
    shown = browser.get(card(deal)).content.decode()
    assert deal.number in shown and "Картон на квартал" in shown and "Тендер в марте." in shown


def test_the_form_explains_what_is_wrong_beside_the_field(company: Company) -> None:
    browser = browser_for(company, "erin")
    erin = company.employees["erin"].pk
    # a client she does not work with
    response = browser.post(NEW, new_deal(client=company.clients["C1"].pk, owner=erin))
    assert response.status_code == 400
    assert response.context["form"].errors["client"] == ["Choose one of the clients you work with."]
    # no client chosen
    response = browser.post(NEW, new_deal(owner=erin))
    assert response.context["form"].errors["client"] == ["Choose the client."]
    # the service's own refusal comes back on its field
    response = browser.post(
        NEW, new_deal(client=company.clients["C3"].pk, owner=erin, amount="много")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == ["Enter the deal's amount, 0 or more."]
    assert 'class="field-errors"' in response.content.decode()
    assert not Deal.objects.exists()


def test_a_deal_for_a_prospect_starts_from_the_prospects_card(company: Company) -> None:
    prospect = a_prospect(company, "erin")
    browser = browser_for(company, "erin")
    page = browser.get(f"{NEW}?prospect={prospect.pk}")
    assert page.context["form"].initial["for_kind"] == "prospect"
    response = browser.post(
        NEW,
        new_deal(
            for_kind="prospect",
            prospect=prospect.pk,
            client=company.clients["C1"].pk,  # left from the other choice: ignored
            owner=company.employees["erin"].pk,
            payment_terms_days="0",
        ),
    )
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert deal.prospect == prospect and deal.client is None
    html = browser.get(card(deal)).content.decode()
    # before the conversion the deal stops before the contract, and says so
    assert 'id="needs-client"' in html
    assert 'value="contract"' not in html


def test_the_readers_and_those_without_a_role_do_not_start_deals(company: Company) -> None:
    for login in ("frank", "grace", "heidi", "ivan"):
        assert browser_for(company, login).get(NEW).status_code == 403, login


# --- The card: the client's credit beside the deal --------------------------------------------


def test_the_card_shows_the_credit_position_and_the_way_to_the_committee(
    company: Company,
) -> None:
    deal = a_deal(company, "erin", "C3", amount="450 000", terms=45, stages=("negotiation",))
    page = browser_for(company, "erin").get(card(deal))
    html = page.content.decode()
    credit = page.context["credit"]
    assert credit["terms_allowed"] is False and credit["needs_committee"]
    assert credit["exposure_with_deal"] == Decimal("450000.00")
    apply_url = credit["apply_url"]
    assert apply_url.startswith("/credit/applications/new/?")
    assert f"client={company.clients['C3'].pk}" in apply_url and f"deal={deal.pk}" in apply_url
    assert 'id="apply-link"' in html and "no credit decision valid today" in html
    assert f"/incidents/?tab=all&amp;q={deal.number}" in html
    # the auditor reads the same card but does not apply, edit or move
    auditor = browser_for(company, "frank").get(card(deal)).content.decode()
    assert 'id="apply-link"' not in auditor and 'id="move-form"' not in auditor
    assert 'id="edit-deal"' not in auditor


def test_the_terms_within_the_decision_are_marked_so(company: Company) -> None:
    CreditDecision.objects.create(
        decision_no="CD-1",
        client=company.clients["C3"],
        date=TODAY - dt.timedelta(days=10),
        credit_limit=Decimal("1000000"),
        max_terms_days=60,
        valid_until=TODAY + dt.timedelta(days=300),
    )
    deal = a_deal(company, "erin", "C3", amount="450 000", terms=45)
    page = browser_for(company, "erin").get(card(deal))
    credit = page.context["credit"]
    assert credit["terms_allowed"] is True and not credit["needs_committee"]
    assert credit["position"].available == Decimal("1000000.00")
    html = page.content.decode()
    assert "within the decision" in html and "CD-1" in html and 'id="apply-link"' not in html
    # and the contract goes through, counted in the client's exposure
    response = browser_for(company, "erin").post(move(deal), {"stage": "contract"})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == "contract"
    page = browser_for(company, "erin").get(card(deal))
    assert page.context["credit"]["position"].exposure == Decimal("450000.00")


# --- Moves -------------------------------------------------------------------------------------


def test_the_owner_moves_the_deal_forward_and_back(company: Company) -> None:
    deal = a_deal(company, "charlie", "C1")
    browser = browser_for(company, "charlie")
    response = browser.post(move(deal), {"stage": "proposal", "comment": "КП отправлено"})
    assert response.status_code == 302 and response["Location"] == card(deal)
    response = browser.post(move(deal), {"stage": "qualification"})
    deal.refresh_from_db()
    assert deal.stage == "qualification"
    assert list(deal.stage_changes.values_list("stage_before", "stage", "comment")) == [
        ("", "qualification", ""),
        ("qualification", "proposal", "КП отправлено"),
        ("proposal", "qualification", ""),
    ]
    html = browser.get(card(deal)).content.decode()
    assert "КП отправлено" in html and "Чарли Ключевой" in html


def test_a_move_from_the_board_goes_back_to_the_board(company: Company) -> None:
    deal = a_deal(company, "charlie", "C1")
    browser = browser_for(company, "charlie")
    board = reverse("deals:pipeline") + "?owner=3"
    response = browser.post(move(deal), {"stage": "proposal", "next": board})
    assert response["Location"] == board
    # never to another site
    response = browser.post(move(deal), {"stage": "negotiation", "next": "https://evil.test/"})
    assert response["Location"] == card(deal)


def test_without_a_credit_decision_the_contract_is_refused_with_the_rules_message(
    company: Company,
) -> None:
    deal = a_deal(company, "erin", "C3", amount="450 000", terms=45, stages=("negotiation",))
    response = browser_for(company, "erin").post(
        move(deal), {"stage": "contract", "comment": "Готовы подписать"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="refusal"' in html
    assert "A deal on deferred payment reaches the contract only after a credit-committee" in html
    assert "45 days of deferred payment without a valid credit-committee decision" in html
    assert [code for _title, _message, code in response.context["refusal_messages"]] == [RULE]
    # a sales rep may not override: she is told who may, and where to apply
    assert 'id="override-form"' not in html and "sales director" in html
    assert 'id="refusal-apply"' in html
    deal.refresh_from_db()
    assert deal.stage == "negotiation" and deal.stage_changes.count() == 2
    assert not Incident.objects.exists()


def test_the_director_overrides_the_refusal_and_an_incident_is_opened(company: Company) -> None:
    deal = a_deal(company, "erin", "C3", amount="450 000", terms=45, stages=("negotiation",))
    browser = browser_for(company, "alice")
    refused = browser.post(move(deal), {"stage": "contract"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="override-form"' in html and 'name="override_reason"' in html
    response = browser.post(
        move(deal),
        {"stage": "contract", "override_reason": "Стратегический клиент, заявка подана."},
        follow=True,
    )
    deal.refresh_from_db()
    assert deal.stage == "contract"
    incident = Incident.objects.get()
    assert (incident.kind, incident.rule.code, incident.subject_id) == (
        IncidentKind.OVERRIDE,
        RULE,
        deal.pk,
    )
    assert incident.override_reason == "Стратегический клиент, заявка подана."
    html = response.content.decode()
    assert f"Rule overridden: incident {incident.number} is opened" in html
    assert f'href="{reverse("incidents:detail", args=[incident.pk])}"' in html
    assert response.redirect_chain[-1][0].endswith("#incidents")


def test_losing_a_deal_needs_a_reason_and_a_confirmation(company: Company) -> None:
    deal = a_deal(company, "charlie", "C1")
    browser = browser_for(company, "charlie")
    response = browser.post(move(deal), {"stage": "lost"})
    assert response.status_code == 400
    assert response.context["lose_form"].errors["comment"] == ["Say why the deal is lost."]
    response = browser.post(move(deal), {"stage": "lost", "comment": "Ушли к конкуренту"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="confirm"' in html and f"Lose {deal.number}" in html
    deal.refresh_from_db()
    assert deal.stage == "qualification"
    response = browser.post(
        move(deal), {"stage": "lost", "comment": "Ушли к конкуренту", "confirmed": "1"}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason) == ("lost", "Ушли к конкуренту")
    # a lost deal moves no more, and says so
    response = browser.post(move(deal), {"stage": "proposal"}, follow=True)
    assert "moves no more" in response.content.decode()
    assert 'id="move-form"' not in response.content.decode()


def test_only_the_deals_people_move_it(company: Company) -> None:
    deal = a_deal(company, "erin", "C3")
    for login, status in (("frank", 403), ("bob", 403), ("heidi", 403), ("dave", 404)):
        response = browser_for(company, login).post(move(deal), {"stage": "proposal"})
        assert response.status_code == status, login
    assert browser_for(company, "alice").post(move(deal), {"stage": "proposal"}).status_code == 302
    deal.refresh_from_db()
    assert deal.stage == DealStage.PROPOSAL


# --- Editing -----------------------------------------------------------------------------------


def test_the_owner_edits_the_deal_until_the_contract_fixes_amount_and_terms(
    company: Company,
) -> None:
    deal = a_deal(company, "charlie", "C1", amount="100 000")
    edit = reverse("deals:edit", args=[deal.pk])
    browser = browser_for(company, "charlie")
    data = {
        "title": "Бумага и картон",
        "amount": "120 000",
        "product_groups": "Бумага",
        "payment_terms_days": "0",
        "expected_close": (TODAY + dt.timedelta(days=40)).isoformat(),
        "notes": "",
    }
    assert browser.post(edit, data).status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("Бумага и картон", Decimal("120000.00"))
    browser.post(move(deal), {"stage": "contract"})
    page = browser.get(edit)
    assert page.context["form"].fields["amount"].disabled
    assert "Fixed from the contract on" in page.content.decode()
    assert browser.post(edit, {**data, "amount": "1", "title": "Новое"}).status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("Новое", Decimal("120000.00"))
    assert browser_for(company, "frank").get(edit).status_code == 403
