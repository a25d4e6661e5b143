"""Bearer tokens and the browser session both authenticate; nothing else does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from kam.api.models import ApiToken
from kam.api.services import api_token_create, api_token_revoke
from kam.api.tests.conftest import Company, MakeClient

pytestmark = pytest.mark.django_db

CSRF_SECRET = "k" * 32


def test_it_accepts_a_bearer_token(company: Company, bearer: MakeClient) -> None:
    response = bearer("alice").get("/api/me")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_it_refuses_an_unknown_token(company: Company) -> None:
    response = HttpClient(headers={"Authorization": "Bearer not-a-token"}).get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


def test_it_refuses_a_revoked_token(company: Company) -> None:
    token, secret = api_token_create(user=company.users["alice"], name="old")
    api_token_revoke(token=token, by=company.users["alice"])
    response = HttpClient(headers={"Authorization": f"Bearer {secret}"}).get("/api/me")
    assert response.status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(company: Company) -> None:
    _token, secret = api_token_create(user=company.users["alice"], name="t")
    company.users["alice"].is_active = False
    company.users["alice"].save()
    response = HttpClient(headers={"Authorization": f"Bearer {secret}"}).get("/api/me")
    assert response.status_code == 401


def test_it_refuses_anonymous_requests(company: Company) -> None:
    assert HttpClient().get("/api/clients").status_code == 401
    assert HttpClient().get("/api/me").status_code == 401


def test_it_does_not_fall_back_to_the_session_when_the_token_is_wrong(
    company: Company, session: MakeClient
) -> None:
    browser = session("alice")
    response = browser.get("/api/me", headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401


def test_it_accepts_the_browser_session(company: Company, session: MakeClient) -> None:
    response = session("charlie").get("/api/me")
    assert response.status_code == 200
    assert response.json()["username"] == "charlie"


def test_it_enforces_csrf_for_session_writes(company: Company, session: MakeClient) -> None:
    browser = session("alice")
    refused = browser.post("/api/tokens", {"name": "x"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF check Failed"}
    assert not ApiToken.objects.exists()

    browser.cookies["csrftoken"] = CSRF_SECRET
    accepted = browser.post(
        "/api/tokens",
        {"name": "x"},
        content_type="application/json",
        headers={"X-CSRFToken": CSRF_SECRET},
    )
    assert accepted.status_code == 201


def test_it_needs_no_csrf_token_with_a_bearer_token(company: Company) -> None:
    _token, secret = api_token_create(user=company.users["alice"], name="script")
    client = HttpClient(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    response = client.post("/api/tokens", {"name": "y"}, content_type="application/json")
    assert response.status_code == 201


def test_it_records_use_at_most_once_a_minute(company: Company) -> None:
    token, secret = api_token_create(user=company.users["alice"], name="t")
    client = HttpClient(headers={"Authorization": f"Bearer {secret}"})
    client.get("/api/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/me")
    token.refresh_from_db()
    assert token.last_used_at == first, "a second call within the minute writes nothing"

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    client.get("/api/me")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > timezone.now() - dt.timedelta(
        seconds=5
    )
