"""The OpenAPI document and the interactive docs."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from kam.api.tests.conftest import Company, MakeClient

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("get", "/api/clients"),
    ("get", "/api/clients/{client_id}"),
    ("get", "/api/imports"),
    ("post", "/api/imports"),
    ("get", "/api/tokens"),
    ("post", "/api/tokens"),
    ("delete", "/api/tokens/{token_id}"),
    ("get", "/api/me"),
    ("get", "/api/assessment/cycles"),
    ("post", "/api/assessment/cycles"),
    ("get", "/api/assessment/cycles/{cycle_id}"),
    ("get", "/api/assessment/cycles/{cycle_id}/assessments"),
    ("post", "/api/assessment/cycles/{cycle_id}/proposals/accept"),
    ("post", "/api/assessment/cycles/{cycle_id}/proposals/reject"),
    ("get", "/api/assessment/clients/{client_id}"),
    ("get", "/api/assessment/decisions"),
    ("post", "/api/assessment/decisions"),
    ("get", "/api/key-accounts/board"),
    ("get", "/api/key-accounts/mine"),
    ("get", "/api/key-accounts/assignments"),
    ("get", "/api/key-accounts/handovers"),
    ("post", "/api/key-accounts/handovers"),
    ("get", "/api/key-accounts/handovers/{handover_id}"),
    ("post", "/api/key-accounts/handovers/{handover_id}/acknowledge"),
    ("post", "/api/key-accounts/handovers/bulk"),
    ("get", "/api/key-accounts/workload"),
    ("put", "/api/key-accounts/workload"),
    ("delete", "/api/key-accounts/workload/{manager_code}"),
    ("get", "/api/plans"),
    ("post", "/api/plans"),
    ("post", "/api/plans/propose-missing"),
    ("post", "/api/plans/approve"),
    ("get", "/api/plans/department"),
    ("get", "/api/plans/settings"),
    ("put", "/api/plans/settings"),
    ("get", "/api/plans/{plan_id}"),
    ("patch", "/api/plans/{plan_id}"),
    ("get", "/api/plans/{plan_id}/actuals"),
    ("post", "/api/plans/{plan_id}/targets"),
    ("patch", "/api/plans/{plan_id}/targets/{target_id}"),
    ("delete", "/api/plans/{plan_id}/targets/{target_id}"),
    ("post", "/api/plans/{plan_id}/actions"),
    ("patch", "/api/plans/{plan_id}/actions/{action_id}"),
    ("delete", "/api/plans/{plan_id}/actions/{action_id}"),
    ("post", "/api/plans/{plan_id}/submit"),
    ("post", "/api/plans/{plan_id}/approve"),
    ("post", "/api/plans/{plan_id}/return"),
    ("post", "/api/plans/{plan_id}/close"),
    ("get", "/api/rules"),
    ("post", "/api/rules"),
    ("get", "/api/rules/subjects"),
    ("post", "/api/rules/check"),
    ("get", "/api/rules/{code}"),
    ("post", "/api/rules/{code}/versions"),
    ("put", "/api/rules/{code}/versions/{number}"),
    ("post", "/api/rules/{code}/versions/{number}/enable"),
    ("post", "/api/rules/{code}/versions/{number}/dry-run"),
    ("post", "/api/rules/{code}/disable"),
    ("get", "/api/rules/audits"),
    ("post", "/api/rules/audits"),
    ("get", "/api/rules/audits/{run_id}"),
    ("get", "/api/incidents"),
    ("get", "/api/incidents/scorecard"),
    ("get", "/api/incidents/sanctions"),
    ("post", "/api/incidents/sanctions"),
    ("patch", "/api/incidents/sanctions/{code}"),
    ("delete", "/api/incidents/sanctions/{code}"),
    ("get", "/api/incidents/{incident_id}"),
    ("post", "/api/incidents/{incident_id}/explain"),
    ("post", "/api/incidents/{incident_id}/investigate"),
    ("post", "/api/incidents/{incident_id}/comments"),
    ("post", "/api/incidents/{incident_id}/decide"),
    ("post", "/api/incidents/{incident_id}/actions/{action_id}/done"),
    ("post", "/api/incidents/{incident_id}/close"),
    ("post", "/api/incidents/{incident_id}/dismiss"),
    ("post", "/api/sales"),
}


def test_it_publishes_every_operation_with_both_auth_methods() -> None:
    document = HttpClient().get("/api/openapi.json").json()
    assert document["info"]["title"] == "kam API"
    found = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert found == OPERATIONS
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"BearerTokenAuth": []}, {"SessionAuth": []}]
            assert "401" in operation["responses"], (method, path)


def test_it_serves_the_docs_from_local_assets() -> None:
    response = HttpClient().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/" in html
    assert "cdn." not in html and "unpkg" not in html


def test_its_docs_page_lets_a_signed_in_user_try_writes(
    company: Company, session: MakeClient
) -> None:
    """Swagger UI sends the page's CSRF token with the session (ninja's swagger-ui-init.js)."""
    browser = session("alice")
    html = browser.get("/api/docs").content.decode()
    assert 'data-api-csrf="true"' in html
    match = re.search(r'data-csrf-token="([^"]+)"', html)
    assert match is not None
    response = browser.post(
        "/api/tokens",
        {"name": "from the docs"},
        content_type="application/json",
        headers={"X-CSRFToken": match.group(1)},
    )
    assert response.status_code == 201
