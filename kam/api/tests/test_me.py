"""GET /api/me: who the caller is."""

from __future__ import annotations

import pytest

from kam.api.tests.conftest import Company, MakeClient
from kam.web.models import UserPreference

pytestmark = pytest.mark.django_db


def test_it_describes_the_caller(company: Company, bearer: MakeClient) -> None:
    UserPreference.objects.create(user=company.users["charlie"], language="ru")
    body = bearer("charlie").get("/api/me").json()
    assert body == {
        "username": "charlie",
        "full_name": "",
        "roles": ["key_account_manager"],
        "employee": {
            "id": company.employees["charlie"].pk,
            "code": "E3",
            "name": "Чарли Ключевой",
            "department": "key_accounts",
        },
        "language": "ru",
    }


def test_it_answers_a_user_without_a_role(company: Company, bearer: MakeClient) -> None:
    body = bearer("ivan").get("/api/me").json()
    assert body["roles"] == [] and body["employee"] is None
    assert body["language"] == "en"
