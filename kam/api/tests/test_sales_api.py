"""/api/sales: registering a sale through the API, guarded by the rulebook.

The company of the API tests (conftest): C1 is charlie's, with a credit decision allowing 30
days (limit 100 000) valid from two months ago to a month ahead; C2 is dave's, without any
decision. The default rulebook lets only the director override the credit rules.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.tests.conftest import Company, MakeClient
from kam.audit.models import AuditEntry
from kam.incidents.models import Incident
from kam.ledger.models import SalesDocument, SalesLine

pytestmark = pytest.mark.django_db

JSON = "application/json"
DEFERRED = "deferred_payment_requires_credit_approval"


def errors(response: Any) -> dict[str, str]:
    """A 422's refusals: the body field (``lines.1.amount``) → message."""
    assert response.status_code == 422, response.content
    return {
        ".".join(str(part) for part in item["loc"][2:]): item["msg"]
        for item in response.json()["detail"]
    }


def sell(api: HttpClient, client: str = "C1", **fields: Any) -> Any:
    body = {
        "client_code": client,
        "lines": [
            {
                "product_group": "Бумага",
                "product_code": "P-1",
                "quantity": 10,
                "amount": 1200.5,
                "cost": 800,
            },
            {"product_group": "Картон", "amount": 300},
        ],
        **fields,
    }
    return api.post("/api/sales", body, content_type=JSON)


def test_the_responsible_manager_registers_a_sale_paid_on_shipment(
    company: Company, bearer: MakeClient
) -> None:
    registered = sell(bearer("charlie"))
    assert registered.status_code == 201, registered.content
    body = registered.json()
    today = timezone.localdate()
    document = body["document"]
    assert document["doc_no"] == f"KAM-{today.year}-000001"
    assert (document["date"], document["due_date"]) == (today.isoformat(), today.isoformat())
    assert (document["amount"], document["cost"], document["lines"]) == (1500.5, 800.0, 2)
    assert body["client"]["code"] == "C1"
    assert (body["incidents"], body["warnings"]) == ([], [])
    saved = SalesDocument.objects.get(doc_no=document["doc_no"])
    assert saved.employee == company.employees["charlie"]
    assert SalesLine.objects.filter(doc_no=saved.doc_no).count() == 2
    assert AuditEntry.objects.filter(action="ledger.sale_registered").count() == 1

    numbered = sell(bearer("helen"), doc_no="1C-0042")
    assert numbered.status_code == 201, numbered.content
    assert numbered.json()["document"]["doc_no"] == "1C-0042"


def test_a_deferred_sale_without_a_committee_decision_is_refused_naming_the_rule(
    company: Company, bearer: MakeClient
) -> None:
    refused = sell(bearer("dave"), client="C2", payment_terms_days=14)
    assert refused.status_code == 409, refused.content
    body = refused.json()
    assert [r["code"] for r in body["rules"]] == [DEFERRED]
    rule = body["rules"][0]
    assert rule["title"] == "Deferred payment only after a credit-committee decision"
    assert rule["message"].startswith("14 days of deferred payment without a credit-committee")
    assert body["overridable"] is False
    assert body["detail"].startswith("Deferred payment only after a credit-committee decision: ")
    # A reason from a role that may not override changes nothing but the explanation.
    again = sell(bearer("dave"), client="C2", payment_terms_days=14, override_reason="Urgent")
    assert again.status_code == 409
    assert again.json()["detail"].endswith("Your role may not override these rules.")
    assert not SalesDocument.objects.filter(client__code="C2", payment_terms_days=14).exists()
    # C1's decision allows 30 days, but C1's invoice S2 is 80-odd days overdue: 45 days break
    # both rules, each named with its message.
    both = sell(bearer("charlie"), payment_terms_days=45)
    assert both.status_code == 409
    assert [r["code"] for r in both.json()["rules"]] == [
        DEFERRED,
        "deferred_sale_with_overdue_debt",
    ]
    assert "days overdue" in both.json()["rules"][1]["message"]


def test_the_director_overrides_with_a_reason_and_an_incident_is_opened(
    company: Company, bearer: MakeClient
) -> None:
    alice = bearer("alice")
    asked = sell(alice, client="C2", payment_terms_days=14)
    assert asked.status_code == 409
    assert asked.json()["overridable"] is True
    overridden = sell(
        alice, client="C2", payment_terms_days=14, override_reason="The committee agreed by phone"
    )
    assert overridden.status_code == 201, overridden.content
    body = overridden.json()
    (opened,) = body["incidents"]
    incident = Incident.objects.get(pk=opened["id"])
    assert (opened["number"], opened["rule"]) == (incident.number, DEFERRED)
    assert (incident.kind, incident.subject_key) == ("override", body["document"]["doc_no"])
    assert incident.override_reason == "The committee agreed by phone"
    listed = alice.get("/api/incidents", {"kind": "override"}).json()
    assert [i["number"] for i in listed["items"]] == [incident.number]
    story = alice.get(f"/api/incidents/{incident.pk}").json()
    assert [e["kind"] for e in story["events"]] == ["overridden"]
    assert story["overridden_by"] == "alice"


def test_it_refuses_a_sale_s_values_naming_each_field(company: Company, bearer: MakeClient) -> None:
    charlie = bearer("charlie")
    zero_line = [
        {"product_group": "Бумага", "amount": 10},
        {"product_group": "Картон", "amount": 0},
    ]
    assert errors(sell(charlie, lines=zero_line)) == {
        "lines.1.amount": "Line 2: enter the amount (negative for a return)."
    }
    nameless = [{"product_group": " ", "amount": 10}]
    assert errors(sell(charlie, lines=nameless)) == {
        "lines.0.product_group": "Line 1: name the product group."
    }
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert errors(sell(charlie, date=tomorrow)) == {
        "date": "A sale is registered when it ships, not in advance."
    }
    long_ago = (timezone.localdate() - dt.timedelta(days=60)).isoformat()
    assert "date" in errors(sell(charlie, date=long_ago))
    assert errors(sell(charlie, doc_no="S1")) == {"doc_no": "Document S1 is already in the ledger."}
    assert "lines" in errors(sell(charlie, lines=[]))
    assert "lines.0.amount" in errors(sell(charlie, lines=[{"product_group": "x", "amount": "10"}]))
    assert "payment_terms_days" in errors(sell(charlie, payment_terms_days=400))
    assert "payment_terms_days" in errors(sell(charlie, payment_terms_days="30"))
    assert not SalesDocument.objects.filter(doc_no__startswith="KAM-").exists()


def test_only_who_may_register_a_client_s_sales_does(company: Company, bearer: MakeClient) -> None:
    # erin does not see C1 at all; frank sees it and may not sell; ivan has no role.
    assert sell(bearer("erin")).status_code == 404
    assert sell(bearer("dave")).status_code == 404
    assert sell(bearer("alice"), client="C404").status_code == 404
    refused = sell(bearer("frank"))
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Sales are registered by the client's responsible")
    assert sell(bearer("ivan")).status_code == 403
    assert HttpClient().post("/api/sales", {}, content_type=JSON).status_code == 401
    assert not SalesDocument.objects.filter(doc_no__startswith="KAM-").exists()
