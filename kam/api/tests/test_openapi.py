"""The OpenAPI document and the interactive docs."""

from __future__ import annotations

import enum
import re
import typing
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.test import Client as HttpClient
from pydantic import BaseModel

from kam.api.api import api
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
    ("post", "/api/rules/conditions/check"),
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
    ("get", "/api/deals/prospects"),
    ("post", "/api/deals/prospects"),
    ("get", "/api/deals/prospects/{prospect_id}"),
    ("patch", "/api/deals/prospects/{prospect_id}"),
    ("post", "/api/deals/prospects/{prospect_id}/status"),
    ("get", "/api/deals/prospects/{prospect_id}/duplicates"),
    ("post", "/api/deals/prospects/{prospect_id}/convert"),
    ("get", "/api/deals"),
    ("post", "/api/deals"),
    ("get", "/api/deals/pipeline"),
    ("get", "/api/deals/{deal_id}"),
    ("patch", "/api/deals/{deal_id}"),
    ("post", "/api/deals/{deal_id}/move"),
    ("get", "/api/credit/applications"),
    ("post", "/api/credit/applications"),
    ("get", "/api/credit/applications/{application_id}"),
    ("post", "/api/credit/applications/{application_id}/votes"),
    ("post", "/api/credit/applications/{application_id}/withdraw"),
    ("get", "/api/credit/decisions"),
    ("get", "/api/credit/decisions/{decision_id}"),
    ("post", "/api/credit/decisions/{decision_id}/revoke"),
    ("get", "/api/credit/settings"),
    ("put", "/api/credit/settings"),
    ("get", "/api/credit/clients/{code}"),
}
#: Operations per tag of the pipeline and the credit committee (each operation has one tag).
PIPELINE_TAGS = {"Prospects": 7, "Deals": 6, "Credit committee": 11}


def test_it_publishes_every_operation_with_both_auth_methods() -> None:
    document = HttpClient().get("/api/openapi.json").json()
    assert document["info"]["title"] == "kam API"
    found = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert found == OPERATIONS
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"BearerTokenAuth": []}, {"SessionAuth": []}]
            assert "401" in operation["responses"], (method, path)


def test_it_tags_the_pipeline_and_the_committee_once_each() -> None:
    document = HttpClient().get("/api/openapi.json").json()
    tags: Counter[str] = Counter()
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.startswith(("/api/deals", "/api/credit")):
                assert len(operation["tags"]) == 1, path
                tags[operation["tags"][0]] += 1
                assert operation["summary"] and operation["operationId"], path
    assert tags == PIPELINE_TAGS


def _named_types(annotation: Any, found: dict[str, set[type]], seen: set[type]) -> None:
    """The models and enums ``annotation`` names, through lists, unions and Annotated."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        found[annotation.__name__].add(annotation)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        # Models ninja makes for an operation's parameters and responses are not in the document.
        if annotation.__module__.startswith("kam."):
            found[annotation.__name__].add(annotation)
        for field in annotation.model_fields.values():
            _named_types(field.annotation, found, seen)
    else:
        for argument in typing.get_args(annotation):
            _named_types(argument, found, seen)


def test_every_schema_name_stands_for_one_type() -> None:
    """The document keys its schemas by name: a second enum or model of the same name would
    silently replace the first for every operation."""
    found: dict[str, set[type]] = defaultdict(set)
    seen: set[type] = set()
    for router in api._get_bound_routers():
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.response_models.values(), *operation.models]:
                    _named_types(model, found, seen)
    twice = {name: types for name, types in found.items() if len(types) > 1}
    assert not twice
    schemas = HttpClient().get("/api/openapi.json").json()["components"]["schemas"]
    assert {"DealStage", "ProspectNextStatus", "CreditDecisionState", "VoteChoice"} <= set(found)
    assert set(found) <= set(schemas)


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
