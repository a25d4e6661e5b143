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

from kam.api.services import api_token_create
from kam.api.tests.conftest import PEOPLE, Company

pytestmark = pytest.mark.django_db

ROLES = [p[0] for p in PEOPLE] + ["ivan"]


def answers(default: int, anonymous: int = 401, **per_role: int) -> dict[str, int]:
    return {"anonymous": anonymous, **{r: per_role.get(r, default) for r in ROLES}}


def only(allowed: list[str], yes: int, no: int = 403, anonymous: int = 401) -> dict[str, int]:
    return {"anonymous": anonymous, **{r: yes if r in allowed else no for r in ROLES}}


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
}


def request_data(method: str, path: str) -> dict[str, Any]:
    if path == "/api/imports" and method == "post":
        upload = SimpleUploadedFile("c.csv", "code,name\nN1,Новый\n".encode())
        return {"data": {"kind": "clients", "file": upload, "dry_run": "true"}}
    if path == "/api/tokens" and method == "post":
        return {"data": {"name": "matrix"}, "content_type": "application/json"}
    return {}


def test_every_operation_has_a_permission_decision() -> None:
    document = HttpClient().get("/api/openapi.json").json()
    operations = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert operations == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_gets_the_expected_answer(company: Company, method: str, path: str) -> None:
    url = path.format(
        client_id=company.clients["C1"].pk,
        token_id=api_token_create(user=company.users["alice"], name="target")[0].pk,
    )
    got = {}
    for caller in ["anonymous", *ROLES]:
        headers = {}
        if caller != "anonymous":
            _token, secret = api_token_create(user=company.users[caller], name="matrix")
            headers = {"Authorization": f"Bearer {secret}"}
        client = HttpClient(enforce_csrf_checks=True, headers=headers)
        response = getattr(client, method)(url, **request_data(method, path))
        got[caller] = response.status_code
    assert got == MATRIX[(method, path)]
