"""Workload limits: the head sets the department's default and a manager's own; whoever sees the
department reads them; every change leaves an audit row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from kam.audit.models import AuditEntry
from kam.keyaccounts.models import WorkloadLimit
from kam.keyaccounts.services import limit_for, workload_limit_set
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]

URL = reverse("keyaccounts:workload")


def test_the_page_lists_each_manager_with_load_and_limit(dept: Department_) -> None:
    response = logged_in(dept, "helen").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not set: 15 accounts apply" in html
    row = html.split(f'data-manager="{dept.employees["ken"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "2 / 15" in row and "department default" in row
    assert f'form="limit-{dept.employees["ken"].pk}"' in row


def test_the_head_sets_the_default(dept: Department_) -> None:
    response = logged_in(dept, "helen").post(
        URL, {"manager": "", "default-max_accounts": "12", "default-max_revenue": "5000000"}
    )
    assert response.status_code == 302
    row = WorkloadLimit.objects.get(manager__isnull=True)
    assert row.max_accounts == 12 and row.max_revenue == Decimal("5000000")
    assert AuditEntry.objects.filter(action="keyaccounts.limit_set").count() == 1
    assert limit_for(dept.employees["kate"]).max_accounts == 12


def test_the_head_sets_and_removes_a_managers_own_limit(dept: Department_) -> None:
    ken = dept.employees["ken"]
    browser = logged_in(dept, "helen")
    response = browser.post(
        URL, {"manager": str(ken.pk), f"m{ken.pk}-max_accounts": "4", f"m{ken.pk}-max_revenue": ""}
    )
    assert response.status_code == 302
    assert limit_for(ken).max_accounts == 4 and limit_for(ken).max_revenue is None
    html = browser.get(URL).content.decode()
    row = html.split(f'data-manager="{ken.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "own" in row and "Use the default" in row
    response = browser.post(reverse("keyaccounts:workload_remove", args=[ken.pk]))
    assert response.status_code == 302
    assert not WorkloadLimit.objects.filter(manager=ken).exists()
    assert AuditEntry.objects.filter(action="keyaccounts.limit_removed").count() == 1


def test_a_limit_below_one_account_is_refused(dept: Department_) -> None:
    ken = dept.employees["ken"]
    response = logged_in(dept, "helen").post(
        URL, {"manager": str(ken.pk), f"m{ken.pk}-max_accounts": "0"}
    )
    assert response.status_code == 400
    assert "greater than or equal to 1" in response.content.decode()
    assert not WorkloadLimit.objects.exists()


def test_a_limit_is_for_the_departments_managers_only(dept: Department_) -> None:
    sam = dept.employees["sam"]
    response = logged_in(dept, "helen").post(
        URL, {"manager": str(sam.pk), f"m{sam.pk}-max_accounts": "5"}
    )
    assert response.status_code == 404
    assert not WorkloadLimit.objects.exists()


def test_the_auditor_reads_and_changes_nothing(dept: Department_) -> None:
    workload_limit_set(
        manager=dept.employees["ken"], max_accounts=4, max_revenue=None, user=dept.users["helen"]
    )
    browser = logged_in(dept, "frank")
    response = browser.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<form" not in html.split("<main", 1)[1]
    assert browser.post(URL, {"manager": "", "default-max_accounts": "3"}).status_code == 403
    ken = dept.employees["ken"]
    assert browser.post(reverse("keyaccounts:workload_remove", args=[ken.pk])).status_code == 403
    assert limit_for(ken).max_accounts == 4


def test_a_manager_does_not_see_the_limits_page(dept: Department_) -> None:
    assert logged_in(dept, "kate").get(URL).status_code == 403
