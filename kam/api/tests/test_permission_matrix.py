"""Every API operation × every role (and an anonymous caller) gets exactly the answer it should.

The operations come from the OpenAPI document: a new operation without a decision here fails.
Roles call with their own bearer token; the anonymous caller sends no credentials, so its
writes meet the session's CSRF check first (403), its reads 401.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.services import api_token_create
from kam.api.tests.conftest import PEOPLE, Company
from kam.assessment.services import cycle_run

pytestmark = pytest.mark.django_db

ROLES = [p[0] for p in PEOPLE] + ["ivan"]


def answers(default: int, anonymous: int = 401, **per_role: int) -> dict[str, int]:
    return {"anonymous": anonymous, **{r: per_role.get(r, default) for r in ROLES}}


def only(
    allowed: list[str], yes: int, no: int = 403, anonymous: int = 401, **per_role: int
) -> dict[str, int]:
    answer = {"anonymous": anonymous, **{r: yes if r in allowed else no for r in ROLES}}
    return {**answer, **per_role}


# Cycles and proposals: whoever reads every client (here the director, auditor and analyst).
VIEW_ASSESSMENT = ["alice", "frank", "grace"]


# (method, path) → expected status per caller
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("get", "/api/me"): answers(200),
    ("get", "/api/clients"): answers(200, ivan=403),
    ("get", "/api/clients/{client_id}"): answers(200, dave=404, ivan=403),
    ("get", "/api/imports"): only(["alice", "frank", "grace"], 200),
    ("post", "/api/imports"): only(["alice", "grace"], 200, anonymous=403),
    ("get", "/api/tokens"): answers(200),
    ("post", "/api/tokens"): answers(201, anonymous=403),
    ("delete", "/api/tokens/{token_id}"): answers(404, anonymous=403, alice=204),
    ("get", "/api/assessment/cycles"): only(VIEW_ASSESSMENT, 200),
    # alice runs today's cycle; grace runs the same date again.
    ("post", "/api/assessment/cycles"): only(["alice", "grace"], 200, anonymous=403, alice=201),
    ("get", "/api/assessment/cycles/{cycle_id}"): only(VIEW_ASSESSMENT, 200),
    ("get", "/api/assessment/cycles/{cycle_id}/assessments"): only(VIEW_ASSESSMENT, 200),
    ("post", "/api/assessment/cycles/{cycle_id}/proposals/accept"): only(
        ["alice"], 200, anonymous=403
    ),
    ("post", "/api/assessment/cycles/{cycle_id}/proposals/reject"): only(
        ["alice"], 200, anonymous=403
    ),
    ("get", "/api/assessment/clients/{client_id}"): answers(200, dave=404, ivan=403),
    ("get", "/api/assessment/decisions"): answers(200, ivan=403),
    ("post", "/api/assessment/decisions"): only(["alice"], 201, anonymous=403),
}


def request_data(method: str, path: str, company: Company) -> dict[str, Any]:
    if path == "/api/imports" and method == "post":
        upload = SimpleUploadedFile("c.csv", "code,name\nN1,Новый\n".encode())
        return {"data": {"kind": "clients", "file": upload, "dry_run": "true"}}
    if path == "/api/tokens" and method == "post":
        return {"data": {"name": "matrix"}, "content_type": "application/json"}
    if method == "post" and path.startswith("/api/assessment/"):
        body = assessment_bodies(company)[path]
        return {"data": body, "content_type": "application/json"}
    return {}


def assessment_bodies(company: Company) -> dict[str, dict[str, Any]]:
    c1 = company.clients["C1"].pk
    return {
        "/api/assessment/cycles": {"as_of": timezone.localdate().isoformat()},
        "/api/assessment/cycles/{cycle_id}/proposals/accept": {"client_ids": [c1]},
        "/api/assessment/cycles/{cycle_id}/proposals/reject": {"client_ids": [c1]},
        "/api/assessment/decisions": {
            "client_id": c1,
            "status": "key",
            "further_work": "develop",
            "reason": "matrix",
        },
    }


def test_every_operation_has_a_permission_decision() -> None:
    document = HttpClient().get("/api/openapi.json").json()
    operations = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert operations == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_gets_the_expected_answer(company: Company, method: str, path: str) -> None:
    url = path.format(
        client_id=company.clients["C1"].pk,
        token_id=api_token_create(user=company.users["alice"], name="target")[0].pk,
        # A cycle only where the path needs one: running it takes a moment.
        cycle_id=cycle_run(as_of=timezone.localdate()).pk if "{cycle_id}" in path else 0,
    )
    got = {}
    for caller in ["anonymous", *ROLES]:
        headers = {}
        if caller != "anonymous":
            _token, secret = api_token_create(user=company.users[caller], name="matrix")
            headers = {"Authorization": f"Bearer {secret}"}
        client = HttpClient(enforce_csrf_checks=True, headers=headers)
        response = getattr(client, method)(url, **request_data(method, path, company))
        got[caller] = response.status_code
    assert got == MATRIX[(method, path)]
