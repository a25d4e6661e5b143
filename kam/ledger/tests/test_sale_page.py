"""The page that registers a sale: the form with the client's credit, the rulebook's refusal
with its reasons (nothing written), the override for whom the rule allows, errors on the line
they belong to."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from kam.credit.models import CreditDecision
from kam.incidents.choices import IncidentKind
from kam.incidents.models import Incident
from kam.ledger.models import SalesDocument
from kam.web.tests import conftest as web
from kam.web.tests.conftest import Company

company = web.company  # the web tests' small company (a fixture)
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def browser(company: Company, login: str) -> Browser:
    client = Browser()
    client.force_login(company.users[login])
    return client


def form(terms: int = 0, **extra: Any) -> dict[str, Any]:
    data = {
        "date": TODAY.isoformat(),
        "payment_terms_days": str(terms),
        "doc_no": "",
        "override_reason": "",
        "line-TOTAL_FORMS": "5",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "50",
        "line-0-product_group": "Бумага",
        "line-0-amount": "12 500,50",
        "line-0-cost": "8000",
        "line-0-quantity": "5",
    }
    data.update(extra)
    return data


def url(company: Company) -> str:
    return reverse("ledger:register", args=[company.clients["C1"].pk])


def test_the_form_shows_the_clients_credit(company: Company) -> None:
    page = browser(company, "charlie").get(url(company))
    assert page.status_code == 200
    html = page.content.decode()
    assert "none valid today" in html
    assert "Register the sale" in html
    assert "Override a rule" not in html  # charlie may not override


def test_a_sale_paid_on_shipment_is_registered(company: Company) -> None:
    charlie = browser(company, "charlie")
    response = charlie.post(url(company), form())
    assert response.status_code == 302
    document = SalesDocument.objects.get(doc_no__startswith="KAM-")
    assert document.amount == Decimal("12500.50")
    assert document.employee == company.employees["charlie"]
    page = charlie.get(response["Location"])
    assert f"Sale {document.doc_no} to" in page.content.decode()


def test_a_deferred_sale_without_a_decision_is_refused_with_the_rules_reason(
    company: Company,
) -> None:
    response = browser(company, "charlie").post(url(company), form(terms=30))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The rulebook refuses this sale" in html
    assert "Deferred payment only after a credit-committee decision" in html
    assert "30 days of deferred payment without a credit-committee decision" in html
    assert "Only these roles may override it: sales director" in html
    assert not SalesDocument.objects.filter(doc_no__startswith="KAM-").exists()
    assert not Incident.objects.exists()


def test_the_director_overrides_with_a_reason_and_an_incident_is_opened(company: Company) -> None:
    director = browser(company, "alice")
    refused = director.post(url(company), form(terms=30))
    assert "You may override it" in refused.content.decode()
    assert 'name="override_reason"' in refused.content.decode()
    response = director.post(
        url(company), form(terms=30, override_reason="Contract signed; committee on Monday.")
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.kind == IncidentKind.OVERRIDE
    assert incident.override_reason == "Contract signed; committee on Monday."
    card = director.get(response["Location"]).content.decode()
    assert f"incident {incident.number} is opened" in card


def test_with_a_valid_decision_the_deferred_sale_goes_through(company: Company) -> None:
    CreditDecision.objects.create(
        decision_no="CD-9",
        client=company.clients["C1"],
        date=TODAY - dt.timedelta(days=10),
        max_terms_days=30,
        credit_limit=Decimal(1_000_000),
    )
    page = browser(company, "charlie").get(url(company)).content.decode()
    assert "CD-9" in page
    response = browser(company, "charlie").post(url(company), form(terms=30))
    assert response.status_code == 302
    assert not Incident.objects.exists()


def test_errors_stand_next_to_their_line(company: Company) -> None:
    data = form()
    data.update({"line-2-product_group": "Картон", "line-2-amount": "abc"})
    response = browser(company, "charlie").post(url(company), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a number." in html
    assert not SalesDocument.objects.filter(doc_no__startswith="KAM-").exists()


def test_the_card_offers_registering_a_sale_to_whom_may(company: Company) -> None:
    card = reverse("clients:detail", args=[company.clients["C1"].pk])
    assert 'id="register-sale"' in browser(company, "charlie").get(card).content.decode()
    assert 'id="register-sale"' not in browser(company, "frank").get(card).content.decode()
