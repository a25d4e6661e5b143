"""API tokens page: the secret is shown once, tokens are listed without it, revoking asks."""

from __future__ import annotations

import pytest
from django.test import Client as Browser
from django.urls import reverse

from kam.api.models import ApiToken
from kam.audit.models import AuditEntry
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


def test_it_creates_shows_once_and_revokes(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["charlie"])
    response = browser.post(reverse("tokens"), {"name": "выгрузка из 1С"})
    secret = response.context["secret"]
    assert secret and secret in response.content.decode()
    token = ApiToken.objects.get(user=company.users["charlie"])
    assert token.key_hash != secret and secret.startswith(token.prefix)
    listing = browser.get(reverse("tokens")).content.decode()
    assert secret not in listing and token.prefix in listing
    api = Browser().get(reverse("api:me_endpoint"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200
    browser.post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = Browser().get(reverse("api:me_endpoint"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 401
    assert AuditEntry.objects.filter(action__startswith="api_token.").count() == 2


def test_nobody_revokes_another_users_token(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["charlie"])
    browser.post(reverse("tokens"), {"name": "мой"})
    token = ApiToken.objects.get()
    other = Browser()
    other.force_login(company.users["dave"])
    assert other.post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
