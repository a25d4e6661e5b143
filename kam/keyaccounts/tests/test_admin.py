"""The admin cannot change a responsible manager or move a manager who keeps key accounts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.urls import reverse

from kam.keyaccounts.models import Assignment
from kam.keyaccounts.testing import Department_, department_create
from kam.organization.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def dept() -> Department_:
    return department_create()


@pytest.fixture
def admin_client(dept: Department_) -> HttpClient:
    http = HttpClient()
    http.force_login(User.objects.create_superuser("root", password="not-used-1234"))
    return http


def test_the_client_admin_shows_but_does_not_change_the_responsible(
    dept: Department_, admin_client: HttpClient
) -> None:
    k1 = dept.clients["K1"]
    url = reverse("admin:clients_client_change", args=[k1.pk])
    page = admin_client.get(url).content.decode()
    assert 'name="responsible"' not in page and 'name="status"' not in page
    admin_client.post(
        url,
        {
            "code": "K1",
            "name": k1.name,
            "responsible": dept.employees["ann"].pk,
            "status": "standard",
            "contacts-TOTAL_FORMS": 0,
            "contacts-INITIAL_FORMS": 0,
        },
    )
    k1.refresh_from_db()
    assert k1.responsible == dept.employees["kate"] and k1.status == "key"


def test_the_employee_admin_refuses_to_move_a_manager_with_key_accounts(
    dept: Department_, admin_client: HttpClient
) -> None:
    kate = dept.employees["kate"]
    response = admin_client.post(
        reverse("admin:organization_employee_change", args=[kate.pk]),
        {
            "code": kate.code,
            "name": kate.name,
            "department": Department.objects.get(kind="acquisition").pk,
            "role": "sales_rep",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "keeps 1 key account(s)" in response.content.decode()
    kate.refresh_from_db()
    assert kate.department.kind == "key_accounts"


def test_the_history_is_read_only_in_the_admin(dept: Department_, admin_client: HttpClient) -> None:
    assignment = Assignment.objects.first()
    assert assignment is not None
    assert admin_client.get(reverse("admin:keyaccounts_assignment_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:keyaccounts_assignment_add")).status_code == 403
    url = reverse("admin:keyaccounts_assignment_delete", args=[assignment.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Assignment.objects.filter(pk=assignment.pk).exists()
