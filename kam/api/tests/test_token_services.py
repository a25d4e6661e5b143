"""The token services the API and the tokens page share."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError

from kam.api.models import ApiToken
from kam.api.services import api_token_create, api_token_revoke, api_token_use
from kam.api.tests.conftest import Company
from kam.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_it_stores_only_the_hash_of_the_secret(company: Company) -> None:
    token, secret = api_token_create(user=company.users["alice"], name="n")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in str(stored)
    assert len(secret) >= 43 and token.prefix == secret[:8]
    assert api_token_use(secret=secret) == token


def test_it_refuses_a_name_without_letters(company: Company) -> None:
    with pytest.raises(ValidationError):
        api_token_create(user=company.users["alice"], name="   ")
    assert not ApiToken.objects.exists()
    assert not AuditEntry.objects.filter(action="api_token.created").exists()


def test_it_refuses_revoking_someone_elses_token(company: Company) -> None:
    token, _secret = api_token_create(user=company.users["alice"], name="n")
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, by=company.users["charlie"])
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_lets_an_administrator_revoke_any_token(company: Company) -> None:
    token, _secret = api_token_create(user=company.users["alice"], name="n")
    admin = company.users["frank"]
    admin.user_permissions.add(Permission.objects.get(codename="change_apitoken"))
    admin = type(admin).objects.get(pk=admin.pk)  # permissions are cached per instance
    api_token_revoke(token=token, by=admin)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.get(action="api_token.revoked").actor == admin


@pytest.mark.parametrize("secret", ["", "é" * 10, "x" * 500])
def test_it_finds_no_token_for_garbage(company: Company, secret: str) -> None:
    assert api_token_use(secret=secret) is None
