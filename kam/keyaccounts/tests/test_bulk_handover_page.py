"""Handing many of one manager's accounts over: choose a rule, confirm a plan that shows every
client → receiver and the receivers' loads, then everything is recorded or nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from kam.clients.choices import ClientStatus
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.models import Handover
from kam.keyaccounts.services import handover_record, workload_limit_set
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import account_add, dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


@pytest.fixture
def leaving(dept: Department_) -> Department_:
    """kate leaves with three key accounts: K1, K3 and K4."""
    account_add(dept, "K3", "АО «Третий»", "kate", ClientStatus.KEY)
    account_add(dept, "K4", "ПАО «Четвёртый»", "kate", ClientStatus.KEY)
    return dept


def url(dept: Department_) -> str:
    return reverse("keyaccounts:bulk_handover", args=[dept.employees["kate"].pk])


def codes(dept: Department_, *names: str) -> list[int]:
    return [dept.clients[n].pk for n in names]


def preview(browser: Browser, dept: Department_, **changes: Any) -> Any:
    data: dict[str, Any] = {
        "step": "preview",
        "clients": codes(dept, "K1", "K3", "K4"),
        "rule": "one",
        "receiver": dept.employees["ken"].pk,
        "cause": Cause.LEAVING,
        "reason": "",
        "notes": "Передаю всё Кену.",
        "effective": timezone.localdate().isoformat(),
    }
    data.update(changes)
    return browser.post(url(dept), data)


def confirm_fields(html: str) -> dict[str, str]:
    """The hidden fields of the confirmation form, as the browser would post them back."""
    form = html.split('class="form confirm-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))
    fields = {**dict(re.findall(r'name="(\w+)" value="([^"]*)"', form)), **fields}
    fields.pop("csrfmiddlewaretoken", None)
    fields["step"] = "confirm"
    return fields


def test_the_form_lists_the_managers_accounts(leaving: Department_) -> None:
    response = logged_in(leaving, "helen").get(url(leaving))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("ООО «Ключ»", "АО «Третий»", "ПАО «Четвёртый»"):
        assert name in html
    assert "All to one receiver" in html and "Spread by load" in html and "One by one" in html


def test_all_to_one_receiver_after_a_confirmation(leaving: Department_) -> None:
    browser = logged_in(leaving, "helen")
    response = preview(browser, leaving)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hand 3 accounts of Катя Ключевая over?" in html
    table = html.split('class="table compact confirm-list"', 1)[1]
    assert table.count("→ Кен Ключевой") == 3
    # ken keeps K2 and S2: 2 now, +3, 5 after, of the default 15
    load = html.split('class="table compact receivers-load"', 1)[1].split("</table>")[0]
    assert re.search(r"2 / 15.*\+3.*5 / 15", load, re.S)
    assert not Handover.objects.exists()  # nothing before the confirmation

    response = browser.post(url(leaving), confirm_fields(html))
    assert response.status_code == 302
    assert response["Location"] == reverse("keyaccounts:board")
    handovers = list(Handover.objects.all())
    assert len(handovers) == 3
    assert {h.to_manager.code for h in handovers} == {"E4"}
    assert len({h.bulk for h in handovers}) == 1 and handovers[0].bulk is not None
    assert {h.notes for h in handovers} == {"Передаю всё Кену."}


def test_spread_by_load_uses_the_room_under_each_limit(leaving: Department_) -> None:
    # room for two more each: ken keeps 2 of 4, helen 0 of 2
    for login, limit in (("ken", 4), ("helen", 2)):
        workload_limit_set(
            manager=leaving.employees[login],
            max_accounts=limit,
            max_revenue=None,
            user=leaving.users["alice"],
        )
    browser = logged_in(leaving, "helen")
    response = preview(
        browser,
        leaving,
        rule="spread",
        receiver="",
        receivers=[leaving.employees["ken"].pk, leaving.employees["helen"].pk],
    )
    assert response.status_code == 200
    html = response.content.decode()
    table = html.split('class="table compact confirm-list"', 1)[1]
    # equal room: the one with fewer accounts first, then by turns
    assert table.count("→ Елена Руководитель") == 2 and table.count("→ Кен Ключевой") == 1
    browser.post(url(leaving), confirm_fields(html))
    assert Handover.objects.count() == 3


def test_one_by_one_needs_a_receiver_for_each_ticked_account(leaving: Department_) -> None:
    browser = logged_in(leaving, "helen")
    k1, k3 = codes(leaving, "K1", "K3")
    ken, helen = leaving.employees["ken"].pk, leaving.employees["helen"].pk
    response = preview(browser, leaving, rule="each", receiver="", **{f"to_{k1}": ken})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Choose a receiver for АО «Третий»." in errors[f"to_{k3}"]
    # only K1 and K3 ticked: K4 stays with kate
    response = preview(
        browser,
        leaving,
        rule="each",
        receiver="",
        clients=[k1, k3],
        **{f"to_{k1}": ken, f"to_{k3}": helen},
    )
    assert response.status_code == 200
    browser.post(url(leaving), confirm_fields(response.content.decode()))
    moved = dict(Handover.objects.values_list("client__code", "to_manager__code"))
    assert moved == {"K1": "E4", "K3": "E2"}


def test_an_account_that_changed_hands_since_is_named_and_left_out(leaving: Department_) -> None:
    browser = logged_in(leaving, "helen")
    html = preview(browser, leaving).content.decode()
    handover_record(
        client=leaving.clients["K3"],
        to_manager=leaving.employees["helen"],
        user=leaving.users["alice"],
        cause=Cause.OVERLOAD,
    )
    response = browser.post(url(leaving), confirm_fields(html))
    assert response.status_code == 400
    text = response.content.decode()
    assert "АО «Третий» is no longer Катя Ключевая&#x27;s account: left out." in text
    assert Handover.objects.count() == 1  # only the director's
    assert "Hand 2 accounts of Катя Ключевая over?" in text
    browser.post(url(leaving), confirm_fields(text))
    assert Handover.objects.filter(to_manager=leaving.employees["ken"]).count() == 2


def test_above_the_limit_the_confirmation_says_so_and_needs_the_tick(
    leaving: Department_,
) -> None:
    workload_limit_set(
        manager=leaving.employees["ken"],
        max_accounts=3,
        max_revenue=None,
        user=leaving.users["helen"],
    )
    browser = logged_in(leaving, "helen")
    html = preview(browser, leaving).content.decode()
    assert "over the limit" in html and "I confirm the assignments above the limit" in html
    fields = confirm_fields(html)
    fields.pop("confirm_over_limit", None)
    response = browser.post(url(leaving), fields)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Nothing was handed over." in text
    assert "ООО «Ключ»" in text.split('class="messages"')[1].split("</ul>")[0]
    assert not Handover.objects.exists()
    response = browser.post(url(leaving), {**fields, "confirm_over_limit": "on"})
    assert response.status_code == 302
    assert Handover.objects.filter(over_limit=True).count() == 2  # the 4th and the 5th account


@pytest.mark.parametrize("login", ["kate", "ken", "frank", "sam"])
def test_only_the_head_and_the_director_hand_over_in_bulk(leaving: Department_, login: str) -> None:
    browser = logged_in(leaving, login)
    assert browser.get(url(leaving)).status_code == 403
    assert preview(browser, leaving).status_code == 403
    assert not Handover.objects.exists()
