"""/api/tokens: users create, list and revoke their own tokens; each change is audited."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from kam.api.models import ApiToken
from kam.api.services import api_token_create, api_token_hash
from kam.api.tests.conftest import Company, MakeClient
from kam.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_creates_a_token_and_shows_its_secret_once(
    company: Company, session: MakeClient
) -> None:
    browser = session("charlie")
    browser.cookies["csrftoken"] = "c" * 32
    response = browser.post(
        "/api/tokens",
        {"name": "  ERP export "},
        content_type="application/json",
        headers={"X-CSRFToken": "c" * 32},
    )
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert body["name"] == "ERP export" and body["prefix"] == secret[:8]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == company.users["charlie"]
    assert token.key_hash == api_token_hash(secret) and secret not in token.key_hash

    listed = browser.get("/api/tokens").json()
    assert [t["id"] for t in listed] == [token.pk]
    assert "token" not in listed[0] and secret not in str(listed)

    works = HttpClient(headers={"Authorization": f"Bearer {secret}"}).get("/api/me")
    assert works.json()["username"] == "charlie"
    entry = AuditEntry.objects.get(action="api_token.created")
    assert (entry.actor, entry.object_id) == (company.users["charlie"], str(token.pk))
    assert secret not in str(entry.data) + entry.summary


def test_it_lists_only_the_callers_tokens(company: Company, bearer: MakeClient) -> None:
    api_token_create(user=company.users["dave"], name="dave's")
    client = bearer("charlie")
    assert [t["name"] for t in client.get("/api/tokens").json()] == ["tests"]


def test_it_revokes_a_token(company: Company, bearer: MakeClient) -> None:
    token, secret = api_token_create(user=company.users["charlie"], name="old")
    client = bearer("charlie")
    response = client.delete(f"/api/tokens/{token.pk}")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = HttpClient(headers={"Authorization": f"Bearer {secret}"}).get("/api/me")
    assert refused.status_code == 401
    listed = {t["id"]: t for t in client.get("/api/tokens").json()}
    assert listed[token.pk]["revoked_at"] is not None
    entry = AuditEntry.objects.get(action="api_token.revoked")
    assert (entry.actor, entry.object_id) == (company.users["charlie"], str(token.pk))

    again = client.delete(f"/api/tokens/{token.pk}")
    assert again.status_code == 204
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1


def test_it_does_not_reveal_another_users_token(company: Company, bearer: MakeClient) -> None:
    token, _secret = api_token_create(user=company.users["dave"], name="dave's")
    response = bearer("charlie").delete(f"/api/tokens/{token.pk}")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_lets_a_user_without_a_role_manage_tokens(company: Company, bearer: MakeClient) -> None:
    client = bearer("ivan")
    assert (
        client.post("/api/tokens", {"name": "x"}, content_type="application/json").status_code
        == 201
    )
    assert len(client.get("/api/tokens").json()) == 2


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "a\x00b"])
def test_it_refuses_a_bad_name(company: Company, bearer: MakeClient, name: str) -> None:
    response = bearer("alice").post("/api/tokens", {"name": name}, content_type="application/json")
    assert response.status_code == 422
    assert ApiToken.objects.count() == 1


def test_it_refuses_a_body_that_is_not_json(company: Company, bearer: MakeClient) -> None:
    response = bearer("alice").post("/api/tokens", "{name", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
