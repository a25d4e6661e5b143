"""The client card's "Responsible manager" panel: who and since when, the problem if any, the
history with its handovers, and the hand-over button for whoever may use it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.keyaccounts.choices import Cause
from kam.keyaccounts.services import handover_record
from kam.keyaccounts.testing import Department_
from kam.keyaccounts.tests.pages import dept, logged_in

pytestmark = pytest.mark.django_db

__all__ = ["dept"]


def panel(dept: Department_, login: str, code: str) -> str:
    response = logged_in(dept, login).get(reverse("clients:detail", args=[dept.clients[code].pk]))
    assert response.status_code == 200
    return response.content.decode().split('id="ownership"', 1)[1].split("</section>", 1)[0]


def test_it_shows_the_responsible_and_the_history(dept: Department_) -> None:
    handover = handover_record(
        client=dept.clients["K1"],
        to_manager=dept.employees["ken"],
        user=dept.users["helen"],
        cause=Cause.OVERLOAD,
        reason="Катя в отпуске по уходу",
    )
    html = panel(dept, "helen", "K1")
    assert "Responsible manager" in html
    assert "Кен Ключевой" in html
    assert "not yet acknowledged by Кен Ключевой" in html
    history = html.split("ownership-history", 1)[1]
    # ken now (by a handover), kate before, sam first (data before the department)
    assert history.index("Кен Ключевой") < history.index("Катя Ключевая")
    assert history.index("Катя Ключевая") < history.index("Сэм Продажин")
    assert "Manager overloaded" in history and "Data before the key-account department" in history
    assert "Катя в отпуске по уходу" in history
    assert "Елена Руководитель" in history  # assigned by
    assert reverse("keyaccounts:handover_detail", args=[handover.pk]) in history
    assert reverse("keyaccounts:handover", args=[dept.clients["K1"].pk]) in html


def test_a_key_account_without_anyone_says_so(dept: Department_) -> None:
    html = panel(dept, "helen", "G1")
    assert "No responsible manager." in html and "Assign" in html


def test_a_key_account_held_outside_the_department_shows_the_problem(dept: Department_) -> None:
    from kam.clients.models import Client

    Client.objects.filter(pk=dept.clients["P1"].pk).update(status="key")
    html = panel(dept, "helen", "P1")
    assert "A key account is kept by the key-account department" in html


def test_the_manager_sees_no_hand_over_button_on_their_own_account(dept: Department_) -> None:
    html = panel(dept, "kate", "K1")
    assert "Катя Ключевая" in html
    assert "/handover/" not in html
    assert "/handover/" not in panel(dept, "frank", "K1")
