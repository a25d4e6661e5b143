"""Fixtures of the page tests: the department of kam.keyaccounts.testing with two years of
sales, a standard client kept by a key-account manager (a conflict) and logged-in browsers.

alice director · helen head · kate and ken key-account managers · sam sales rep (head of
sales) · ann acquisition rep · frank auditor. K1 kate's, K2 ken's, P1 and S1 sam's, S2 ken's
(standard: a conflict), G1 a key account without anyone (a gap).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.utils import timezone

from kam.clients.choices import ClientStatus
from kam.clients.models import Client
from kam.keyaccounts.choices import Source
from kam.keyaccounts.models import Assignment
from kam.keyaccounts.testing import Department_, department_create
from kam.ledger.models import MonthlyRollup
from kam.ledger.months import month_start


def sales(client: Client, revenue: dict[int, int]) -> None:
    """Monthly revenue of ``client``: months back from this one → amount."""
    today = timezone.localdate()
    MonthlyRollup.objects.bulk_create(
        MonthlyRollup(
            client=client,
            month=month_start(today, back),
            product_group="Бумага",
            revenue=Decimal(amount),
            cost=Decimal(amount * 6 // 10),
            margin=Decimal(amount * 4 // 10),
            quantity=Decimal(1),
            documents=1,
            lines=1,
        )
        for back, amount in revenue.items()
    )


def account_add(dept: Department_, code: str, name: str, login: str, status: str) -> Client:
    """A client kept by ``login`` since a year ago (with its open assignment)."""
    client = Client.objects.create(
        code=code, name=name, status=status, responsible=dept.employees[login]
    )
    Assignment.objects.create(
        client=client,
        manager=dept.employees[login],
        start=timezone.localdate() - dt.timedelta(days=365),
        source=Source.INITIAL,
    )
    dept.clients[code] = client
    return client


@pytest.fixture
def dept(db: None) -> Department_:
    dept = department_create()
    # K1 grows: 120 000 this year, rising month by month, against 96 000 the year before.
    sales(
        dept.clients["K1"],
        {**{b: 7_250 + 500 * (11 - b) for b in range(12)}, **{b: 8_000 for b in range(12, 24)}},
    )
    # K2: 60 000 this year, up and down with the seasons.
    seasons = [4_000, 6_000, 7_000, 6_000, 5_000, 3_000, 4_000, 5_000, 7_000, 6_000, 4_000, 3_000]
    sales(dept.clients["K2"], dict(enumerate(seasons)))
    account_add(dept, "S2", "ООО «Не по профилю»", "ken", ClientStatus.STANDARD)
    return dept


def logged_in(dept: Department_, login: str) -> Browser:
    browser = Browser()
    browser.force_login(dept.users[login])
    return browser
