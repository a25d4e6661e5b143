"""The department board: gaps first, handovers awaiting their receiver, separation conflicts,
then each manager's load and accounts; its queries do not grow with the accounts."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kam.clients.choices import ClientStatus
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.services import handover_record, workload_limit_set
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import account_add, dept, logged_in, sales
from kam.ledger.models import SalesDocument
from kam.planning.services import plan_create

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


def section(html: str, anchor: str) -> str:
    """The HTML of the board's section with id ``anchor``."""
    return html.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]


def test_it_shows_the_gap_with_an_assign_link(dept: Department_) -> None:
    html = logged_in(dept, "helen").get(reverse("keyaccounts:board")).content.decode()
    gaps = section(html, "gaps")
    g1 = dept.clients["G1"]
    assert "ЗАО «Без хозяина»" in gaps
    assert "No responsible manager." in gaps
    assert reverse("keyaccounts:handover", args=[g1.pk]) + "?cause=assignment" in gaps
    assert "Key accounts without a responsible manager" in html
    # gaps come first, managers last
    assert html.index('id="gaps"') < html.index('id="pending"') < html.index('id="conflicts"')
    assert html.index('id="conflicts"') < html.index('id="load"')


def test_it_lists_the_separation_conflict(dept: Department_) -> None:
    html = logged_in(dept, "helen").get(reverse("keyaccounts:board")).content.decode()
    conflicts = section(html, "conflicts")
    assert "ООО «Не по профилю»" in conflicts
    assert "a standard client goes to the sales department" in conflicts


def test_it_shows_each_managers_load_and_accounts(dept: Department_) -> None:
    workload_limit_set(
        manager=None, max_accounts=2, max_revenue=Decimal("200000"), user=dept.users["helen"]
    )
    account_add(dept, "K3", "ООО «Третий»", "ken", ClientStatus.KEY)  # ken: K2, S2, K3 of 2
    html = logged_in(dept, "helen").get(reverse("keyaccounts:board")).content.decode()
    ken = section(html, f"manager-{dept.employees['ken'].pk}")
    kate = section(html, f"manager-{dept.employees['kate'].pk}")
    assert "3 of 2 accounts" in ken and "over the limit" in ken
    assert "card-alert" in html.split(f'id="manager-{dept.employees["ken"].pk}"')[0][-80:]
    assert "1 of 2 accounts" in kate and "over the limit" not in kate
    # K1: 120 000 over 12 months, +25 % on the 96 000 before
    assert "ООО «Ключ»" in kate
    assert "120,000" in kate and "+25.0 %" in kate
    assert "revenue 120,000 of 200,000" in kate
    assert reverse("keyaccounts:handover", args=[dept.clients["K1"].pk]) in kate
    assert reverse("keyaccounts:bulk_handover", args=[dept.employees["kate"].pk]) in kate
    load = section(html, "load")
    assert re.search(r"Кен Ключевой.*?3 / 2", load, re.S)


def test_a_handover_not_yet_acknowledged_is_listed_and_marked(dept: Department_) -> None:
    handover = handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
    )
    html = logged_in(dept, "helen").get(reverse("keyaccounts:board")).content.decode()
    pending = section(html, "pending")
    assert "ООО «Ключ»" in pending and "Катя Ключевая" in pending
    ken = section(html, f"manager-{dept.employees['ken'].pk}")
    assert "handover not acknowledged" in ken
    assert reverse("keyaccounts:handover_detail", args=[handover.pk]) in ken


def test_the_auditor_reads_the_board_without_hand_over_links(dept: Department_) -> None:
    response = logged_in(dept, "frank").get(reverse("keyaccounts:board"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "ООО «Ключ»" in html
    assert "/handover/" not in html


def test_a_manager_is_sent_to_their_own_accounts(dept: Department_) -> None:
    response = logged_in(dept, "kate").get(reverse("keyaccounts:board"))
    assert response.status_code == 302
    assert response["Location"] == reverse("keyaccounts:mine")


def test_a_sales_rep_may_not_see_the_board(dept: Department_) -> None:
    assert logged_in(dept, "sam").get(reverse("keyaccounts:board")).status_code == 403


def test_the_navigation_names_the_department(dept: Department_) -> None:
    html = logged_in(dept, "helen").get(reverse("clients:list")).content.decode()
    assert f'href="{reverse("keyaccounts:board")}"' in html and "Key accounts" in html
    html = logged_in(dept, "kate").get(reverse("clients:list")).content.decode()
    assert f'href="{reverse("keyaccounts:mine")}"' in html
    html = logged_in(dept, "sam").get(reverse("clients:list")).content.decode()
    assert "/key-accounts/" not in html


def queries(browser: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert browser.get(url).status_code == 200  # type: ignore[attr-defined]
    return len(captured)


def plan_for(dept: Department_, code: str) -> None:
    """A proposed plan for the account's current period, by its manager."""
    client = dept.clients[code]
    assert client.responsible is not None
    plan_create(client=client, user=client.responsible.user)


def test_the_board_does_not_grow_with_its_accounts(dept: Department_) -> None:
    browser = logged_in(dept, "helen")
    url = reverse("keyaccounts:board")
    # The plans' progress reads the ledger once per period, whatever the number of plans.
    SalesDocument.objects.create(
        doc_no="D1",
        date=timezone.localdate(),
        client=dept.clients["K1"],
        due_date=timezone.localdate(),
        amount=Decimal(1000),
    )
    plan_for(dept, "K1")
    browser.get(url)
    few = queries(browser, url)
    for i in range(30):
        client = account_add(
            dept, f"X{i:02}", f"Клиент {i:02}", ["kate", "ken"][i % 2], ClientStatus.KEY
        )
        sales(client, {0: 1000 + i, 13: 900})
        if i % 3:
            plan_for(dept, client.code)
    account_add(dept, "XS", "Стандартный у Кати", "kate", ClientStatus.STANDARD)
    handover_record(
        client=dept.clients["X00"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
        confirm_over_limit=True,
    )
    many = queries(browser, url)
    assert many == few
    # 13 for the department; 7 for the plans: the planning setting, the plans, their targets,
    # how far the ledger reaches, and the period's roll-up, invoices and payments.
    assert many == 20
