"""A key-account manager's own accounts: handovers to acknowledge first, then each account with
its revenue trend, growth, status, further work and next review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.assessment.models import StatusDecision
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.services import handover_record
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]

URL = reverse("keyaccounts:mine")


def test_the_manager_sees_their_accounts_with_trend_and_growth(dept: Department_) -> None:
    StatusDecision.objects.create(
        client=dept.clients["K1"],
        status_before="potential_key",
        status="key",
        further_work="develop",
        reason="Растёт",
        next_review=timezone.localdate() - dt.timedelta(days=3),
    )
    response = logged_in(dept, "kate").get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert [a.client.code for a in response.context["accounts"]] == ["K1"]
    row = html.split(f'data-client="{dept.clients["K1"].pk}"', 1)[1].split("</tr>", 1)[0]
    assert '<svg class="sparkline"' in row and "<polyline" in row
    assert "120,000" in row and "+25.0 %" in row
    assert "Develop as a key account" in row
    assert "overdue" in row
    assert "1 of 15 accounts" in html
    assert "АО «Второй ключ»" not in html  # ken's


def test_handovers_to_acknowledge_come_first(dept: Department_) -> None:
    handover = handover_record(
        client=dept.clients["K2"],
        to_manager=dept.employees["kate"],
        user=dept.users["helen"],
        cause=Cause.LEAVING,
    )
    html = logged_in(dept, "kate").get(URL).content.decode()
    assert html.index('id="to-acknowledge"') < html.index('id="accounts"')
    block = html.split('id="to-acknowledge"', 1)[1].split("</section>", 1)[0]
    assert "АО «Второй ключ»" in block and "Кен Ключевой" in block
    assert reverse("keyaccounts:handover_acknowledge", args=[handover.pk]) in block


def test_the_head_sees_their_own_page(dept: Department_) -> None:
    response = logged_in(dept, "helen").get(URL)
    assert response.status_code == 200
    assert "You are not responsible for any account yet." in response.content.decode()
    assert "Department board" in response.content.decode()


@pytest.mark.parametrize("login", ["sam", "ann", "frank", "alice"])
def test_others_have_no_such_page(dept: Department_, login: str) -> None:
    assert logged_in(dept, login).get(URL).status_code == 403
