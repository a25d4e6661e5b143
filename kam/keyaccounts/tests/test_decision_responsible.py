"""The status decision form names the responsible manager when the account enters the
key-account department (its managers, with their load) or leaves it (sales staff), and asks
for the over-limit confirmation when the service does."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kam.clients.choices import ClientStatus
from kam.keyaccounts.choices import Cause
from kam.keyaccounts.models import Handover
from kam.keyaccounts.services import workload_limit_set
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


def url(dept: Department_, code: str) -> str:
    return reverse("clients:status_decide", args=[dept.clients[code].pk])


def decide(dept: Department_, code: str, status: str, **extra: Any) -> Any:
    data = {"status": status, "further_work": "develop", "reason": "Решили на планёрке"}
    data.update(extra)
    return logged_in(dept, "helen").post(url(dept, code), data)


def options(response: Any) -> list[tuple[str, str]]:
    field = response.context["decision_form"].fields["responsible"]
    flat: list[tuple[str, str]] = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            flat.extend((str(v), str(text)) for v, text in label)
        else:
            flat.append((str(value), str(label)))
    return flat


def test_promoting_offers_the_departments_managers_with_their_load(dept: Department_) -> None:
    response = logged_in(dept, "helen").get(url(dept, "S1") + "?status=key")
    assert response.status_code == 200
    form = response.context["decision_form"]
    assert form.show_responsible
    choices = options(response)
    assert choices[0][0] == "" and "the head assigns a key-account manager" in choices[0][1]
    assert [label for _v, label in choices[1:]] == [
        "Елена Руководитель — 0 / 15",
        "Катя Ключевая — 1 / 15",
        "Кен Ключевой — 2 / 15",
    ]
    html = response.content.decode()
    assert 'id="decision-responsible"' in html and "Responsible manager" in html


def test_keeping_the_status_offers_no_select(dept: Department_) -> None:
    response = logged_in(dept, "helen").get(url(dept, "S1") + "?status=standard")
    assert not response.context["decision_form"].show_responsible


def test_demoting_offers_sales_staff_and_says_where_the_account_goes(dept: Department_) -> None:
    response = logged_in(dept, "helen").get(url(dept, "K1") + "?status=standard")
    choices = options(response)
    assert choices[0][1] == "Back to sales by the rule: Сэм Продажин"
    names = [label.split(" — ")[0] for _v, label in choices[1:]]
    assert "Сэм Продажин" in names and "Анна Поискова" in names
    assert "Кен Ключевой" not in names
    assert "Responsible manager: Back to sales by the rule: Сэм Продажин." in (
        response.content.decode()
    )


def test_a_promotion_with_a_named_manager_hands_the_account_over(dept: Department_) -> None:
    response = decide(dept, "P1", ClientStatus.KEY, responsible=dept.employees["kate"].pk)
    assert response.status_code == 302
    p1 = dept.clients["P1"]
    p1.refresh_from_db()
    assert p1.status == ClientStatus.KEY and p1.responsible == dept.employees["kate"]
    assert Handover.objects.get(client=p1).cause == Cause.PROMOTION


def test_a_demotion_to_a_named_sales_rep(dept: Department_) -> None:
    response = decide(dept, "K1", ClientStatus.STANDARD, responsible=dept.employees["ann"].pk)
    assert response.status_code == 302
    k1 = dept.clients["K1"]
    k1.refresh_from_db()
    assert k1.responsible == dept.employees["ann"]


def test_above_the_limit_the_decision_asks_for_the_confirmation(dept: Department_) -> None:
    workload_limit_set(
        manager=dept.employees["ken"], max_accounts=2, max_revenue=None, user=dept.users["helen"]
    )
    ken = dept.employees["ken"].pk
    response = decide(dept, "P1", ClientStatus.KEY, responsible=ken)
    assert response.status_code == 400
    html = response.content.decode()
    assert "confirm the assignment above the limit" in html
    assert 'name="confirm_over_limit"' in html
    p1 = dept.clients["P1"]
    p1.refresh_from_db()
    assert p1.status == ClientStatus.POTENTIAL_KEY  # the decision is not recorded either
    response = decide(dept, "P1", ClientStatus.KEY, responsible=ken, confirm_over_limit="on")
    assert response.status_code == 302
    p1.refresh_from_db()
    assert p1.status == ClientStatus.KEY and p1.responsible_id == ken
    assert Handover.objects.get(client=p1).over_limit


def test_a_receiver_not_on_the_list_is_refused(dept: Department_) -> None:
    response = decide(dept, "P1", ClientStatus.KEY, responsible=dept.employees["sam"].pk)
    assert response.status_code == 400
    assert response.context["decision_form"].errors["responsible"]
