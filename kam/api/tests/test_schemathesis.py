"""The API keeps its OpenAPI contract: schemathesis fuzzes every operation in-process.

Each operation gets generated requests (valid and invalid) as the director, with a bearer
token; every response must be a documented status with a body matching its schema, and
never a 5xx. Examples are derandomised so a run is repeatable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings

from kam.api.models import ApiToken
from kam.api.services import api_token_create
from kam.api.tests.conftest import Company
from kam.assessment.models import AssessmentCycle
from kam.assessment.services import cycle_run

pytestmark = pytest.mark.django_db

# KAM_API_FUZZ_EXAMPLES=500 digs deeper, with fresh random data on every run.
DEEP = os.environ.get("KAM_API_FUZZ_EXAMPLES")
MAX_EXAMPLES = int(DEEP or 25)

ACCEPTED = ["2xx", "401", "403", "404"]
# Valid by the document yet refused by the data, which a schema cannot describe: a region
# no client has (400), a file whose content is not a clean table (422, with the report), a
# cycle date in the future or before 2000 (422) and a decision's reason of only blanks (422).
REFUSED_BY_THE_DATA = [
    ("GET /api/clients", "400"),
    ("POST /api/imports", "422"),
    ("POST /api/assessment/cycles", "422"),
    ("POST /api/assessment/decisions", "422"),
]
CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                "include-name": name,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, code]}},
            }
            for name, code in REFUSED_BY_THE_DATA
        ]
    }
)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes "old" connections around each request, and the test's
    connection (inside its transaction) looks old to it: on PostgreSQL the test would lose
    its data. Django's test client disconnects the same signal."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class Director:
    """alice's bearer token; a fresh one when a generated DELETE revoked the last."""

    def __init__(self, company: Company) -> None:
        self.user = company.users["alice"]
        self.token: ApiToken | None = None
        self.secret = ""

    def headers(self) -> dict[str, str]:
        if (
            self.token is None
            or ApiToken.objects.filter(pk=self.token.pk, revoked_at__isnull=False).exists()
        ):
            self.token, self.secret = api_token_create(user=self.user, name="schemathesis")
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture
def director(company: Company) -> Director:
    return Director(company)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_it_keeps_its_contract(case: schemathesis.Case, director: Director) -> None:
    case.call_and_validate(headers=director.headers())


def test_it_keeps_its_contract_for_a_real_client_card(company: Company, director: Director) -> None:
    operation = schema["/api/clients/{client_id}"]["GET"]
    case = operation.Case(path_parameters={"client_id": company.clients["C1"].pk})
    response = case.call_and_validate(headers=director.headers())
    assert response.status_code == 200


def test_it_keeps_its_contract_when_revoking_a_token(company: Company, director: Director) -> None:
    headers = director.headers()
    token, _secret = api_token_create(user=company.users["alice"], name="old")
    case = schema["/api/tokens/{token_id}"]["DELETE"].Case(path_parameters={"token_id": token.pk})
    assert case.call_and_validate(headers=headers).status_code == 204


def test_it_keeps_its_contract_when_importing_a_good_file(
    company: Company, director: Director
) -> None:
    # The file as bytes: schemathesis sends it as a multipart file part.
    form: dict[str, Any] = {
        "kind": "clients",
        "file": "code,name\nN1,ООО «Новый»\n".encode(),
        "dry_run": True,
    }
    case = schema["/api/imports"]["POST"].Case(body=form, media_type="multipart/form-data")
    response = case.call_and_validate(headers=director.headers())
    assert response.status_code == 200
    assert response.json()["created"] == 1


@pytest.fixture
def cycle(company: Company) -> AssessmentCycle:
    """Today's cycle, C1 (a key account) proposed for demotion."""
    return cycle_run(as_of=timezone.localdate())


@pytest.mark.parametrize(
    "path",
    [
        "/api/assessment/cycles",
        "/api/assessment/cycles/{cycle_id}",
        "/api/assessment/cycles/{cycle_id}/assessments",
        "/api/assessment/clients/{client_id}",
    ],
)
def test_it_keeps_its_contract_for_a_real_cycle(
    company: Company, director: Director, cycle: AssessmentCycle, path: str
) -> None:
    parameters = {"cycle_id": cycle.pk, "client_id": company.clients["C1"].pk}
    operation = schema[path]["GET"]
    names = {p.name for p in operation.path_parameters}
    case = operation.Case(path_parameters={k: v for k, v in parameters.items() if k in names})
    assert case.call_and_validate(headers=director.headers()).status_code == 200


def test_it_keeps_its_contract_when_deciding(
    company: Company, director: Director, cycle: AssessmentCycle
) -> None:
    c1, c2, c3 = (company.clients[code].pk for code in ("C1", "C2", "C3"))
    body: dict[str, Any] = {
        "client_id": c2,
        "status": "key",
        "further_work": "develop",
        "reason": "Рост",
    }
    case = schema["/api/assessment/decisions"]["POST"].Case(body=body)
    assert case.call_and_validate(headers=director.headers()).status_code == 201
    # C1's proposal is accepted; C3 (standard, kept) has none: both are skipped the second time.
    for verdict in ["accept", "reject"]:
        operation = schema[f"/api/assessment/cycles/{{cycle_id}}/proposals/{verdict}"]["POST"]
        body = {"client_ids": [c1, c3]}
        case = operation.Case(path_parameters={"cycle_id": cycle.pk}, body=body)
        assert case.call_and_validate(headers=director.headers()).status_code == 200
    operation = schema["/api/assessment/decisions"]["GET"]
    assert operation.Case().call_and_validate(headers=director.headers()).json()["count"] == 2
