"""List pages make the same number of queries for 5 rows as for 50 (no N+1)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.clients.models import Client
from kam.imports.models import ImportBatch
from kam.web.tests.conftest import Company

pytestmark = pytest.mark.django_db


def queries(browser: Browser, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200
    return len(captured)


def test_the_client_list_does_not_grow_with_its_rows(company: Company) -> None:
    browser = Browser()
    browser.force_login(company.users["alice"])
    browser.get(reverse("clients:list"))  # the drop-down choices are cached from here on
    few = queries(browser, reverse("clients:list"))
    employees = list(company.employees.values())
    Client.objects.bulk_create(
        Client(
            code=f"X{i:03}",
            name=f"Клиент {i:03}",
            region=f"Регион {i % 7}",
            responsible=employees[i % len(employees)],
        )
        for i in range(80)
    )
    many = queries(browser, reverse("clients:list"))
    assert many == few
    assert many <= 14


def test_the_import_history_does_not_grow_with_its_rows(company: Company) -> None:
    from django.utils import timezone

    browser = Browser()
    browser.force_login(company.users["alice"])
    now = timezone.now()

    def add(n: int) -> None:
        ImportBatch.objects.bulk_create(
            ImportBatch(
                kind="sales",
                file_name=f"f{i}.csv",
                file_sha256="0" * 64,
                file_size=1,
                started_at=now,
                finished_at=now,
                user=company.users["alice"],
            )
            for i in range(n)
        )

    add(1)
    few = queries(browser, reverse("imports:list"))
    add(60)
    assert queries(browser, reverse("imports:list")) == few
