"""Who sees which clients: one place decides for pages, exports and the API."""

from __future__ import annotations

import pytest
from django.test import override_settings

from kam.web import access
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db

SEES = {
    "alice": {"C1", "C2", "C3", "C4"},
    "bob": {"C1", "C2", "C3", "C4"},
    "charlie": {"C1"},
    "dave": {"C2"},
    "erin": {"C3"},
    "frank": {"C1", "C2", "C3", "C4"},
    "grace": {"C1", "C2", "C3", "C4"},
    "heidi": {"C1", "C2", "C3", "C4"},
    "ivan": set(),
}


@pytest.mark.parametrize(("login", "expected"), SEES.items())
def test_it_scopes_clients_by_role(company: Company, login: str, expected: set[str]) -> None:
    user = company.users[login]
    assert set(access.client_scope(user).values_list("code", flat=True)) == expected


def test_managers_read_all_clients_when_the_company_allows_it(company: Company) -> None:
    with override_settings(KAM_MANAGERS_READ_ALL_CLIENTS=True):
        assert access.client_scope(company.users["charlie"]).count() == 4


@pytest.mark.parametrize(
    ("login", "client", "allowed"),
    [
        ("alice", "C2", True),
        ("bob", "C2", True),
        ("charlie", "C1", True),
        ("charlie", "C2", False),
        ("erin", "C3", True),
        ("erin", "C1", False),
        ("frank", "C1", False),
        ("grace", "C1", False),
        ("heidi", "C1", False),
        ("ivan", "C1", False),
    ],
)
def test_it_decides_who_edits_a_client(
    company: Company, login: str, client: str, allowed: bool
) -> None:
    assert access.can_edit_client(company.users[login], company.clients[client]) is allowed


def test_the_auditor_reads_imports_but_cannot_import(company: Company) -> None:
    assert access.can_view_imports(company.users["frank"])
    assert not access.can_import(company.users["frank"])
    assert access.can_import(company.users["alice"]) and access.can_import(company.users["grace"])
    assert not access.can_view_imports(company.users["charlie"])
