"""GET /api/clients/{client_id}: the client card, for those who may see the client."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kam.api.tests.conftest import Company, MakeClient, months_ago

pytestmark = pytest.mark.django_db


def test_it_returns_the_card(company: Company, bearer: MakeClient) -> None:
    today = timezone.localdate()
    c1 = company.clients["C1"]
    body = bearer("charlie").get(f"/api/clients/{c1.pk}").json()
    assert (body["id"], body["code"], body["status"]) == (c1.pk, "C1", "key")
    assert body["responsible"]["code"] == "E3"
    assert body["revenue_12m"] == 1700.0
    assert body["margin_12m"] == 550.0
    assert len(body["monthly"]) == 36
    assert body["monthly"][-1] == {
        "month": today.strftime("%Y-%m"),
        "revenue": 1500.0,
        "margin": 500.0,
    }
    assert body["monthly"][-14]["month"] == months_ago(today, 13).strftime("%Y-%m")
    assert body["receivables"]["overdue_documents"] == 1
    assert body["receivables"]["overdue"] == 100.0
    assert body["receivables"]["max_overdue_days"] == 80
    assert [d["doc_no"] for d in body["recent_documents"]] == ["S1", "S2", "S3"]
    assert body["recent_payments"][0] == {
        "doc_no": "P1",
        "date": today.isoformat(),
        "amount": 100.0,
        "invoice_doc_no": "S2",
    }
    assert body["credit_decision"]["decision_no"] == "D1"
    assert body["credit_decision"]["credit_limit"] == 100000.0


def test_it_hides_another_managers_client_as_not_found(
    company: Company, bearer: MakeClient
) -> None:
    response = bearer("charlie").get(f"/api/clients/{company.clients['C2'].pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    missing = bearer("charlie").get("/api/clients/999999999")
    assert missing.status_code == 404 and missing.json() == response.json()


def test_it_shows_the_director_any_client(company: Company, bearer: MakeClient) -> None:
    response = bearer("alice").get(f"/api/clients/{company.clients['C3'].pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["responsible"] is None and body["credit_decision"] is None
    assert body["receivables"] == {
        "unpaid": 0.0,
        "overdue": 0.0,
        "max_overdue_days": 0,
        "overdue_documents": 0,
    }


def test_it_refuses_a_user_without_a_role(company: Company, bearer: MakeClient) -> None:
    response = bearer("ivan").get(f"/api/clients/{company.clients['C1'].pk}")
    assert response.status_code == 403


@pytest.mark.parametrize("client_id", ["abc", "0", "9223372036854775808"])
def test_it_refuses_what_cannot_be_an_id(
    company: Company, bearer: MakeClient, client_id: str
) -> None:
    assert bearer("alice").get(f"/api/clients/{client_id}").status_code == 422
